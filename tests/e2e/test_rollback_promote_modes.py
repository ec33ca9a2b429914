"""`maps` and `manifest-urls: commit` in rollback and promote, through the console script.

With `maps`, the maps change in the commit that writes `registry.json`; with
`manifest-urls: commit`, the entry names a commit that holds its manifest as the branch does:
the manifest is committed first, then the index naming that commit. After either command
`validate` with the same inputs passes, and a re-run writes nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from console import terminal
from fake_github import FakeGitHub, faults
from git_checkouts import git, new_checkout
from harness import READ_TOKEN, REGISTRY, Action

ALL = "module-federation,native-federation,import-map"
MAPS = ["maps/module-federation.json", "maps/native-federation.json", "maps/import-map.json"]
MANIFEST = "plugins/calendar2.json"
RAW = "https://raw.githubusercontent.com/org/plugin-registry"
COMMIT = re.compile(r"^https://raw\.githubusercontent\.com/[^/]+/[^/]+/([0-9a-f]{40})/plugins/")
TRAILER = "\n\nWorkflow-Run: https://github.com/acme/Calendar2/actions/runs/900"
PROMOTE = {"command": "promote", "registry-branch": "staging", "to-branch": "main"}


def remote_entry(version: str) -> str:
    """Each release is deployed at its own URL, so that the maps change with the version."""
    return f"https://cdn.example.com/calendar2/{version}/remoteEntry.js"


def register(action: Action, versions: list[str], **inputs: str) -> None:
    for version in versions:
        run = action.run({"version": version, "ui-remote-entry": remote_entry(version), **inputs})
        assert run.status == 0, run.stdout + run.stderr


def file_of(github: FakeGitHub, path: str, at: str = "main", repo: str = REGISTRY) -> Any:
    content = github.get_file(repo, path, branch=at)
    assert content is not None, f"{path} is missing at {at}"
    return json.loads(content)


def entry_of(github: FakeGitHub, at: str = "main", repo: str = REGISTRY) -> dict[str, Any]:
    [entry] = file_of(github, "registry.json", at, repo)["plugins"]
    found: dict[str, Any] = entry
    return found


def named_commit(entry: dict[str, Any]) -> str:
    found = COMMIT.match(entry["manifestUrl"])
    assert found, entry["manifestUrl"]
    return found.group(1)


def paths_since(github: FakeGitHub, before: int, branch: str | None = None) -> list[list[str]]:
    """The files of each commit made since the first ``before`` commits, sorted."""
    return [sorted(c.paths) for c in github.commits(REGISTRY, branch=branch)[before:]]


def passes_validate(action: Action, **inputs: str) -> None:
    run = action.run({"command": "validate", **inputs}, INPUT_TOKEN=READ_TOKEN)
    assert run.status == 0 and run.errors == [], run.stdout + run.stderr


def writes_nothing_again(github: FakeGitHub, action: Action, inputs: dict[str, str]) -> None:
    github.reset_log()
    again = action.run(inputs)
    assert again.status == 0, again.stdout + again.stderr
    assert again.outputs["changed"] == "false"
    assert github.writes == []


# -- rollback ---------------------------------------------------------------------------------


def test_rollback_with_maps_changes_them_in_its_one_commit(
    github: FakeGitHub, action: Action
) -> None:
    register(action, ["1.0.0", "1.1.0"], maps=ALL)
    before = len(github.commits(REGISTRY))
    rollback = {"command": "rollback", "version": "1.0.0", "maps": ALL}

    run = action.run(rollback)

    assert run.status == 0, run.stdout + run.stderr
    assert paths_since(github, before) == [sorted([MANIFEST, *MAPS, "registry.json"])]
    assert file_of(github, "maps/native-federation.json") == {"calendar2": remote_entry("1.0.0")}
    assert "::warning" not in run.stdout
    passes_validate(action, maps=ALL)
    writes_nothing_again(github, action, rollback)


def test_rollback_with_commit_urls_commits_the_manifest_then_the_index_naming_it(
    github: FakeGitHub, action: Action
) -> None:
    register(action, ["1.0.0", "1.1.0"], **{"manifest-urls": "commit"})
    before = len(github.commits(REGISTRY))
    rollback = {"command": "rollback", "version": "1.0.0", "manifest-urls": "commit"}

    run = action.run(rollback, GITHUB_RUN_ID="900")

    assert run.status == 0, run.stdout + run.stderr
    manifest_commit, index_commit = github.commits(REGISTRY)[before:]
    assert (manifest_commit.paths, index_commit.paths) == ((MANIFEST,), ("registry.json",))
    message = f"Roll back plugin: calendar2 to 1.0.0{TRAILER}"
    assert manifest_commit.message == index_commit.message == message
    entry = entry_of(github)
    assert entry == {
        "id": "calendar2",
        "name": "Calendar2",
        "version": "1.0.0",
        "manifestUrl": f"{RAW}/{manifest_commit.sha}/{MANIFEST}",
    }
    # The commit named holds the manifest exactly as the branch does; the manifest's own URL
    # stays the branch's.
    assert github.get_file(REGISTRY, MANIFEST, branch=manifest_commit.sha) == github.get_file(
        REGISTRY, MANIFEST
    )
    assert file_of(github, MANIFEST)["manifestUrl"] == f"{RAW}/main/{MANIFEST}"
    assert run.outputs["commit-sha"] == index_commit.sha
    passes_validate(action, **{"manifest-urls": "commit"})
    writes_nothing_again(github, action, rollback)


def test_rollback_with_commit_urls_and_maps_puts_the_maps_in_the_index_commit(
    github: FakeGitHub, action: Action
) -> None:
    inputs = {"manifest-urls": "commit", "maps": ALL}
    register(action, ["1.0.0", "1.1.0", "1.2.0"], **inputs)
    before = len(github.commits(REGISTRY))
    rollback = {"command": "rollback", "version": "1.1.0", **inputs}

    run = action.run(rollback)

    assert run.status == 0, run.stdout + run.stderr
    assert paths_since(github, before) == [[MANIFEST], sorted([*MAPS, "registry.json"])]
    assert named_commit(entry_of(github)) == github.commits(REGISTRY)[before].sha
    assert file_of(github, "maps/import-map.json")["imports"] == {
        "calendar2": remote_entry("1.1.0")
    }
    passes_validate(action, **inputs)
    writes_nothing_again(github, action, rollback)


def test_rollback_to_the_manifest_as_it_is_names_the_commit_that_holds_it(
    github: FakeGitHub, action: Action
) -> None:
    register(action, ["1.0.0"])  # its entry names the branch
    manifest_commit = github.commits(REGISTRY)[-2].sha
    stored = github.get_file(REGISTRY, MANIFEST)
    before = len(github.commits(REGISTRY))

    run = action.run({"command": "rollback", "version": "1.0.0", "manifest-urls": "commit"})

    # No commit can name itself, and none has to: the manifest stays as that commit wrote it.
    assert run.status == 0, run.stdout + run.stderr
    assert paths_since(github, before) == [["registry.json"]]
    assert github.get_file(REGISTRY, MANIFEST) == stored
    assert named_commit(entry_of(github)) == manifest_commit
    passes_validate(action, **{"manifest-urls": "commit"})


def test_a_refused_index_commit_is_retried_without_stepping_further_back(
    github: FakeGitHub, action: Action
) -> None:
    register(action, ["1.0.0", "1.1.0", "1.2.0"], **{"manifest-urls": "commit"})
    before = len(github.commits(REGISTRY))
    # GraphQL: the history's files, the manifest's commit, then the index's, refused.
    github.inject(
        method="POST",
        path_regex=r"^/graphql$",
        fault=faults.stale_head(),
        skip=2,
    )

    run = action.run({"command": "rollback", "manifest-urls": "commit"})

    assert run.status == 0, run.stdout + run.stderr
    assert "Attempt 1 met a concurrent change" in run.stdout
    # 1.1.0, the version before the current one when the run began, and not 1.0.0.
    assert json.loads(run.outputs["manifest"])["version"] == "1.1.0"
    assert paths_since(github, before) == [[MANIFEST], ["registry.json"]]
    assert entry_of(github)["version"] == "1.1.0"
    assert named_commit(entry_of(github)) == github.commits(REGISTRY)[before].sha
    assert "plugins/calendar2.json, registry.json" in run.stdout.splitlines()[-1]
    assert "| `calendar2` | 1.2.0 → 1.1.0 |" in run.summary
    passes_validate(action, **{"manifest-urls": "commit"})


def test_a_manifest_deleted_by_hand_is_restored_at_the_branch_url_not_the_entrys_commit(
    github: FakeGitHub, action: Action
) -> None:
    register(action, ["1.0.0", "1.1.0"], **{"manifest-urls": "commit"})
    github.remove_file(REGISTRY, MANIFEST)  # the index still lists it, at a commit
    before = len(github.commits(REGISTRY))

    run = action.run({"command": "rollback", "version": "1.1.0", "manifest-urls": "commit"})

    assert run.status == 0, run.stdout + run.stderr
    assert paths_since(github, before) == [[MANIFEST], ["registry.json"]]
    assert file_of(github, MANIFEST)["manifestUrl"] == f"{RAW}/main/{MANIFEST}"
    assert named_commit(entry_of(github)) == github.commits(REGISTRY)[before].sha
    passes_validate(action, **{"manifest-urls": "commit"})


def test_a_dry_run_with_commit_urls_shows_the_entry_and_writes_nothing(
    github: FakeGitHub, action: Action
) -> None:
    register(action, ["1.0.0", "1.1.0"], **{"manifest-urls": "commit", "maps": ALL})
    github.reset_log()

    run = action.run(
        {"command": "rollback", "manifest-urls": "commit", "maps": ALL, "dry-run": "true"}
    )

    assert run.status == 0, run.stdout + run.stderr
    assert github.writes == []
    zeros = "0" * 40
    assert f'+      "manifestUrl": "{RAW}/{zeros}/{MANIFEST}"' in run.stdout
    assert "+++ b/maps/native-federation.json" in run.stdout


# -- promote ----------------------------------------------------------------------------------


def on_staging(github: FakeGitHub, action: Action, version: str = "1.2.0") -> None:
    github.create_branch(REGISTRY, "staging")
    register(action, [version], **{"registry-branch": "staging"})


def test_promote_with_maps_writes_them_with_the_destinations_index(
    github: FakeGitHub, action: Action
) -> None:
    on_staging(github, action)
    staging_head = github.head(REGISTRY, "staging")
    before = len(github.commits(REGISTRY, branch="main"))
    promote = {**PROMOTE, "maps": ALL}

    run = action.run(promote)

    assert run.status == 0, run.stdout + run.stderr
    assert paths_since(github, before, "main") == [[MANIFEST], sorted([*MAPS, "registry.json"])]
    assert file_of(github, "maps/native-federation.json") == {"calendar2": remote_entry("1.2.0")}
    assert github.head(REGISTRY, "staging") == staging_head  # the source is only read
    assert "::warning" not in run.stdout  # the input is taken, not ignored
    passes_validate(action, maps=ALL)
    writes_nothing_again(github, action, promote)


def test_promote_with_commit_urls_names_the_destinations_commit(
    github: FakeGitHub, action: Action
) -> None:
    prod = "org/prod-registry"
    github.add_repo(prod, default_branch="live")
    on_staging(github, action)
    inputs = {"manifest-urls": "commit", "maps": ALL}
    promote = {**PROMOTE, "to-branch": "", "to-repository": prod, **inputs}

    run = action.run(promote)

    assert run.status == 0, run.stdout + run.stderr
    manifest_commit, index_commit = github.commits(prod, branch="live")[-2:]
    assert manifest_commit.paths == (MANIFEST,)
    assert sorted(index_commit.paths) == sorted([*MAPS, "registry.json"])
    # The destination's raw-file URL, at the destination's commit.
    prod_raw = f"https://raw.githubusercontent.com/{prod}"
    entry = entry_of(github, "live", prod)
    assert entry["manifestUrl"] == f"{prod_raw}/{manifest_commit.sha}/{MANIFEST}"
    assert file_of(github, MANIFEST, "live", prod)["manifestUrl"] == f"{prod_raw}/live/{MANIFEST}"
    assert run.outputs["manifest-url"] == f"{prod_raw}/live/{MANIFEST}"
    assert "::warning" not in run.stdout
    passes_validate(action, **{"registry-repository": prod, **inputs})
    writes_nothing_again(github, action, promote)


def test_promote_in_pull_request_mode_proposes_the_manifest_and_says_what_it_ignores(
    github: FakeGitHub, action: Action
) -> None:
    on_staging(github, action)
    github.protect_branch(REGISTRY, "main")
    main_files = github.list_files(REGISTRY, branch="main")

    run = action.run({**PROMOTE, "pull-request": "true", "manifest-urls": "commit", "maps": ALL})

    assert run.status == 0, run.stdout + run.stderr
    [pull] = github.pulls(REGISTRY)
    assert (pull.head, pull.base) == ("registry/calendar2", "main")
    assert github.list_files(REGISTRY, branch="registry/calendar2") == sorted(
        [*main_files, MANIFEST]
    )
    assert github.list_files(REGISTRY, branch="main") == main_files
    ignored = "`pull-request: true` writes no registry.json: reindex writes it"
    assert [line for line in run.stdout.splitlines() if line.startswith("::warning")] == [
        f"::warning title=Input ignored::input `{name}` is ignored: {ignored}"
        for name in ("manifest-urls", "maps")
    ]


# -- a registry folder that is a git checkout -------------------------------------------------


def test_rollback_in_a_checkout_commits_the_manifest_then_the_index(tmp_path: Path) -> None:
    folder = new_checkout(tmp_path / "plugin-registry")
    where = ("--registry-dir", str(folder), "--registry-repository", REGISTRY)
    modes = ("--manifest-urls", "commit", "--maps", "import-map")
    for version in ("1.0.0", "1.1.0"):
        done = terminal(
            "register", *where, "--plugin-id", "calendar", "--version", version,
            "--ui-remote-entry", remote_entry(version), *modes, cwd=tmp_path,
        )  # fmt: skip
        assert done.status == 0, done.stderr

    done = terminal("rollback", *where, "--plugin-id", "calendar", *modes, cwd=tmp_path)

    assert done.status == 0, done.stderr
    index_sha, manifest_sha = git(folder, "log", "-2", "--format=%H").split()
    assert git(folder, "show", "--name-only", "--format=", manifest_sha).split() == [
        "plugins/calendar.json"
    ]
    assert sorted(git(folder, "show", "--name-only", "--format=", index_sha).split()) == [
        "maps/import-map.json",
        "registry.json",
    ]
    [entry] = json.loads((folder / "registry.json").read_text())["plugins"]
    assert (entry["version"], named_commit(entry)) == ("1.0.0", manifest_sha)
    assert git(folder, "status", "--porcelain") == ""
    check = terminal("validate", "--registry-dir", str(folder), *modes, cwd=tmp_path)
    assert check.status == 0, check.stderr
