"""The publish loop against an in-memory store that plays concurrent runs and stale reads."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from memory_store import MemoryStore
from registry_action.core.documents import REGISTRY_PATH, manifest_path
from registry_action.core.manifest import PluginSpec, render_manifest
from registry_action.core.registry import entry_for, new_registry, upsert
from registry_action.core.strictjson import dumps
from registry_action.engine.publish import Publisher
from registry_action.engine.retry import RetryPolicy, RunOptions
from registry_action.store.interface import Deadline, StoredFile, blob_sha
from registry_files import plugin_spec

NOW = "2024-01-20T12:00:00.000Z"
PATH = manifest_path("calendar")


def spec(version: str) -> PluginSpec:
    return plugin_spec("calendar", version)


def registered(version: str, stamp: str = NOW) -> tuple[bytes, bytes]:
    """The manifest and the index of a registry where calendar is at ``version``."""
    manifest = render_manifest(spec(version), stamp)
    index = upsert(new_registry(stamp), entry_for(manifest), stamp)
    assert index is not None
    return dumps(manifest), dumps(index)


@dataclass
class StaleStore(MemoryStore):
    """Serves queued old contents to the next reads of a path, as a lagging replica would."""

    stale: dict[str, list[bytes]] = field(default_factory=dict)

    def read(self, path: str) -> StoredFile | None:
        queued = self.stale.get(path)
        if queued:
            content = queued.pop(0)
            self.log.append(("read", path))
            return StoredFile(path, content, blob_sha(content))
        return super().read(path)


def publisher(store: MemoryStore, log: list[str]) -> Publisher:
    return Publisher(
        store,
        RunOptions(
            deadline=Deadline(600),
            clock=lambda: "2024-02-01T00:00:00.000Z",
            policy=RetryPolicy(max_attempts=8),
            log=log.append,
            sleep=lambda _: None,
            rng=random.Random(1),
            allow_downgrade=True,  # the races below include a deliberate roll-back
        ),
    )


def agreement(store: MemoryStore) -> tuple[str, str]:
    import json

    manifest = json.loads(store.files[PATH])
    [entry] = json.loads(store.files[REGISTRY_PATH])["plugins"]
    return manifest["version"], entry["version"]


def test_a_stale_index_after_a_conflict_does_not_leave_the_index_behind() -> None:
    # calendar went 1.0.0 -> 2.0.0 a moment ago; the replica still serves the 1.0.0 index.
    _, old_index = registered("1.0.0")
    new_manifest, new_index = registered("2.0.0", "2024-01-21T12:00:00.000Z")
    store = StaleStore(files={PATH: new_manifest, REGISTRY_PATH: new_index})
    store.stale[REGISTRY_PATH] = [old_index, old_index]
    log: list[str] = []

    outcome = publisher(store, log).register(spec("1.0.0"), "roll back")

    assert agreement(store) == ("1.0.0", "1.0.0")
    assert outcome.changed
    # The stale index is caught by the exact read at the manifest's commit: each file is
    # committed once, and the index only once it is read as it really is.
    assert store.writes == [("write", PATH), ("write", REGISTRY_PATH)]


def test_a_manifest_replaced_after_this_run_wrote_it_is_not_pointed_at_wrongly() -> None:
    store = StaleStore()
    other_manifest, other_index = registered("9.0.0", "2024-01-22T12:00:00.000Z")
    played = []

    def another_run(operation: str, path: str) -> None:
        # Between this run's manifest write and its index write, a run of 9.0.0 writes both
        # files; afterwards reads of the manifest lag and show this run's own manifest.
        if path == REGISTRY_PATH and not played:
            played.append(path)
            mine = store.files[PATH]
            store.files[PATH] = other_manifest
            store.files[REGISTRY_PATH] = other_index
            store.stale[PATH] = [mine, mine, mine]

    store.before_write = another_run
    log: list[str] = []
    publisher(store, log).register(spec("1.0.0"), "register")

    manifest_version, index_version = agreement(store)
    assert manifest_version == index_version


def test_an_unchanged_registration_writes_nothing() -> None:
    manifest, index = registered("1.0.0")
    store = MemoryStore(files={PATH: manifest, REGISTRY_PATH: index})
    outcome = publisher(store, []).register(spec("1.0.0"), "again")
    assert not outcome.changed
    assert store.writes == []


def test_a_manifest_left_without_its_index_entry_is_completed() -> None:
    manifest, _ = registered("1.0.0")
    store = MemoryStore(files={PATH: manifest})  # a run died after its first write
    outcome = publisher(store, []).register(spec("1.0.0"), "again")
    assert outcome.changed
    assert agreement(store) == ("1.0.0", "1.0.0")
    # The manifest is already as it should be: only the index is written.
    assert [path for _, path in store.writes] == [REGISTRY_PATH]


def consistent(store: MemoryStore) -> bool:
    """The index lists calendar exactly when its manifest exists, at the manifest's version."""
    import json

    listed = [e for e in json.loads(store.files[REGISTRY_PATH])["plugins"] if e["id"] == "calendar"]
    found = store.files.get(PATH)
    if found is None:
        return listed == []
    return [e["version"] for e in listed] == [json.loads(found)["version"]]


def test_an_unregister_between_a_registrations_two_writes_leaves_neither_file() -> None:
    manifest, index = registered("1.0.0")
    store = MemoryStore(files={PATH: manifest, REGISTRY_PATH: index})
    played: list[str] = []

    def unregister_now(operation: str, path: str) -> None:
        # Right after the registration committed its 2.0.0 manifest, a whole unregistration
        # runs (its delete carries the new manifest's sha, so nothing stops it).
        if path == REGISTRY_PATH and not played:
            played.append(path)
            store.before_write = None
            publisher(store, []).unregister("calendar", "remove")
            store.before_write = unregister_now

    store.before_write = unregister_now
    log: list[str] = []
    outcome = publisher(store, log).register(spec("2.0.0"), "register")
    assert played and consistent(store)
    assert PATH not in store.files  # the unregistration came last
    assert any("changed by a concurrent run" in w for w in outcome.warnings)


def test_a_registration_between_an_unregisters_two_writes_ends_with_neither_file() -> None:
    manifest, index = registered("1.0.0")
    store = MemoryStore(files={PATH: manifest, REGISTRY_PATH: index})
    played: list[str] = []

    def register_now(operation: str, path: str) -> None:
        if operation == "delete" and not played:
            played.append(path)
            store.before_write = None
            publisher(store, []).register(spec("2.0.0"), "register")
            store.before_write = register_now

    store.before_write = register_now
    publisher(store, []).unregister("calendar", "remove")
    assert played and consistent(store)
    # The unregistration's delete came last, and its index then follows: neither file is left.
    assert PATH not in store.files


def test_a_lagging_read_of_a_deleted_manifest_still_ends_with_both_files() -> None:
    manifest, _ = registered("1.0.0")
    store = StaleStore(files={REGISTRY_PATH: dumps(new_registry(NOW))})
    store.stale[PATH] = [manifest]  # the manifest was just deleted; a replica still has it
    publisher(store, []).register(spec("1.0.0"), "register")
    assert consistent(store) and PATH in store.files
    assert [path for _, path in store.writes].count(PATH) == 1  # written once, when found gone
