"""The lifecycle commands through the console script on a local registry folder."""

from __future__ import annotations

import json
from pathlib import Path

from console import Run, run_console, seed, validate_checkout
from registry_action.core.strictjson import dumps
from registry_files import entry, manifest, registry, registry_files

REPO = "org/plugin-registry"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.json")}


def cli(tmp_path: Path, *args: str) -> Run:
    return run_console(args, {}, tmp_path / "run")


def register(tmp_path: Path, version: str, *extra: str) -> Run:
    return cli(
        tmp_path,
        "register",
        "--registry-dir",
        str(tmp_path / "reg"),
        "--registry-repository",
        REPO,
        "--plugin-id",
        "calendar",
        "--version",
        version,
        *extra,
    )


def test_a_downgrade_is_refused_in_one_line_unless_allowed(tmp_path: Path) -> None:
    assert register(tmp_path, "1.4.2").status == 0
    before = snapshot(tmp_path / "reg")
    refused = register(tmp_path, "1.4.1")
    assert refused.status == 1
    assert refused.stderr == (
        "error: refusing to register calendar 1.4.1: registry.json already has the higher "
        "version 1.4.2; register 1.4.2 or later, or pass `--allow-downgrade` to go back\n"
    )
    assert snapshot(tmp_path / "reg") == before
    assert register(tmp_path, "1.4.2").status == 0  # the same version again is fine
    allowed = register(tmp_path, "1.4.1", "--allow-downgrade")
    assert allowed.status == 0, allowed.stderr
    assert "warning: calendar goes down from 1.4.2" in allowed.stderr
    assert json.loads((tmp_path / "reg/registry.json").read_text())["plugins"][0]["version"] == (
        "1.4.1"
    )


def test_dry_run_register_prints_the_diff_and_writes_nothing(tmp_path: Path) -> None:
    assert register(tmp_path, "1.0.0").status == 0
    before = snapshot(tmp_path / "reg")
    run = register(tmp_path, "1.1.0", "--dry-run")
    assert run.status == 0, run.stderr
    assert snapshot(tmp_path / "reg") == before
    assert '-  "version": "1.0.0",\n+  "version": "1.1.0",' in run.stdout
    assert "--- a/registry.json\n+++ b/registry.json" in run.stdout
    assert run.outputs["changed"] == "true" and run.outputs["commit-sha"] == ""
    assert "| `calendar` | 1.0.0 → 1.1.0 |" in run.summary
    assert run.summary.count("```diff") == 2


def test_unregister_removes_both_files_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    seed(folder, registry_files(manifest("calendar"), manifest("todo")))
    first = cli(tmp_path, "unregister", "--registry-dir", str(folder), "--plugin-id", "calendar")
    assert first.status == 0, first.stderr
    assert first.outputs["changed"] == "true"
    assert f"calendar unregistered in {folder} (registry.json, plugins/calendar.json)" in (
        first.stdout
    )
    assert sorted(snapshot(folder)) == ["plugins/todo.json", "registry.json"]
    again = cli(tmp_path, "unregister", "--registry-dir", str(folder), "--plugin-id", "calendar")
    assert again.status == 0 and again.outputs["changed"] == "false"
    assert f"calendar is not registered in {folder}: nothing written" in again.stdout


def test_unregister_of_an_id_listed_in_another_case_removes_that_file(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    seed(folder, registry_files(manifest("Calendar2"), manifest("todo")))
    args = ("--registry-repository", "org/plugin-registry", "--plugin-id", "calendar2")
    run = cli(tmp_path, "unregister", "--registry-dir", str(folder), *args)
    assert run.status == 0, run.stderr
    assert sorted(snapshot(folder)) == ["plugins/todo.json", "registry.json"]
    assert run.outputs["plugin-id"] == "Calendar2"
    assert run.outputs["manifest-url"] == (
        "https://raw.githubusercontent.com/org/plugin-registry/main/plugins/Calendar2.json"
    )


def test_reindex_lists_a_hand_added_manifest_and_is_idempotent(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    seed(folder, registry_files(manifest("todo")))
    seed(folder, {"plugins/calendar.json": dumps(manifest("calendar"))})
    run = cli(tmp_path, "reindex", "--registry-dir", str(folder))
    assert run.status == 0, run.stderr
    listed = json.loads((folder / "registry.json").read_text())["plugins"]
    assert listed == [entry(manifest("todo")), entry(manifest("calendar"))]
    assert "| `calendar` | — → 1.0.0 | `registry.json` |" in run.summary
    again = cli(tmp_path, "reindex", "--registry-dir", str(folder))
    assert again.status == 0 and again.outputs["changed"] == "false"


def test_reindex_refuses_a_damaged_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    seed(folder, {**registry_files(manifest("todo")), "plugins/broken.json": b"{"})
    before = snapshot(folder)
    run = cli(tmp_path, "reindex", "--registry-dir", str(folder))
    assert run.status == 1
    assert run.stderr.startswith("error: reindex refused: 1 manifest(s) have problems")
    assert "plugins/broken.json line 1" in run.stderr and "Traceback" not in run.stderr
    assert snapshot(folder) == before


def test_validate_reports_every_problem_with_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    calendar = manifest("calendar")
    seed(folder, registry_files(calendar))
    seed(
        folder,
        {
            "registry.json": dumps(registry([entry(calendar), entry(calendar)])),
            "plugins/broken.json": b"{\n  oops\n}\n",
        },
    )
    run = cli(tmp_path, "validate", "--registry-dir", str(folder))
    assert run.status == 1
    assert run.stderr.splitlines() == [
        f"error: {folder}/registry.json:12: the plugin id 'calendar' is listed more than once "
        "(first at line 6, again at /plugins/1): remove one of the entries",
        f"warning: {folder}/plugins/broken.json: this manifest is listed nowhere in "
        "registry.json, so dashboards do not load it: register the plugin, run reindex, or "
        "delete the file",
        f"error: {folder}/plugins/broken.json:2: plugins/broken.json is not valid JSON: "
        "Expecting property name enclosed in double quotes at line 2 column 3",
    ]
    assert f"{folder}: 2 error(s), 1 warning(s)" in run.stdout


def test_validate_of_a_sound_registry_succeeds(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    seed(folder, registry_files(manifest("calendar"), manifest("todo")))
    run = cli(tmp_path, "validate", "--registry-dir", str(folder))
    assert (run.status, run.stderr) == (0, "")
    assert f"{folder}: no problems found" in run.stdout


def test_validate_in_actions_checks_the_workspace_checkout(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    seed(workspace, registry_files(manifest("calendar")))
    (workspace / "plugins/calendar.json").unlink()
    run = validate_checkout(workspace, tmp_path / "run")
    assert run.status == 1
    assert run.errors == [
        "::error title=Registry problem,file=registry.json,line=5::the entry 'calendar' points "
        "at plugins/calendar.json, which does not exist: register the plugin again or remove "
        "the entry (unregister)"
    ]
    assert "| ❌ error | `registry.json` | 5 |" in run.summary


def test_validate_without_a_registry_says_what_is_needed(tmp_path: Path) -> None:
    env = {"GITHUB_WORKSPACE": str(tmp_path), "INPUT_COMMAND": "validate"}
    run = run_console([], env, tmp_path / "run")
    assert run.status == 1
    assert run.stderr == (
        "error: input `registry-repository` is required, unless validate runs in a checkout "
        f"of the registry (there is no registry.json in {tmp_path})\n"
    )
