"""Rebuilding the index from the manifests."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry_action.core.documents import REGISTRY_PATH, check_registry
from registry_action.core.reindex import conversion, index_faults, rebuild
from registry_action.core.strictjson import dumps
from registry_action.engine.bulk import batches
from registry_action.errors import RegistryProblemsError
from registry_action.store.interface import CommitLimit, FileWrite
from registry_files import entry, manifest, registry

NOW = "2024-03-01T00:00:00.000Z"


def test_a_missing_index_is_built_with_entries_sorted_by_id() -> None:
    rebuilt = rebuild(None, [manifest("todo"), manifest("calendar")], NOW)
    assert rebuilt == {
        "version": "1.0.0",
        "lastUpdated": NOW,
        "plugins": [entry(manifest("calendar")), entry(manifest("todo"))],
    }


def test_kept_entries_keep_position_and_unknown_fields_new_ones_are_appended() -> None:
    current = registry(
        [
            {**entry(manifest("zeta")), "owner": "team-z"},
            entry(manifest("gone")),
            entry(manifest("alpha", "1.0.0")),
        ],
        mirror="https://mirror.example",
    )
    found = [manifest("alpha", "1.1.0"), manifest("zeta"), manifest("beta"), manifest("aaa")]
    rebuilt = rebuild(current, found, NOW)
    assert rebuilt == {
        "version": "1.0.0",
        "lastUpdated": NOW,
        "plugins": [
            {**entry(manifest("zeta")), "owner": "team-z"},
            entry(manifest("alpha", "1.1.0")),
            entry(manifest("aaa")),
            entry(manifest("beta")),
        ],
        "mirror": "https://mirror.example",
    }


def test_an_index_that_already_agrees_is_left_alone() -> None:
    current = registry([entry(manifest("calendar"))])
    assert rebuild(current, [manifest("calendar", lastUpdated=NOW)], NOW) is None


ids = st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), unique=True, max_size=6)


@given(existing=ids, present=ids, extra=st.dictionaries(st.sampled_from(["x", "y"]), st.text()))
def test_rebuilding_is_idempotent_and_valid(
    existing: list[str], present: list[str], extra: dict[str, str]
) -> None:
    current = registry([{**entry(manifest(i)), **extra} for i in existing], note="kept")
    manifests = [manifest(i, "2.0.0") for i in present]
    once = rebuild(current, manifests, NOW) or current
    assert rebuild(once, manifests, "2030-01-01T00:00:00.000Z") is None
    check_registry(REGISTRY_PATH, once)  # raises on any problem
    assert [e["id"] for e in once["plugins"]] == [i for i in existing if i in present] + sorted(
        set(present) - set(existing)
    )
    assert once["note"] == "kept"


def test_damaged_or_misnamed_manifests_stop_the_rebuild_naming_each() -> None:
    files = {
        "plugins/calendar.json": dumps(manifest("calendar")),
        "plugins/broken.json": b"{",
        "plugins/todo.json": dumps(manifest("agenda")),
    }
    with pytest.raises(RegistryProblemsError) as caught:
        conversion(None, files, NOW, lambda _: None)
    assert caught.value.message.startswith(
        "reindex refused: 2 manifest(s) have problems and leaving them out would drop those "
        "plugins from the registry: plugins/broken.json line 1: plugins/broken.json is not "
        "valid JSON: Expecting property name enclosed in double quotes at line 1 column 2; "
        "plugins/todo.json line 2: the file is named 'todo' but the manifest's id is 'agenda'"
    )
    assert caught.value.message.endswith(
        "fix or delete them (validate lists every problem), then reindex again"
    )


def test_an_entry_s_problem_is_laid_at_its_manifest_and_ids_differing_in_case_at_both() -> None:
    index = registry([entry(manifest("Todo")), {**entry(manifest("todo")), "version": "v2"}])
    index["plugins"].append(entry(manifest("Calendar")))
    assert index_faults(index) == [
        (
            "plugins/todo.json",
            "at version: 'v2' is not valid: A semantic version "
            "(semver.org 2.0.0), without a leading v.",
        ),
    ]
    index["plugins"][1]["version"] = "2.0.0"
    twice = "the plugin ids 'Todo' and 'todo' differ only in case"
    assert index_faults(index) == [("plugins/Todo.json", twice), ("plugins/todo.json", twice)]


def test_a_conversion_that_would_write_damage_refuses_naming_the_files() -> None:
    files = {
        "plugins/Todo.json": dumps(manifest("Todo")),
        "plugins/todo.json": dumps(manifest("todo")),
    }
    with pytest.raises(RegistryProblemsError) as caught:
        conversion(None, files, NOW, lambda _: None)
    assert caught.value.message == (
        "reindex refused, nothing written: plugins/Todo.json and plugins/todo.json would make "
        "the registry damaged (the plugin ids 'Todo' and 'todo' differ only in case); fix, "
        "rename or delete those files, then reindex again"
    )


def test_changes_are_cut_into_commits_in_order_by_count_and_size() -> None:
    changes = [FileWrite(f"plugins/p{n}.json", b"x" * 10, None) for n in range(5)]
    changes.append(FileWrite("plugins/gone.json", None, "sha"))
    assert batches(changes, None) == [changes]
    assert batches(changes, CommitLimit(files=2, size=1000)) == [
        changes[0:2],
        changes[2:4],
        changes[4:6],
    ]
    assert batches(changes, CommitLimit(files=100, size=25)) == [
        changes[0:2],
        changes[2:4],
        changes[4:6],
    ]
    big = FileWrite("registry.json", b"x" * 99, None)
    assert batches([*changes[:1], big], CommitLimit(files=100, size=25)) == [changes[:1], [big]]
    assert batches([], CommitLimit(files=1, size=1)) == batches([], None) == []
