"""`maps`: maps for other hosts, written in the same commit as registry.json.

Through the console script, against the fake GitHub and a registry folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from console import terminal
from fake_github import FakeGitHub
from harness import (
    READ_TOKEN,
    REGISTRY,
    Action,
    docker_env,
    finish,
    registry,
    start,
)
from registry_action.core.maps import build_maps
from registry_files import manifest as manifest_of
from registry_files import registry_files

ALL = "module-federation,native-federation,import-map"
MAPS = ["maps/module-federation.json", "maps/native-federation.json", "maps/import-map.json"]


def stored_map(github: FakeGitHub, path: str, branch: str | None = None) -> Any:
    content = github.get_file(REGISTRY, path, branch=branch)
    assert content is not None, path
    return json.loads(content)


def agree_at(github: FakeGitHub, commit: str) -> None:
    """At ``commit``, every map is what the index and the manifests there give."""
    index = json.loads(github.get_file(REGISTRY, "registry.json", branch=commit) or b"")
    manifests = {
        f"plugins/{e['id']}.json": json.loads(
            github.get_file(REGISTRY, f"plugins/{e['id']}.json", branch=commit) or b""
        )
        for e in index["plugins"]
    }
    for path, expected in build_maps(index, manifests, ALL.split(",")).items():
        assert stored_map(github, path, commit) == expected, path


def test_register_writes_the_maps_with_the_index_in_one_commit(
    github: FakeGitHub, action: Action
) -> None:
    run = action.run({"version": "1.2.3", "maps": ALL})
    assert run.status == 0, run.stdout + run.stderr
    manifest_commit, index_commit = github.commits(REGISTRY)[-2:]
    assert manifest_commit.paths == ("plugins/calendar2.json",)
    assert sorted(index_commit.paths) == sorted([*MAPS, "registry.json"])
    url = "https://calendar2-ui.pages.dev/assets/remoteEntry.js"
    assert stored_map(github, "maps/module-federation.json") == [
        {"name": "calendar2", "entry": url, "type": "var", "entryGlobalName": "calendar2"}
    ]
    assert stored_map(github, "maps/native-federation.json") == {"calendar2": url}
    assert stored_map(github, "maps/import-map.json") == {
        "imports": {"calendar2": url},
        "integrity": {},
    }
    # Two commits, as without maps; the second one through createCommitOnBranch.
    assert [w.path for w in github.writes] == [
        "/repos/org/plugin-registry/contents/plugins/calendar2.json",
        "/graphql",
    ]


def test_a_rerun_writes_nothing_and_a_new_plugin_updates_every_map(
    github: FakeGitHub, action: Action
) -> None:
    assert action.run({"version": "1.2.3", "maps": ALL}).status == 0
    github.reset_log()
    again = action.run({"version": "1.2.3", "maps": ALL})
    assert again.status == 0 and again.outputs["changed"] == "false"
    assert github.writes == []
    assert action.run({"version": "1.0.0", "plugin-id": "team.board", "maps": ALL}).status == 0
    assert stored_map(github, "maps/native-federation.json") == {
        "calendar2": "https://calendar2-ui.pages.dev/assets/remoteEntry.js",
        "teamboard": "https://team.board-ui.pages.dev/assets/remoteEntry.js",
    }
    agree_at(github, github.head(REGISTRY))


def test_turning_maps_on_writes_them_though_the_index_is_unchanged(
    github: FakeGitHub, action: Action
) -> None:
    assert action.run({"version": "1.2.3"}).status == 0
    github.reset_log()
    run = action.run({"version": "1.2.3", "maps": "import-map"})
    assert run.status == 0 and run.outputs["changed"] == "true"
    assert github.commits(REGISTRY)[-1].paths == ("maps/import-map.json",)


def test_unregister_takes_the_plugin_out_of_the_maps_in_the_index_commit(
    github: FakeGitHub, action: Action
) -> None:
    assert action.run({"version": "1.2.3", "maps": ALL}).status == 0
    assert action.run({"version": "1.0.0", "plugin-id": "notes", "maps": ALL}).status == 0
    run = action.run({"command": "unregister", "maps": ALL})
    assert run.status == 0, run.stdout
    index_commit = github.commits(REGISTRY)[-1]  # the entry, the file and the maps together
    assert sorted(index_commit.paths) == sorted([*MAPS, "plugins/calendar2.json", "registry.json"])
    assert list(stored_map(github, "maps/native-federation.json")) == ["notes"]
    agree_at(github, index_commit.sha)


def test_racing_registrations_leave_maps_that_agree(github: FakeGitHub, tmp_path: Path) -> None:
    runs = []
    for i in range(5):
        env = docker_env(github, tmp_path / f"run{i}", **{"PLUGIN-ID": f"p{i}", "MAPS": ALL})
        runs.append((start(env), env))
    for process, env in runs:
        done = finish(process, env)
        assert done.status == 0, done.stdout + done.stderr
    assert sorted(e["id"] for e in registry(github)["plugins"]) == [f"p{i}" for i in range(5)]
    # Every commit that wrote the index wrote the maps that agree with it.
    for commit in github.commits(REGISTRY):
        if "registry.json" in commit.paths:
            agree_at(github, commit.sha)


def seed(github: FakeGitHub, files: dict[str, bytes]) -> None:
    for path, content in files.items():
        github.put_file(REGISTRY, path, content)
    github.reset_log()


def test_reindex_writes_index_and_maps_in_one_commit_and_validate_checks_them(
    github: FakeGitHub, action: Action
) -> None:
    seed(github, registry_files(manifest_of("calendar"), manifest_of("notes"), listed=False))
    missing = action.run({"command": "validate", "maps": ALL}, INPUT_TOKEN=READ_TOKEN)
    assert missing.status == 1
    assert [line.split("::", 2)[1] for line in missing.errors] == [
        f"error title=Registry problem,file={path}" for path in sorted(MAPS)
    ]
    assert missing.errors[0].endswith(
        "::there is no such map, though it is asked for: set `command: reindex` with "
        f"`maps: {ALL}` to write it"
    )
    run = action.run({"command": "reindex", "maps": ALL})
    assert run.status == 0, run.stdout
    assert sorted(github.commits(REGISTRY)[-1].paths) == sorted([*MAPS, "registry.json"])
    agree_at(github, github.head(REGISTRY))
    ok = action.run({"command": "validate", "maps": ALL}, INPUT_TOKEN=READ_TOKEN)
    assert ok.status == 0, ok.stdout
    # A registration without the input leaves the maps behind: validate says which.
    assert action.run({"version": "1.0.0", "plugin-id": "todo"}).status == 0
    stale = action.run({"command": "validate", "maps": "native-federation"}, INPUT_TOKEN=READ_TOKEN)
    assert stale.errors == [
        "::error title=Registry problem,file=maps/native-federation.json::this map does not "
        "agree with registry.json (lacks todo): set `command: reindex` with "
        "`maps: native-federation` to write it"
    ]


def test_dry_run_shows_the_maps_and_writes_nothing(github: FakeGitHub, action: Action) -> None:
    run = action.run({"version": "1.2.3", "maps": "native-federation", "dry-run": "true"})
    assert run.status == 0, run.stdout
    assert "+++ b/maps/native-federation.json" in run.stdout
    assert github.writes == []


def test_a_folder_gets_its_maps_too(tmp_path: Path) -> None:
    folder = tmp_path / "registry"
    done = terminal(
        "register", "--registry-dir", str(folder), "--registry-repository", REGISTRY,
        "--plugin-id", "calendar", "--version", "1.0.0", "--maps", "import-map",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.status == 0, done.stderr
    assert json.loads((folder / "maps/import-map.json").read_text()) == {
        "imports": {"calendar": "https://calendar-ui.pages.dev/assets/remoteEntry.js"},
        "integrity": {},
    }
    bad = terminal("register", "--registry-dir", str(folder), "--maps", "webpack", cwd=tmp_path)
    assert bad.status == 2
    assert bad.stderr.splitlines() == [
        "error: `--maps` must be a comma-separated list of module-federation, "
        "native-federation, import-map, not 'webpack'; see `registry-action register --help`"
    ]


def test_maps_with_commit_urls_in_register_and_reindex(github: FakeGitHub, action: Action) -> None:
    inputs = {"maps": ALL, "manifest-urls": "commit"}
    assert action.run({"version": "1.2.3", **inputs}).status == 0
    manifest_commit = github.commits(REGISTRY)[-2].sha
    [listed] = registry(github)["plugins"]
    assert f"/{manifest_commit}/plugins/calendar2.json" in listed["manifestUrl"]
    agree_at(github, github.head(REGISTRY))
    github.reset_log()
    again = action.run({"command": "reindex", **inputs})
    assert again.status == 0 and again.outputs["changed"] == "false"
    assert github.writes == []


def test_a_registration_lists_what_racing_runs_committed_in_the_maps_too(
    github: FakeGitHub, action: Action
) -> None:
    seed(github, registry_files(manifest_of("early"), manifest_of("late"), listed=False))
    run = action.run({"version": "1.2.3", "maps": ALL})
    assert run.status == 0, run.stdout + run.stderr
    assert sorted(stored_map(github, "maps/native-federation.json")) == [
        "calendar2",
        "early",
        "late",
    ]
    manifest_commit, index_commit = github.commits(REGISTRY)[-2:]
    assert manifest_commit.paths == ("plugins/calendar2.json",)
    assert sorted(index_commit.paths) == sorted([*MAPS, "registry.json"])
    agree_at(github, index_commit.sha)
