"""The downgrade guard of register, against an in-memory store."""

from __future__ import annotations

import pytest

from memory_store import MemoryStore
from registry_action.core.manifest import PluginSpec
from registry_action.core.strictjson import dumps
from registry_action.errors import DowngradeError
from registry_files import entry, loads, manifest, plugin_spec, quiet_publisher, registry_files


def spec(version: str) -> PluginSpec:
    return plugin_spec(
        "calendar", version, plugin_name="calendar", description="The calendar plugin"
    )


def test_a_lower_version_is_refused_and_nothing_is_written() -> None:
    store = MemoryStore(registry_files(manifest("calendar", "1.4.2")))
    before = dict(store.files)
    publisher, _ = quiet_publisher(store)
    with pytest.raises(DowngradeError, match=r"registry\.json already has the higher version"):
        publisher.register(spec("1.4.1"), "Update plugin: calendar")
    assert store.writes == []
    assert store.files == before


def test_the_same_version_registers_again() -> None:
    store = MemoryStore(registry_files(manifest("calendar", "1.4.2")))
    publisher, _ = quiet_publisher(store)
    outcome = publisher.register(spec("1.4.2"), "Update plugin: calendar")
    assert outcome.previous_version == "1.4.2"
    assert loads(store.files["registry.json"])["plugins"][0]["version"] == "1.4.2"


def test_a_manifest_ahead_of_the_index_counts_as_registered() -> None:
    files = registry_files(manifest("calendar", "1.4.2"))
    files["plugins/calendar.json"] = dumps(manifest("calendar", "2.0.0"))
    store = MemoryStore(files)
    publisher, _ = quiet_publisher(store)
    with pytest.raises(DowngradeError, match=r"plugins/calendar\.json already has .* 2\.0\.0"):
        publisher.register(spec("1.5.0"), "Update plugin: calendar")
    assert store.writes == []


def test_allow_downgrade_writes_the_lower_version_with_a_warning() -> None:
    store = MemoryStore(registry_files(manifest("calendar", "1.4.2")))
    publisher, _ = quiet_publisher(store, allow_downgrade=True)
    outcome = publisher.register(spec("1.0.0"), "Update plugin: calendar")
    assert outcome.warnings == (
        "calendar goes down from 1.4.2 (in registry.json) to 1.0.0: "
        "`allow-downgrade: true` is given",
    )
    assert loads(store.files["plugins/calendar.json"])["version"] == "1.0.0"
    assert loads(store.files["registry.json"])["plugins"] == [entry(manifest("calendar", "1.0.0"))]


def test_a_higher_version_registered_concurrently_stops_the_retry() -> None:
    store = MemoryStore(registry_files(manifest("calendar", "1.0.0")))

    def rival(operation: str, path: str) -> None:
        # Another pipeline registers 2.0.0 between this run's reads and its first write.
        store.before_write = None
        store.files.update(registry_files(manifest("calendar", "2.0.0")))

    store.before_write = rival
    publisher, log = quiet_publisher(store)
    with pytest.raises(DowngradeError, match=r"higher version 2\.0\.0"):
        publisher.register(spec("1.1.0"), "Update plugin: calendar")
    assert store.writes == []
    assert loads(store.files["plugins/calendar.json"])["version"] == "2.0.0"
    assert len(log) == 1 and "met a concurrent change" in log[0]
