"""`promote` through the console script against the fake: staging to main directly and in
pull-request mode, to another repository, the version guard at the destination, and each bad
input as one line."""

from __future__ import annotations

import json
from pathlib import Path

from console import run_console
from fake_github import FakeGitHub
from harness import REGISTRY, Action
from strict_checks import assert_failed_cleanly

MANIFEST = "plugins/calendar2.json"
RAW = "https://raw.githubusercontent.com/org/plugin-registry"
INTEGRITY = "sha384-" + "A" * 64
PROMOTE = {"command": "promote", "registry-branch": "staging", "to-branch": "main"}


def on_staging(github: FakeGitHub, action: Action, version: str = "1.2.0") -> bytes:
    """Register the plugin on staging, with an integrity recorded; its manifest there."""
    if "staging" not in github.branches(REGISTRY):
        github.create_branch(REGISTRY, "staging")
    template = {"ui": {"integrity": INTEGRITY}, "owner": "team-calendar"}
    (action.workspace / "template.json").write_text(json.dumps(template))
    inputs = {
        "version": version,
        "registry-branch": "staging",
        "manifest-template": "template.json",
    }
    run = action.run(inputs)
    assert run.status == 0, run.stdout + run.stderr
    return github.get_file(REGISTRY, MANIFEST, branch="staging") or b""


def document(content: bytes | None) -> dict[str, object]:
    assert content is not None, "the file is missing"
    loaded: dict[str, object] = json.loads(content)
    return loaded


def test_promote_from_staging_to_main(github: FakeGitHub, action: Action) -> None:
    staged = on_staging(github, action)
    staging_head = github.head(REGISTRY, "staging")
    before = len(github.commits(REGISTRY, branch="main"))
    github.reset_log()

    run = action.run(PROMOTE)

    assert run.status == 0, run.stdout + run.stderr
    promoted = github.get_file(REGISTRY, MANIFEST, branch="main")
    stamp = str(document(promoted)["lastUpdated"])
    expected = staged.replace(f"{RAW}/staging/".encode(), f"{RAW}/main/".encode()).replace(
        str(document(staged)["lastUpdated"]).encode(), stamp.encode()
    )
    assert promoted == expected
    assert document(promoted)["ui"] == {
        "remoteEntry": "https://calendar2-ui.pages.dev/assets/remoteEntry.js",
        "expose": "./PluginApp",
        "integrity": INTEGRITY,
    }
    index = document(github.get_file(REGISTRY, "registry.json", branch="main"))
    assert index["plugins"] == [
        {
            "id": "calendar2",
            "name": "Calendar2",
            "version": "1.2.0",
            "manifestUrl": f"{RAW}/main/{MANIFEST}",
        }
    ]
    made = github.commits(REGISTRY, branch="main")[before:]
    assert [(c.paths, c.message) for c in made] == [
        ((MANIFEST,), "Promote plugin: calendar2 1.2.0"),
        (("registry.json",), "Promote plugin: calendar2 1.2.0"),
    ]
    assert github.head(REGISTRY, "staging") == staging_head  # the source is only read
    assert run.stdout.splitlines()[-1] == (
        "calendar2 1.2.0 from org/plugin-registry@staging registered in "
        "org/plugin-registry@main (plugins/calendar2.json, registry.json)"
    )
    assert run.outputs["manifest-url"] == f"{RAW}/main/{MANIFEST}"
    # Source: registry.json and the manifest; destination: one query for both and the listing
    # of plugins/ that finds an unlisted id's spelling, then two writes.
    assert len(github.requests) == 5
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in github.writes] == [
        ("PUT", "calendar2.json"),
        ("PUT", "registry.json"),
    ]
    github.reset_log()

    again = action.run(PROMOTE)

    assert again.status == 0, again.stdout + again.stderr
    assert github.writes == []
    assert again.stdout.splitlines()[-1] == (
        "calendar2 1.2.0 from org/plugin-registry@staging is already registered in "
        "org/plugin-registry@main: nothing written"
    )


def test_promote_to_a_protected_main_in_pull_request_mode(
    github: FakeGitHub, action: Action
) -> None:
    staged = on_staging(github, action)
    github.protect_branch(REGISTRY, "main")
    main_files = github.list_files(REGISTRY, branch="main")

    run = action.run({**PROMOTE, "pull-request": "true"})

    assert run.status == 0, run.stdout + run.stderr
    [pull] = github.pulls(REGISTRY)
    assert (pull.head, pull.base, pull.title) == (
        "registry/calendar2",
        "main",
        "Register plugin calendar2 1.2.0",
    )
    proposed = github.get_file(REGISTRY, MANIFEST, branch="registry/calendar2")
    assert {**document(proposed), "lastUpdated": None} == {
        **document(staged),
        "manifestUrl": f"{RAW}/main/{MANIFEST}",
        "lastUpdated": None,
    }
    assert github.list_files(REGISTRY, branch="main") == main_files  # nothing written there
    assert run.outputs["pull-request-number"] == "1"
    assert run.stdout.splitlines()[-1].startswith(
        "calendar2 1.2.0 from org/plugin-registry@staging proposed in pull request #1 ("
    )


def test_promote_to_another_repository(github: FakeGitHub, action: Action) -> None:
    github.add_repo("org/prod-registry", default_branch="live")
    staged = on_staging(github, action)

    run = action.run({**PROMOTE, "to-branch": "", "to-repository": "org/prod-registry"})

    assert run.status == 0, run.stdout + run.stderr
    promoted = document(github.get_file("org/prod-registry", MANIFEST, branch="live"))
    url = f"https://raw.githubusercontent.com/org/prod-registry/live/{MANIFEST}"
    assert {**promoted, "lastUpdated": None} == {
        **document(staged),
        "manifestUrl": url,
        "lastUpdated": None,
    }
    assert run.outputs["registry-url"] == (
        "https://raw.githubusercontent.com/org/prod-registry/live/registry.json"
    )


def test_the_version_guard_applies_at_the_destination(github: FakeGitHub, action: Action) -> None:
    on_staging(github, action, "1.2.0")
    assert action.run({"version": "2.0.0", "registry-branch": "main"}).status == 0
    github.reset_log()

    run = action.run(PROMOTE)

    assert_failed_cleanly(
        run,
        "::error title=Version downgrade refused::refusing to register calendar2 1.2.0: "
        "registry.json already has the higher version 2.0.0; register 2.0.0 or later, or set "
        "`allow-downgrade: true` to go back",
        github,
    )
    allowed = action.run({**PROMOTE, "allow-downgrade": "true"})
    assert allowed.status == 0, allowed.stdout + allowed.stderr
    assert document(github.get_file(REGISTRY, MANIFEST, branch="main"))["version"] == "1.2.0"


def refused(github: FakeGitHub, action: Action, inputs: dict[str, str], line: str) -> None:
    github.reset_log()
    run = action.run({"command": "promote", **inputs})
    assert_failed_cleanly(run, line, github)


def test_each_bad_input_is_one_line_and_writes_nothing(github: FakeGitHub, action: Action) -> None:
    on_staging(github, action)
    refused(
        github,
        action,
        {"registry-branch": "staging"},
        "::error title=Invalid input::input `to-branch` or `to-repository` is required: the "
        "environment to promote the plugin to",
    )
    assert github.requests == []
    refused(
        github,
        action,
        {"registry-branch": "staging", "to-branch": "staging"},
        "::error title=Invalid input::promote copies a plugin from one environment to another, "
        "but `to-branch` and `to-repository` name org/plugin-registry@staging, the registry it "
        "is promoted from",
    )
    refused(
        github,
        action,
        {"registry-branch": "staging", "to-repository": "prod"},
        "::error title=Invalid input::input `to-repository` must be owner/name, such as "
        "org/plugin-registry, not 'prod'",
    )
    refused(
        github,
        action,
        {"registry-branch": "staging", "to-branch": "main", "plugin-id": "weather"},
        "::error title=Invalid input::weather is not registered in org/plugin-registry@staging: "
        "there is nothing to promote",
    )
    refused(
        github,
        action,
        {"registry-branch": "staging", "to-branch": "production"},
        "::error title=GitHub refused the request::the branch 'production' does not exist in "
        "org/plugin-registry: create it or set `to-branch` to an existing branch",
    )


def test_a_registry_folder_cannot_be_promoted_from(tmp_path: Path) -> None:
    folder = tmp_path / "registry"
    folder.mkdir()
    args = ["promote", "--registry-dir", str(folder), "--plugin-id", "calendar"]
    run = run_console([*args, "--to-branch", "main"], {}, tmp_path / "run")
    assert run.status == 1
    assert run.stderr == (
        "error: promote needs registries on GitHub: `--registry-dir` names one folder, with no "
        "other environment to promote to\n"
    )
    assert list(folder.iterdir()) == []
