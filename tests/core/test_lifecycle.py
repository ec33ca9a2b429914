"""unregister and reindex against an in-memory store: ordering, conflicts, refusals."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory_store import MemoryStore
from registry_action.core.manifest import PluginSpec
from registry_action.core.strictjson import dumps
from registry_action.errors import DamagedFileError, RegistryProblemsError
from registry_action.report.summary import PluginRow, plugin_rows
from registry_action.store.interface import ConflictError, FileWrite, WriteResult
from registry_files import (
    entry,
    loads,
    manifest,
    plugin_spec,
    quiet_publisher,
    registry,
    registry_files,
)


def test_unregister_removes_the_entry_and_the_manifest_in_one_commit() -> None:
    store = MemoryStore(registry_files(manifest("calendar"), manifest("todo")))
    publisher, _ = quiet_publisher(store)
    outcome = publisher.unregister("calendar", "Remove plugin: calendar")
    assert store.writes == [("commit", "registry.json"), ("commit", "plugins/calendar.json")]
    assert loads(store.files["registry.json"])["plugins"] == [entry(manifest("todo"))]
    assert "plugins/calendar.json" not in store.files
    assert outcome.changed and outcome.previous_version == "1.0.0"
    assert outcome.commit_sha == f"commit{store.commits}"
    assert plugin_rows(outcome) == [
        PluginRow("calendar", "1.0.0", None, ("registry.json", "plugins/calendar.json"))
    ]


def test_unregistering_a_plugin_that_is_not_there_changes_nothing() -> None:
    store = MemoryStore(registry_files(manifest("todo")))
    publisher, _ = quiet_publisher(store)
    outcome = publisher.unregister("calendar", "m")
    assert not outcome.changed and store.writes == []
    empty = MemoryStore()
    assert not quiet_publisher(empty)[0].unregister("calendar", "m").changed
    assert empty.files == {}


def test_an_unlisted_manifest_is_deleted_and_the_index_touched_in_the_same_commit() -> None:
    store = MemoryStore(registry_files(manifest("todo")))
    store.files["plugins/calendar.json"] = dumps(manifest("calendar"))
    before = loads(store.files["registry.json"])
    outcome = quiet_publisher(store)[0].unregister("calendar", "m")
    # The index changes with the deletion (its lastUpdated), so that a registration listing
    # the manifests it found unlisted cannot list this one: its index write is refused.
    assert store.writes == [("commit", "registry.json"), ("commit", "plugins/calendar.json")]
    after = loads(store.files["registry.json"])
    assert after["plugins"] == before["plugins"] == [entry(manifest("todo"))]
    assert after["lastUpdated"] != before["lastUpdated"]
    assert outcome.changed


def test_a_damaged_registry_stops_unregister_before_any_write() -> None:
    store = MemoryStore(registry_files(manifest("calendar")))
    store.files["registry.json"] = b'{"plugins": 3}'
    with pytest.raises(DamagedFileError, match=r"^registry\.json is damaged: at "):
        quiet_publisher(store)[0].unregister("calendar", "m")
    assert store.writes == []


def test_a_conflicting_unregister_re_reads_and_keeps_the_other_change() -> None:
    store = MemoryStore(registry_files(manifest("calendar"), manifest("todo")))

    def rival(operation: str, path: str) -> None:
        store.before_write = None  # another pipeline registers "notes" meanwhile
        store.files.update(
            registry_files(manifest("calendar"), manifest("todo"), manifest("notes"))
        )

    store.before_write = rival
    publisher, log = quiet_publisher(store)
    outcome = publisher.unregister("calendar", "m")
    assert [e["id"] for e in loads(store.files["registry.json"])["plugins"]] == ["todo", "notes"]
    assert "plugins/calendar.json" not in store.files and outcome.attempts == 2
    assert len(log) == 1


def test_dry_run_unregister_writes_nothing_and_shows_both_changes() -> None:
    store = MemoryStore(registry_files(manifest("calendar")))
    before = dict(store.files)
    outcome = quiet_publisher(store, dry_run=True)[0].unregister("calendar", "m")
    assert store.writes == [] and store.files == before
    assert [(c.path, c.after is None) for c in outcome.changes] == [
        ("registry.json", False),
        ("plugins/calendar.json", True),
    ]
    assert outcome.commit_sha is None


def test_reindex_lists_manifests_and_drops_entries_without_one() -> None:
    files = registry_files(manifest("calendar"), manifest("todo"))
    del files["plugins/calendar.json"]
    files["plugins/notes.json"] = dumps(manifest("notes"))
    store = MemoryStore(files)
    outcome = quiet_publisher(store)[0].reindex("Reindex registry")
    assert [e["id"] for e in loads(store.files["registry.json"])["plugins"]] == ["todo", "notes"]
    assert store.writes == [("commit", "registry.json")]
    assert plugin_rows(outcome) == [
        PluginRow("calendar", "1.0.0", None, ("registry.json",)),
        PluginRow("notes", None, "1.0.0", ("registry.json",)),
    ]
    again = quiet_publisher(store)[0].reindex("Reindex registry")
    assert not again.changed and len(store.writes) == 1


def test_reindex_refuses_on_a_damaged_manifest_and_writes_nothing() -> None:
    store = MemoryStore(registry_files(manifest("calendar")))
    store.files["plugins/todo.json"] = b"[]"
    with pytest.raises(RegistryProblemsError, match=r"plugins/todo\.json line 1: at the top"):
        quiet_publisher(store)[0].reindex("m")
    assert store.writes == []


def test_reindex_retries_a_conflict_with_the_new_manifests() -> None:
    store = MemoryStore(registry_files(manifest("calendar"), listed=False))

    def rival(operation: str, path: str) -> None:
        store.before_write = None
        store.files.update(registry_files(manifest("calendar"), manifest("todo")))

    store.before_write = rival
    outcome = quiet_publisher(store)[0].reindex("m")
    assert loads(store.files["registry.json"])["plugins"] == [
        entry(manifest("calendar")),
        entry(manifest("todo")),
    ]
    assert outcome.attempts == 2


def _spec(plugin_id: str, version: str) -> PluginSpec:
    return plugin_spec(plugin_id, version, repository="")


plugin_ids = st.lists(st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True), unique=True, max_size=5)


@settings(max_examples=40)
@given(existing=plugin_ids, new_id=st.from_regex(r"n[a-z0-9]{0,6}", fullmatch=True))
def test_register_then_unregister_leaves_the_registry_as_it_was(
    existing: list[str], new_id: str
) -> None:
    if new_id in existing:
        existing.remove(new_id)
    files = registry_files(*(manifest(i) for i in existing))
    files["registry.json"] = dumps(registry([entry(manifest(i)) for i in existing], extra=[1]))
    store = MemoryStore(dict(files))
    publisher, _ = quiet_publisher(store)
    publisher.register(_spec(new_id, "1.0.0"), "m")
    publisher.unregister(new_id, "m")
    after = loads(store.files.pop("registry.json"))
    before = loads(files.pop("registry.json"))
    assert {**after, "lastUpdated": None} == {**before, "lastUpdated": None}
    assert store.files == files


def test_a_reindex_whose_commit_landed_unanswered_reports_its_changes() -> None:
    # The commit was made but its answer lost: the retry of the request found the branch moved.
    store = MemoryStore(registry_files(manifest("calendar"), listed=False))
    commit = store.commit

    def lost(changes: Sequence[FileWrite], head: str | None, message: str) -> list[WriteResult]:
        store.commit = commit  # type: ignore[method-assign]
        commit(changes, head, message)
        raise ConflictError("the branch moved meanwhile", outdated=False)

    store.commit = lost  # type: ignore[method-assign]
    outcome = quiet_publisher(store)[0].reindex("m")
    assert outcome.attempts == 2
    assert [(c.path, c.before is not None) for c in outcome.changes] == [("registry.json", True)]
    assert loads(store.files["registry.json"])["plugins"] == [entry(manifest("calendar"))]
    assert store.writes == [("commit", "registry.json")]
