"""`manifest-urls: commit`: index entries name the commit that wrote each manifest.

Through the console script, against the fake GitHub and against registry folders that are git
checkouts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from console import terminal
from fake_github import FakeGitHub
from git_checkouts import git, new_checkout
from harness import (
    READ_TOKEN,
    REGISTRY,
    Action,
    Run,
    docker_env,
    finish,
    manifest,
    registry,
    start,
)
from registry_action.core.strictjson import dumps
from registry_files import manifest as manifest_of
from registry_files import registry_files

RAW = "https://raw.githubusercontent.com/org/plugin-registry"
COMMIT = re.compile(
    r"^https://raw\.githubusercontent\.com/org/plugin-registry/([0-9a-f]{40})/plugins/"
)


def commit_named(entry: dict[str, Any]) -> str:
    found = COMMIT.match(entry["manifestUrl"])
    assert found, entry["manifestUrl"]
    return found.group(1)


def entries(github: FakeGitHub) -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in registry(github)["plugins"]}


def test_an_entry_names_the_commit_that_wrote_its_manifest(
    github: FakeGitHub, action: Action
) -> None:
    run = action.run({"version": "1.2.3", "manifest-urls": "commit"})
    assert run.status == 0, run.stdout + run.stderr
    entry = entries(github)["calendar2"]
    sha = commit_named(entry)
    manifest_commit, index_commit = github.commits(REGISTRY)[-2:]
    assert sha == manifest_commit.sha and manifest_commit.paths == ("plugins/calendar2.json",)
    assert index_commit.paths == ("registry.json",)
    # That commit holds the manifest exactly as the branch does now.
    assert github.get_file(REGISTRY, "plugins/calendar2.json", branch=sha) == github.get_file(
        REGISTRY, "plugins/calendar2.json"
    )
    # The manifest's own manifestUrl, and the output, stay the branch's.
    written = manifest(github, "calendar2")
    assert written is not None
    assert written["manifestUrl"] == f"{RAW}/main/plugins/calendar2.json"
    assert run.outputs["manifest-url"] == f"{RAW}/main/plugins/calendar2.json"
    assert entry == {
        "id": "calendar2",
        "name": "Calendar2",
        "version": "1.2.3",
        "manifestUrl": f"{RAW}/{sha}/plugins/calendar2.json",
    }


def test_a_rerun_writes_nothing_for_one_read(github: FakeGitHub, action: Action) -> None:
    inputs = {"version": "1.2.3", "manifest-urls": "commit"}
    assert action.run(inputs).status == 0
    github.reset_log()
    plain = action.run({"version": "1.2.3", "plugin-id": "other"})
    assert plain.status == 0
    github.reset_log()
    branch_rerun = action.run({"version": "1.2.3", "plugin-id": "other"})
    branch_requests = len(github.requests)
    github.reset_log()
    again = action.run(inputs)
    assert again.status == 0 and branch_rerun.status == 0
    assert again.outputs["changed"] == "false" and github.writes == []
    # The commit the entry names is read once, to see that it holds the manifest as it is.
    assert len(github.requests) == branch_requests + 1


def test_switching_a_plugin_over_names_its_last_commit_without_a_write(
    github: FakeGitHub, action: Action
) -> None:
    assert action.run({"version": "1.2.3"}).status == 0  # branch URLs
    manifest_commit = github.commits(REGISTRY)[-2].sha
    github.reset_log()
    run = action.run({"version": "1.2.3", "manifest-urls": "commit"})
    assert run.status == 0
    # The manifest is as that commit wrote it: only the index changes.
    assert [w.path for w in github.writes] == ["/repos/org/plugin-registry/contents/registry.json"]
    assert commit_named(entries(github)["calendar2"]) == manifest_commit


def test_other_entries_keep_their_form(github: FakeGitHub, action: Action) -> None:
    assert action.run({"version": "1.0.0", "plugin-id": "notes"}).status == 0
    assert action.run({"version": "1.2.3", "manifest-urls": "commit"}).status == 0
    found = entries(github)
    assert found["notes"]["manifestUrl"] == f"{RAW}/main/plugins/notes.json"
    commit_named(found["calendar2"])


@pytest.mark.parametrize(
    ("server", "isolation", "prefix"),
    [
        ("https://ghe.example.com", "true", "https://raw.ghe.example.com/org/plugin-registry"),
        ("https://ghe.example.com", "false", "https://ghe.example.com/raw/org/plugin-registry"),
    ],
)
def test_enterprise_forms(
    github: FakeGitHub, action: Action, server: str, isolation: str, prefix: str
) -> None:
    run = action.run(
        {"version": "1.2.3", "manifest-urls": "commit", "subdomain-isolation": isolation},
        GITHUB_SERVER_URL=server,
    )
    assert run.status == 0, run.stdout
    sha = github.commits(REGISTRY)[-2].sha
    assert entries(github)["calendar2"]["manifestUrl"] == f"{prefix}/{sha}/plugins/calendar2.json"
    written = manifest(github, "calendar2")
    assert written is not None
    assert written["manifestUrl"] == f"{prefix}/main/plugins/calendar2.json"


def test_a_base_url_that_names_no_branch_is_refused(github: FakeGitHub, action: Action) -> None:
    github.reset_log()
    run = action.run(
        {
            "version": "1.2.3",
            "manifest-urls": "commit",
            "manifest-base-url": "https://registry.pages.dev",
        }
    )
    assert run.status == 1
    assert run.errors == [
        "::error title=Invalid input::`manifest-urls: commit` names a commit where the raw-file "
        "URL names the branch, and input `manifest-base-url` https://registry.pages.dev does not "
        "end with the branch (main): leave it out, or give a URL ending with /main"
    ]
    assert github.writes == []


def test_unregister_removes_an_entry_that_names_a_commit(
    github: FakeGitHub, action: Action
) -> None:
    assert action.run({"version": "1.2.3", "manifest-urls": "commit"}).status == 0
    run = action.run({"command": "unregister"})
    assert run.status == 0
    assert registry(github)["plugins"] == []
    assert github.get_file(REGISTRY, "plugins/calendar2.json") is None


def test_racing_registrations_each_name_a_commit_holding_their_manifest(
    github: FakeGitHub, tmp_path: Path
) -> None:
    runs = []
    for i in range(6):
        env = docker_env(github, tmp_path / f"run{i}", **{"PLUGIN-ID": f"p{i}"})
        env["INPUT_MANIFEST-URLS"] = "commit"
        runs.append((start(env), env))
    for process, env in runs:
        done = finish(process, env)
        assert done.status == 0, done.stdout + done.stderr
    found = entries(github)
    assert sorted(found) == [f"p{i}" for i in range(6)]
    for plugin_id, entry in found.items():
        at_commit = github.get_file(
            REGISTRY, f"plugins/{plugin_id}.json", branch=commit_named(entry)
        )
        assert at_commit == github.get_file(REGISTRY, f"plugins/{plugin_id}.json")


def seed(github: FakeGitHub, files: dict[str, bytes]) -> None:
    for path, content in files.items():
        github.put_file(REGISTRY, path, content)
    github.reset_log()


def test_a_registration_lists_what_racing_runs_committed_each_at_its_commit(
    github: FakeGitHub, action: Action
) -> None:
    # Manifests committed and not listed yet: what runs racing this one leave until one of
    # them writes the index. This run's index write lists them, each naming its commit.
    seed(github, registry_files(manifest_of("early"), manifest_of("late"), listed=False))
    run = action.run({"version": "1.2.3", "manifest-urls": "commit"})
    assert run.status == 0, run.stdout + run.stderr
    assert "Also listing what concurrent runs registered: early, late" in run.stdout
    found = entries(github)
    assert sorted(found) == ["calendar2", "early", "late"]
    for plugin_id in ("early", "late"):
        last = next(
            c.sha
            for c in reversed(github.commits(REGISTRY))
            if f"plugins/{plugin_id}.json" in c.paths
        )
        assert commit_named(found[plugin_id]) == last
    assert action.run({"command": "validate", "manifest-urls": "commit"}).status == 0


def test_reindex_names_each_manifests_last_commit_in_one_commit(
    github: FakeGitHub, action: Action
) -> None:
    seed(github, registry_files(*(manifest_of(f"p{i}") for i in range(3))))
    last = {
        f"p{i}": next(
            c.sha for c in reversed(github.commits(REGISTRY)) if f"plugins/p{i}.json" in c.paths
        )
        for i in range(3)
    }
    run = action.run({"command": "reindex", "manifest-urls": "commit"})
    assert run.status == 0, run.stdout
    assert {plugin_id: commit_named(e) for plugin_id, e in entries(github).items()} == last
    assert [w.path for w in github.writes] == ["/graphql"]  # one commit, createCommitOnBranch
    # The history of all three came from one GraphQL query.
    queries = [r for r in github.requests if r.path == "/graphql" and b"history" in r.body]
    assert len(queries) == 1
    github.reset_log()
    again = action.run({"command": "reindex", "manifest-urls": "commit"})
    assert again.status == 0 and again.outputs["changed"] == "false"
    assert github.writes == []


def test_reindex_commits_converted_manifests_before_the_index_that_names_them(
    github: FakeGitHub, action: Action
) -> None:
    legacy = manifest_of("old", lastUpdated="2024-01-20T12:00:00.123456Z")
    seed(github, registry_files(legacy, manifest_of("new")))
    run = action.run({"command": "reindex", "manifest-urls": "commit"})
    assert run.status == 0, run.stdout
    manifests_commit, index_commit = github.commits(REGISTRY)[-2:]
    assert manifests_commit.paths == ("plugins/old.json",)
    assert index_commit.paths == ("registry.json",)
    assert commit_named(entries(github)["old"]) == manifests_commit.sha


def test_reindex_with_branch_urls_names_the_branch_again(
    github: FakeGitHub, action: Action
) -> None:
    assert action.run({"version": "1.2.3", "manifest-urls": "commit"}).status == 0
    assert action.run({"command": "reindex"}).status == 0
    assert entries(github)["calendar2"]["manifestUrl"] == f"{RAW}/main/plugins/calendar2.json"


def test_validate_reads_both_forms_and_finds_stale_commits(
    github: FakeGitHub, action: Action
) -> None:
    assert action.run({"version": "1.2.3", "manifest-urls": "commit"}).status == 0
    first = commit_named(entries(github)["calendar2"])
    assert action.run({"version": "1.0.0", "plugin-id": "notes"}).status == 0
    ok = action.run({"command": "validate"}, INPUT_TOKEN=READ_TOKEN)
    assert ok.status == 0, ok.stdout
    # A newer manifest, and the index still naming the commit of the older one.
    index = registry(github)
    assert action.run({"version": "1.2.4", "manifest-urls": "commit"}).status == 0
    github.put_file(
        REGISTRY,
        "registry.json",
        dumps(
            {**index, "plugins": [{**index["plugins"][0], "version": "1.2.4"}, index["plugins"][1]]}
        ),
    )
    github.reset_log()
    stale = action.run({"command": "validate"}, INPUT_TOKEN=READ_TOKEN)
    assert stale.status == 1
    latest = github.commits(REGISTRY)[-3].sha
    assert stale.errors == [
        "::error title=Registry problem,file=registry.json,line=9::the entry 'calendar2' names "
        f"commit {first}, but plugins/calendar2.json has changed since (last in {latest}): "
        "dashboards load it as it was then; set `command: reindex` with `manifest-urls: commit`, "
        "or register the plugin again"
    ]
    strict = action.run({"command": "validate", "manifest-urls": "commit"}, INPUT_TOKEN=READ_TOKEN)
    assert [e.split("::")[1] for e in strict.errors] == [
        "error title=Registry problem,file=registry.json,line=9",
        "error title=Registry problem,file=registry.json,line=15",
    ]
    assert "the entry 'notes' names the branch, not the commit" in strict.errors[1]
    assert github.writes == []


def test_pull_request_mode_says_it_writes_no_index(github: FakeGitHub, action: Action) -> None:
    run = action.run({"version": "1.2.3", "pull-request": "true", "manifest-urls": "commit"})
    assert run.status == 0, run.stdout
    assert (
        "::warning title=Input ignored::input `manifest-urls` is ignored: `pull-request: true` "
        "writes no "
        "registry.json: reindex writes it"
    ) in run.stdout


# A registry folder that is a git checkout.


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    return new_checkout(tmp_path / "plugin-registry")


def register(folder: Path, plugin_id: str, version: str, *extra: str) -> Run:
    return terminal(
        "register",
        "--registry-dir",
        str(folder),
        "--registry-repository",
        REGISTRY,
        "--plugin-id",
        plugin_id,
        "--version",
        version,
        *extra,
        cwd=folder.parent,
    )


def test_a_checkout_commits_each_write_and_names_the_manifests_commit(checkout: Path) -> None:
    done = register(checkout, "calendar", "1.0.0", "--manifest-urls", "commit")
    assert done.status == 0, done.stderr
    index_sha, manifest_sha = git(checkout, "log", "--format=%H").split()
    assert git(checkout, "show", "--name-only", "--format=", manifest_sha).split() == [
        "plugins/calendar.json"
    ]
    assert git(checkout, "show", "--name-only", "--format=", index_sha).split() == ["registry.json"]
    index = json.loads((checkout / "registry.json").read_text())
    assert index["plugins"][0]["manifestUrl"] == f"{RAW}/{manifest_sha}/plugins/calendar.json"
    assert git(checkout, "status", "--porcelain") == ""
    assert done.stderr.splitlines() == [
        f"warning: the index names commits made in {checkout}: push them as they are (a rebase "
        "or a squash gives them other shas, which the raw-file URLs would not find)"
    ]
    check = terminal(
        "validate", "--registry-dir", str(checkout), "--manifest-urls", "commit", cwd=checkout
    )
    assert check.status == 0, check.stderr


def test_a_folder_that_is_no_checkout_is_refused(tmp_path: Path) -> None:
    done = register(tmp_path / "registry", "calendar", "1.0.0", "--manifest-urls", "commit")
    assert done.status == 1
    assert done.stderr.splitlines() == [
        "error: `--manifest-urls commit` names the commit that writes each manifest, and "
        f"{tmp_path / 'registry'} is not a git checkout, so its writes make none"
    ]
    assert not (tmp_path / "registry").exists()


def test_uncommitted_registry_files_are_refused(checkout: Path) -> None:
    assert register(checkout, "calendar", "1.0.0").status == 0  # branch URLs, no commit
    before = (checkout / "registry.json").read_bytes()
    done = register(checkout, "calendar", "1.0.1", "--manifest-urls", "commit")
    assert done.status == 1
    assert done.stderr.splitlines() == [
        "error: `--manifest-urls commit` names the commit that writes each manifest, and "
        f"plugins/calendar.json, registry.json in {checkout} have changes no commit holds: "
        "commit or discard them first"
    ]
    assert (checkout / "registry.json").read_bytes() == before
    assert git(checkout, "log", "--oneline", "--all") == ""


def test_history_queries_github_stops_are_asked_again_in_halves(
    github: FakeGitHub, action: Action
) -> None:
    seed(github, registry_files(*(manifest_of(f"p{i:02}") for i in range(60))))
    github.graphql_histories = 20  # past 20 paths, a query runs into GitHub's 10 s limit
    run = action.run({"command": "reindex", "manifest-urls": "commit"})
    assert run.status == 0, run.stdout
    queries = [r for r in github.requests if r.path == "/graphql" and b"history(" in r.body]
    # 50 + 10 paths; the 50 stopped (502), then 25 + 25 stopped, then 13 + 12 four times.
    assert [r.status for r in queries].count(502) == 3
    assert all(entry["manifestUrl"].startswith(f"{RAW}/") for entry in entries(github).values())
    assert all(commit_named(entry) for entry in entries(github).values())


def test_a_branch_whose_url_is_percent_encoded_names_commits(
    github: FakeGitHub, action: Action
) -> None:
    github.create_branch(REGISTRY, "rel#1%")
    inputs = {"version": "1.2.3", "registry-branch": "rel#1%", "manifest-urls": "commit"}
    run = action.run(inputs)
    assert run.status == 0, run.stdout + run.stderr
    assert run.outputs["manifest-url"] == f"{RAW}/rel%231%25/plugins/calendar2.json"
    index = json.loads(github.get_file(REGISTRY, "registry.json", branch="rel#1%") or b"")
    sha = commit_named(index["plugins"][0])
    manifest_commit = github.commits(REGISTRY, branch="rel#1%")[-2]
    assert (manifest_commit.sha, manifest_commit.paths) == (sha, ("plugins/calendar2.json",))
