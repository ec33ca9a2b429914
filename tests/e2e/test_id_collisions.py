"""Ids that collide with what the registry holds: taken in its spelling, or refused in one line.

Two files differing only in case cannot both be checked out on macOS or Windows; two ids that
differ only in '.', '_' or '-' load one Module Federation container; a Windows device name
cannot be checked out on Windows at all. And a registry.json gone missing beside manifests is
rebuilt from them, never replaced by an index of one plugin.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console import Run, run_console, seed
from fake_github import FakeGitHub
from harness import REGISTRY, Action
from registry_action.core.strictjson import dumps
from registry_files import RAW, entry, manifest, registry_files
from strict_checks import assert_failed_cleanly

FOLDER_ARGS = ("--registry-repository", REGISTRY, "--version", "2.0.0")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.json")}


def register_in(folder: Path, plugin_id: str, tmp: Path) -> Run:
    args = ["register", "--registry-dir", str(folder), "--plugin-id", plugin_id, *FOLDER_ARGS]
    return run_console(args, {}, tmp)


def device_line(plugin_id: str, device: str, hint: str = "") -> str:
    return (
        f"::error title=Invalid input::the plugin id {plugin_id!r} is the Windows device name "
        f"{device}: a registry holding plugins/{plugin_id}.json cannot be checked out on "
        f"Windows: choose another id{hint}"
    )


DEVICES = [
    ("con", "CON"),
    ("NUL", "NUL"),
    ("aux.json", "AUX"),
    ("Prn", "PRN"),
    ("com1", "COM1"),
    ("lpt9", "LPT9"),
    ("nul.tar", "NUL"),
]


@pytest.mark.parametrize(("plugin_id", "device"), DEVICES, ids=[i for i, _ in DEVICES])
def test_a_windows_device_name_is_refused_before_any_request(
    github: FakeGitHub, action: Action, plugin_id: str, device: str
) -> None:
    run = action.run({"version": "1.2.3", "plugin-id": plugin_id})
    assert_failed_cleanly(run, device_line(plugin_id, device), github)
    assert github.requests == []


def test_a_repository_named_as_a_device_is_told_to_set_the_id(
    github: FakeGitHub, action: Action
) -> None:
    run = action.run({"version": "1.2.3"}, GITHUB_REPOSITORY="acme/COM3")
    assert_failed_cleanly(run, device_line("com3", "COM3", "; set `plugin-id`"), github)
    assert github.requests == []


def test_validate_reports_a_device_name_and_unregister_still_removes_it(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    seed(folder, registry_files(manifest("con"), manifest("todo")))
    run = run_console(["validate", "--registry-dir", str(folder)], {}, tmp_path / "v")
    assert run.status == 1
    assert run.stderr.splitlines() == [
        f"error: {folder}/plugins/con.json:2: the plugin id 'con' is the Windows device name "
        "CON: a registry holding plugins/con.json cannot be checked out on Windows: unregister "
        "the plugin and register it under another id"
    ]
    args = ["unregister", "--registry-dir", str(folder), "--plugin-id", "con"]
    assert run_console(args, {}, tmp_path / "u").status == 0
    assert sorted(snapshot(folder)) == ["plugins/todo.json", "registry.json"]


CONTAINER = (
    "::error title=Invalid input::the plugin id 'weath-er' loads the same Module Federation "
    "container as the plugin 'weather' (window.weather: dashboards keep only the letters and "
    "digits of an id), so one would replace the other: choose an id that differs from it in a "
    "letter or digit"
)


def test_an_id_loading_a_listed_plugin_s_container_is_refused(
    github: FakeGitHub, action: Action
) -> None:
    seeded = registry_files(manifest("weather"))
    github.put_files(REGISTRY, seeded)
    github.reset_log()
    run = action.run({"version": "1.2.3", "plugin-id": "weath-er"})
    assert_failed_cleanly(run, CONTAINER, github, frozenset(seeded))
    assert github.writes == [] and sorted(github.list_files(REGISTRY)) == sorted(seeded)


def test_pull_request_mode_refuses_an_id_loading_another_s_container(
    github: FakeGitHub, action: Action
) -> None:
    github.put_files(REGISTRY, {"plugins/weather.json": dumps(manifest("weather"))})
    github.reset_log()
    run = action.run({"version": "1.2.3", "plugin-id": "weath-er", "pull-request": "true"})
    assert_failed_cleanly(run, CONTAINER, github, frozenset({"plugins/weather.json"}))
    assert github.writes == [] and github.branches(REGISTRY) == ["main"]


def test_an_unlisted_file_in_another_case_is_updated_in_its_spelling(
    github: FakeGitHub, action: Action
) -> None:
    seeded = {
        **registry_files(manifest("todo")),
        "plugins/Calendar2.json": dumps(manifest("Calendar2")),
    }
    github.put_files(REGISTRY, seeded)
    run = action.run({"version": "1.2.3"})  # from acme/Calendar2: the id is calendar2
    assert run.status == 0, run.stdout + run.stderr
    assert sorted(github.list_files(REGISTRY)) == sorted(seeded)
    url = f"{RAW}/plugins/Calendar2.json"
    assert (run.outputs["plugin-id"], run.outputs["manifest-url"]) == ("Calendar2", url)
    written = json.loads(github.get_file(REGISTRY, "plugins/Calendar2.json") or b"")
    assert (written["id"], written["version"], written["manifestUrl"]) == (
        "Calendar2",
        "1.2.3",
        url,
    )
    index = json.loads(github.get_file(REGISTRY, "registry.json") or b"")
    assert [e["id"] for e in index["plugins"]] == ["todo", "Calendar2"]


def test_a_folder_s_unlisted_file_in_another_case_is_updated_in_its_spelling(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "reg"
    seed(folder, {**registry_files(manifest("todo")), "plugins/Calendar2.json": b"{}"})
    run = register_in(folder, "calendar2", tmp_path / "run")
    assert run.status == 0, run.stderr
    assert sorted(snapshot(folder)) == [
        "plugins/Calendar2.json",
        "plugins/todo.json",
        "registry.json",
    ]
    written = json.loads((folder / "plugins/Calendar2.json").read_text())
    assert (written["id"], written["manifestUrl"]) == ("Calendar2", f"{RAW}/plugins/Calendar2.json")


def test_a_re_registration_in_another_case_rewrites_a_stale_manifest_url(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    stale = manifest("Calendar2", manifestUrl=f"{RAW}/plugins/calendar2.json")
    seed(folder, registry_files(stale))
    check = ["validate", "--registry-dir", str(folder), "--registry-repository", REGISTRY]
    assert run_console(check, {}, tmp_path / "before").status == 1
    run = register_in(folder, "calendar2", tmp_path / "run")
    assert run.status == 0, run.stderr
    url = f"{RAW}/plugins/Calendar2.json"
    assert json.loads((folder / "plugins/Calendar2.json").read_text())["manifestUrl"] == url
    assert json.loads((folder / "registry.json").read_text())["plugins"] == [
        {"id": "Calendar2", "name": "calendar2", "version": "2.0.0", "manifestUrl": url}
    ]
    after = run_console(check, {}, tmp_path / "after")
    assert (after.status, after.stderr) == (0, "")


def test_a_missing_index_is_rebuilt_from_the_manifests_beside_it(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    found = [manifest("todo"), manifest("weather")]
    seed(folder, {f"plugins/{m['id']}.json": dumps(m) for m in found})
    run = register_in(folder, "calendar", tmp_path / "run")
    assert run.status == 0, run.stderr
    assert run.stderr == (
        "warning: registry.json did not exist: the new one also lists the 2 manifest(s) "
        "already in plugins/, as `registry-action reindex` would\n"
    )
    listed = json.loads((folder / "registry.json").read_text())["plugins"]
    assert [e["id"] for e in listed] == ["todo", "weather", "calendar"]
    assert listed[:2] == [entry(m) for m in found]


def test_a_missing_index_beside_the_plugin_s_own_manifest_is_written(
    github: FakeGitHub, action: Action
) -> None:
    github.put_files(REGISTRY, {"plugins/calendar2.json": dumps(manifest("calendar2"))})
    run = action.run({"version": "1.0.0"})
    assert run.status == 0, run.stdout + run.stderr
    assert run.outputs["changed"] == "true"
    index = json.loads(github.get_file(REGISTRY, "registry.json") or b"")
    assert [e["id"] for e in index["plugins"]] == ["calendar2"]


def test_a_missing_index_beside_a_damaged_manifest_is_refused(
    github: FakeGitHub, action: Action
) -> None:
    seeded = {"plugins/todo.json": dumps(manifest("todo")), "plugins/broken.json": b"{\n"}
    github.put_files(REGISTRY, seeded)
    github.reset_log()
    run = action.run({"version": "1.2.3"})
    line = (
        "::error title=Registry has problems::registry.json is missing, and plugins/ holds "
        "manifests a new index cannot list: plugins/broken.json line 2: plugins/broken.json is "
        "not valid JSON: Expecting property name enclosed in double quotes at line 2 column 1; "
        "fix or delete them (validate lists every problem), then run `command: reindex` to "
        "rebuild registry.json"
    )
    assert_failed_cleanly(run, line, github, frozenset(seeded))
    assert sorted(github.list_files(REGISTRY)) == sorted(seeded)


def test_a_missing_index_beside_one_id_in_two_cases_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    seed(folder, {f"plugins/{i}.json": dumps(manifest(i)) for i in ("Todo", "todo")})
    before = snapshot(folder)
    run = register_in(folder, "calendar", tmp_path / "run")
    assert run.status == 1
    assert run.stderr == (
        "error: registry.json is missing, and plugins/ holds manifests a new index cannot "
        "list: plugins/Todo.json: the plugin ids 'Todo' and 'todo' differ only in case; "
        "plugins/todo.json: the plugin ids 'Todo' and 'todo' differ only in case; fix or delete "
        "them (validate lists every problem), then run `registry-action reindex` to rebuild "
        "registry.json\n"
    )
    assert snapshot(folder) == before
