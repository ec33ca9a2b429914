"""Ids matched regardless of case, and the legacy forms a clone-and-push script left."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from registry_action.core.documents import check_registry
from registry_action.core.registry import find_entry, remove, upsert
from registry_action.core.reindex import conversion
from registry_action.core.strictjson import dumps
from registry_action.core.validation import Problem, find_problems
from registry_action.errors import DamagedFileError
from registry_action.store.local import LocalStore
from registry_files import entry, manifest, registry, registry_files

NOW = "2024-03-01T00:00:00.000Z"
UNEXPANDED = "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)"


def test_an_update_in_another_case_keeps_the_entry_s_spelling_and_position() -> None:
    listed = [entry(manifest("Calendar2")), entry(manifest("todo"))]
    update = {**entry(manifest("calendar2", "2.0.0")), "name": "Calendar2"}
    result = upsert(registry(listed), update, NOW)
    assert result is not None
    assert [(e["id"], e["version"]) for e in result["plugins"]] == [
        ("Calendar2", "2.0.0"),
        ("todo", "1.0.0"),
    ]
    assert find_entry(result, "CALENDAR2") == result["plugins"][0]
    assert remove(result, "calendar2", NOW) == {**result, "plugins": [listed[1]]}


def test_ids_differing_only_in_case_are_damage_naming_both() -> None:
    document = registry([entry(manifest("Calendar2")), entry(manifest("calendar2"))])
    with pytest.raises(DamagedFileError) as caught:
        check_registry("registry.json", document)
    assert str(caught.value) == (
        "registry.json is damaged: the plugin ids 'Calendar2' and 'calendar2' differ only in "
        "case (at /plugins/0, /plugins/1)"
    )


def test_validate_names_both_ids_that_differ_only_in_case() -> None:
    files = registry_files(manifest("Calendar2"), manifest("calendar2"))
    index = files.pop("registry.json")
    problems = [p for p in find_problems(index, files) if p.severity == "error"]
    assert problems == [
        Problem(
            "error",
            "registry.json",
            12,
            "the plugin ids 'Calendar2' and 'calendar2' differ only in case (first at line 6, "
            "again at /plugins/1): remove one of the entries",
        )
    ]


def test_conversion_keeps_the_moment_of_a_readable_stamp_and_dates_the_rest() -> None:
    files = {
        "plugins/A.json": dumps(manifest("A", lastUpdated=UNEXPANDED)),
        "plugins/b.json": dumps(manifest("b", lastUpdated="2024-01-20T13:00:00.123456+01:00")),
        "plugins/c.json": dumps(manifest("c")),
    }
    index = {**registry([entry(manifest(i)) for i in "Abc"]), "lastUpdated": "20240120T1200Z"}
    committed = {"plugins/A.json": datetime(2024, 1, 5, 9, 30, tzinfo=UTC)}
    asked: list[str] = []

    def last_changed(path: str) -> datetime | None:
        asked.append(path)
        return committed.get(path)

    plan = conversion(index, files, NOW, last_changed)

    assert asked == ["plugins/A.json"]  # history is read only where the stamp names no moment
    assert {path: m["lastUpdated"] for path, m in plan.manifests.items()} == {
        "plugins/A.json": "2024-01-05T09:30:00.000Z",
        "plugins/b.json": "2024-01-20T12:00:00.123Z",
    }
    assert plan.index == {**index, "lastUpdated": "2024-01-20T12:00:00.000Z"}
    converted = {**files, **{p: dumps(m) for p, m in plan.manifests.items()}}
    again = conversion(plan.index, converted, NOW, last_changed)
    assert (again.manifests, again.index) == ({}, None)


def test_a_stamp_without_history_becomes_the_run_s_time() -> None:
    files = {"plugins/A.json": dumps(manifest("A", lastUpdated=UNEXPANDED))}
    plan = conversion(registry([entry(manifest("A"))]), files, NOW, lambda _: None)
    assert plan.manifests["plugins/A.json"]["lastUpdated"] == NOW
    assert plan.index is None


def test_a_folder_outside_a_git_checkout_has_no_history(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.write("plugins/A.json", b"{}\n", None, "add")
    assert store.last_changed("plugins/A.json") is None


def test_a_git_checkout_answers_with_the_commit_date(tmp_path: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins/A.json").write_text("{}\n")
    subprocess.run([*git, "add", "-A"], cwd=tmp_path, check=True)
    env = {**os.environ, "GIT_COMMITTER_DATE": "2024-01-05T09:30:00+02:00"}
    subprocess.run([*git, "commit", "-qm", "add"], cwd=tmp_path, env=env, check=True)
    (tmp_path / "plugins/B.json").write_text("{}\n")  # never committed

    store = LocalStore(tmp_path)
    assert store.last_changed("plugins/A.json") == datetime(2024, 1, 5, 7, 30, tzinfo=UTC)
    assert store.last_changed("plugins/B.json") is None
