"""`rollback` through the console script against the fake: two versions back in one commit,
byte for byte but for the time, nothing written twice, and each bad input as one line."""

from __future__ import annotations

import json
import re

from fake_github import FakeGitHub, faults
from harness import REGISTRY, Action
from registry_files import manifest, registry_files
from strict_checks import assert_failed_cleanly

VERSIONS = ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"]
MANIFEST = "plugins/calendar2.json"
TRAILER = "\n\nWorkflow-Run: https://github.com/acme/Calendar2/actions/runs/900"
STAMP = re.compile(rb'"lastUpdated": "([^"]+)"')


def register(action: Action, versions: list[str]) -> None:
    for number, version in enumerate(versions, start=101):
        run = action.run({"version": version}, GITHUB_RUN_ID=str(number))
        assert run.status == 0, run.stdout + run.stderr


def registered_at(github: FakeGitHub, version: str) -> dict[str, bytes]:
    """Both files as the registration of ``version`` left them (its index commit)."""
    for commit in github.commits(REGISTRY):
        index = github.get_file(REGISTRY, "registry.json", branch=commit.sha)
        if "registry.json" in commit.paths and f'"version": "{version}"'.encode() in (index or b""):
            return {
                path: github.get_file(REGISTRY, path, branch=commit.sha) or b""
                for path in (MANIFEST, "registry.json")
            }
    raise AssertionError(f"{version} was never registered")


def restamped(content: bytes, stamp: bytes) -> bytes:
    return STAMP.sub(b'"lastUpdated": "' + stamp + b'"', content)


def test_rollback_two_versions_back_restores_both_files_in_one_commit(
    github: FakeGitHub, action: Action
) -> None:
    register(action, VERSIONS)
    earlier = registered_at(github, "1.2.0")
    before = len(github.commits(REGISTRY))
    github.reset_log()

    run = action.run({"command": "rollback", "version": "1.2.0"}, GITHUB_RUN_ID="900")

    assert run.status == 0, run.stdout + run.stderr
    [made] = github.commits(REGISTRY)[before:]
    assert sorted(made.paths) == [MANIFEST, "registry.json"]
    assert made.message == f"Roll back plugin: calendar2 to 1.2.0{TRAILER}"
    now = {path: github.get_file(REGISTRY, path) or b"" for path in earlier}
    match = STAMP.search(now[MANIFEST])
    assert match is not None
    stamp = match.group(1)
    for path, content in earlier.items():
        assert now[path] == restamped(content, stamp), path
    assert stamp not in earlier[MANIFEST]
    assert run.outputs["changed"] == "true"
    assert run.outputs["commit-sha"] == made.sha
    assert json.loads(run.outputs["manifest"])["version"] == "1.2.0"
    assert run.stdout.splitlines()[-1] == (
        "calendar2 1.2.0 restored in org/plugin-registry@main (plugins/calendar2.json, "
        "registry.json)"
    )
    assert "| `calendar2` | 1.4.0 → 1.2.0 |" in run.summary
    # The default branch, the head, both files at it, one page of history and its files, one
    # commit of both files.
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in github.requests] == [
        ("GET", "plugin-registry"),
        ("GET", "main"),
        ("GET", "registry.json"),
        ("GET", "calendar2.json"),
        ("GET", "commits"),
        ("POST", "graphql"),
        ("POST", "graphql"),
    ]
    assert [(r.method, r.path) for r in github.writes] == [("POST", "/graphql")]
    github.reset_log()

    again = action.run({"command": "rollback", "version": "1.2.0"})

    assert again.status == 0, again.stdout + again.stderr
    assert again.outputs["changed"] == "false"
    assert again.stdout.splitlines()[-1] == (
        "calendar2 1.2.0 is already the registered version in org/plugin-registry@main: "
        "nothing written"
    )
    assert github.writes == []
    assert len(github.commits(REGISTRY)) == before + 1


def test_the_default_steps_back_one_version_each_time(github: FakeGitHub, action: Action) -> None:
    register(action, VERSIONS[:3])

    first = action.run({"command": "rollback"})
    second = action.run({"command": "rollback"})

    assert first.status == second.status == 0, first.stdout + second.stdout
    assert json.loads(first.outputs["manifest"])["version"] == "1.1.0"
    # Not forward to the release just rolled back, which was registered after 1.1.0.
    assert json.loads(second.outputs["manifest"])["version"] == "1.0.0"
    assert (
        json.loads(github.get_file(REGISTRY, "registry.json") or b"")["plugins"][0]["version"]
        == "1.0.0"
    )


def test_a_dry_run_shows_the_diff_and_writes_nothing(github: FakeGitHub, action: Action) -> None:
    register(action, VERSIONS[:2])
    github.reset_log()

    run = action.run({"command": "rollback", "dry-run": "true"})

    assert run.status == 0, run.stdout + run.stderr
    assert github.writes == []
    assert '-  "version": "1.1.0",\n+  "version": "1.0.0",' in run.stdout
    assert "--- a/registry.json" in run.stdout
    assert run.stdout.splitlines()[-1] == (
        "calendar2 1.0.0 would be restored in org/plugin-registry@main "
        "(plugins/calendar2.json, registry.json)"
    )
    assert run.outputs["commit-sha"] == ""


def test_an_unregistered_plugin_is_registered_again_at_the_version_named(
    github: FakeGitHub, action: Action
) -> None:
    register(action, VERSIONS[:2])
    earlier = registered_at(github, "1.0.0")
    assert action.run({"command": "unregister"}).status == 0

    run = action.run({"command": "rollback", "version": "1.0.0"})

    assert run.status == 0, run.stdout + run.stderr
    assert sorted(github.commits(REGISTRY)[-1].paths) == [MANIFEST, "registry.json"]
    content = github.get_file(REGISTRY, MANIFEST) or b""
    match = STAMP.search(content)
    assert match is not None
    assert content == restamped(earlier[MANIFEST], match.group(1))


FIVE = "it was registered at 1.4.0, 1.3.0, 1.2.0, 1.1.0, 1.0.0"


def test_a_version_never_registered_is_one_line_naming_those_that_were(
    github: FakeGitHub, action: Action
) -> None:
    register(action, VERSIONS)
    github.reset_log()
    run = action.run({"command": "rollback", "version": "9.9.9"})
    assert_failed_cleanly(
        run,
        "::error title=Invalid input::calendar2 was never registered at 9.9.9 in "
        f"org/plugin-registry@main: {FIVE}",
        github,
    )


def test_a_version_that_is_no_version_is_one_line_before_any_request(
    github: FakeGitHub, action: Action
) -> None:
    run = action.run({"command": "rollback", "version": "latest"})
    assert_failed_cleanly(
        run,
        "::error title=Invalid input::input `version` 'latest' is not a semantic version "
        "(MAJOR.MINOR.PATCH such as 1.2.3, optionally with -prerelease or +build)",
        github,
    )
    assert github.requests == []


def test_a_plugin_with_nothing_earlier_is_one_line(github: FakeGitHub, action: Action) -> None:
    register(action, VERSIONS[:1])
    github.reset_log()
    run = action.run({"command": "rollback"})
    assert_failed_cleanly(
        run,
        "::error title=Invalid input::calendar2 has no version lower than 1.0.0 registered "
        "before it in org/plugin-registry@main: it was registered at 1.0.0",
        github,
    )
    never = action.run({"command": "rollback", "plugin-id": "weather"})
    assert_failed_cleanly(
        never,
        "::error title=Invalid input::weather was never registered in "
        "org/plugin-registry@main: there is nothing to roll back to",
        github,
    )


def test_an_unregistered_plugin_needs_the_version_named(github: FakeGitHub, action: Action) -> None:
    register(action, VERSIONS[:2])
    assert action.run({"command": "unregister"}).status == 0
    github.reset_log()
    run = action.run({"command": "rollback"})
    assert_failed_cleanly(
        run,
        "::error title=Invalid input::calendar2 is not registered in org/plugin-registry@main, "
        "so there is no current version to roll back from: it was registered at 1.1.0, 1.0.0; "
        "name the version to restore with `version`",
        github,
    )


def test_a_branch_moved_before_the_commit_is_read_again_and_committed_once(
    github: FakeGitHub, action: Action
) -> None:
    register(action, VERSIONS[:3])
    before = len(github.commits(REGISTRY))
    # The first POST /graphql reads the history; the second is the commit, refused as GitHub
    # refuses a commit whose expected head is gone.
    github.inject(
        method="POST",
        path_regex=r"^/graphql$",
        fault=faults.stale_head(),
        skip=1,
    )

    run = action.run({"command": "rollback"})

    assert run.status == 0, run.stdout + run.stderr
    assert "Attempt 1 met a concurrent change" in run.stdout
    assert len(github.commits(REGISTRY)) == before + 1
    assert json.loads(run.outputs["manifest"])["version"] == "1.1.0"
    assert run.outputs["commit-sha"] == github.head(REGISTRY)


def test_a_manifest_from_before_the_branch_changed_is_fetched_where_it_is_now(
    github: FakeGitHub, action: Action
) -> None:
    old = "https://raw.githubusercontent.com/org/plugin-registry/master/plugins/calendar2.json"
    for version in ("1.0.0", "1.1.0"):  # registered while the registry's branch was master
        document = manifest("calendar2", version, manifestUrl=old)
        github.put_files(REGISTRY, registry_files(document), message=f"Register {version}")
    earlier = github.get_file(REGISTRY, MANIFEST) or b""
    register(action, ["1.2.0"])  # on main, where dashboards fetch it now
    now = json.loads(github.get_file(REGISTRY, MANIFEST) or b"")["manifestUrl"]

    run = action.run({"command": "rollback", "version": "1.1.0"})

    assert run.status == 0, run.stdout + run.stderr
    restored = github.get_file(REGISTRY, MANIFEST) or b""
    match = STAMP.search(restored)
    assert match is not None
    assert restored == restamped(earlier, match.group(1)).replace(old.encode(), now.encode())
    assert (
        json.loads(github.get_file(REGISTRY, "registry.json") or b"")["plugins"][0]["manifestUrl"]
        == now
    )
