"""The publish loop against an in-memory store that plays concurrent runs and stale reads."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from memory_store import MemoryStore
from registry_action.core.documents import REGISTRY_PATH, manifest_path
from registry_action.core.manifest import PluginSpec, render_manifest
from registry_action.core.registry import entry_for, new_registry, upsert
from registry_action.core.strictjson import dumps
from registry_action.engine.history import run_of, with_run
from registry_action.engine.publish import Publisher
from registry_action.engine.retry import RetryPolicy, RunOptions
from registry_action.store.interface import (
    ConflictError,
    Deadline,
    Snapshot,
    StoredFile,
    blob_sha,
)
from registry_files import plugin_spec

NOW = "2024-01-20T12:00:00.000Z"
RUN = "https://github.com/acme/calendar/actions/runs/1"
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


def test_a_registration_landing_before_an_unregisters_commit_is_removed_too() -> None:
    manifest, index = registered("1.0.0")
    store = MemoryStore(files={PATH: manifest, REGISTRY_PATH: index})
    played: list[str] = []

    def register_now(operation: str, path: str) -> None:
        if operation == "commit" and not played:
            played.append(path)
            store.before_write = None
            publisher(store, []).register(spec("2.0.0"), "register")

    store.before_write = register_now
    log: list[str] = []
    outcome = publisher(store, log).unregister("calendar", "remove")
    assert played and consistent(store)
    # The unregistration's commit was refused (the branch moved), read again and made last:
    # neither file is left, and 2.0.0 is what it removed.
    assert PATH not in store.files and outcome.attempts == 2
    assert loads_version(outcome.changes[-1].before) == "2.0.0"


def loads_version(content: bytes | None) -> str:
    import json

    assert content is not None
    return str(json.loads(content)["version"])


def test_a_lagging_read_of_a_deleted_manifest_still_ends_with_both_files() -> None:
    manifest, _ = registered("1.0.0")
    store = StaleStore(files={REGISTRY_PATH: dumps(new_registry(NOW))})
    store.stale[PATH] = [manifest]  # the manifest was just deleted; a replica still has it
    publisher(store, []).register(spec("1.0.0"), "register")
    assert consistent(store) and PATH in store.files
    assert [path for _, path in store.writes].count(PATH) == 1  # written once, when found gone


def other(plugin_id: str) -> PluginSpec:
    return plugin_spec(plugin_id, "1.0.0")


def listed_ids(store: MemoryStore) -> list[str]:
    import json

    return [e["id"] for e in json.loads(store.files[REGISTRY_PATH])["plugins"]]


def in_flight(store: MemoryStore, *ids: str) -> None:
    """Runs of ``ids`` committed their manifests and have not listed them yet."""
    for plugin_id in ids:
        store.files[manifest_path(plugin_id)] = dumps(render_manifest(other(plugin_id), NOW))


def racing(store: MemoryStore, *ids: str) -> None:
    """Before this run's manifest write, runs of ``ids`` commit theirs: the snapshot it read
    is no longer the branch's head when its manifest lands."""

    def land(operation: str, path: str) -> None:
        store.before_write = None
        in_flight(store, *ids)

    store.before_write = land


def test_an_index_write_lists_the_manifests_racing_runs_committed() -> None:
    store = MemoryStore(files={REGISTRY_PATH: dumps(new_registry(NOW))})
    in_flight(store, "todo")
    log: list[str] = []
    outcome = publisher(store, log).register(spec("1.0.0"), "register")
    assert listed_ids(store) == ["calendar", "todo"]
    assert [path for _, path in store.writes] == [PATH, REGISTRY_PATH]
    assert "Also listing what concurrent runs registered: todo" in log
    assert outcome.changed
    # The run behind it finds its entry there and writes nothing.
    before = len(store.writes)
    behind = publisher(store, []).register(other("todo"), "register")
    assert not behind.changed and len(store.writes) == before


def test_a_run_behind_in_line_waits_and_finds_itself_listed() -> None:
    store = MemoryStore(files={REGISTRY_PATH: dumps(new_registry(NOW))})
    in_flight(store, "alpha")
    racing(store, "beta")
    pauses: list[float] = []

    def first_in_line_writes(seconds: float) -> None:
        pauses.append(seconds)
        if ("write", PATH) in store.log:  # not the spread before calendar's manifest write
            publisher(store, []).register(other("alpha"), "register")  # alpha's run goes on

    run = publisher(store, [])
    run.options = replace(run.options, sleep=first_in_line_writes)
    run.register(spec("1.0.0"), "register")
    # calendar came third in line (alpha, beta, calendar): after the spread before its manifest
    # write, it waited once, found itself listed by alpha's index write, and wrote only its
    # manifest.
    assert len(pauses) == 2 and pauses[1] >= 0
    assert listed_ids(store) == ["alpha", "beta", "calendar"]
    assert [path for operation, path in store.writes if path == REGISTRY_PATH] == [REGISTRY_PATH]
    assert [path for _, path in store.writes].count(PATH) == 1


def test_a_run_whose_elders_do_not_write_writes_the_index_itself() -> None:
    store = MemoryStore(files={REGISTRY_PATH: dumps(new_registry(NOW))})
    in_flight(store, "alpha")  # a run that died after its manifest
    racing(store, "beta")
    pauses: list[float] = []
    run = publisher(store, [])
    run.options = replace(run.options, sleep=pauses.append)
    run.register(spec("1.0.0"), "register")
    # Third in line: after the spread before its manifest write, two pauses, the second
    # longer; the index had not changed: it writes.
    assert len(pauses) == 3 and pauses[2] > pauses[1]
    assert listed_ids(store) == ["calendar", "alpha", "beta"]
    assert [path for _, path in store.writes] == [PATH, REGISTRY_PATH]


def test_an_unregister_landing_before_a_fold_is_not_undone() -> None:
    store = MemoryStore(files=dict(zip((PATH, REGISTRY_PATH), registered("1.0.0"), strict=True)))
    in_flight(store, "todo")
    racing(store, "beta")
    played: list[str] = []

    def unregister_first(operation: str, path: str) -> None:
        if path == REGISTRY_PATH and not played:
            played.append(path)
            store.before_write = None
            publisher(store, []).unregister("todo", "remove")

    def then_arm(seconds: float) -> None:
        if ("write", manifest_path("zeta")) in store.log:  # not the spread before zeta's write
            store.before_write = unregister_first

    run = publisher(store, [])
    run.options = replace(run.options, sleep=then_arm)
    run.register(other("zeta"), "register")
    # The fold that would have listed todo was refused (the unregistration changed the index
    # in the commit that deleted todo's manifest, though it did not list todo); read again,
    # todo is gone from both files.
    assert played and "plugins/todo.json" not in store.files
    assert listed_ids(store) == ["calendar", "zeta", "beta"]


def test_an_index_write_a_rate_limit_refused_is_read_again_after_the_wait() -> None:
    store = MemoryStore(files={REGISTRY_PATH: dumps(new_registry(NOW))})
    played: list[str] = []

    def race_then_limit(operation: str, path: str) -> None:
        played.append(path)
        if path == PATH:
            in_flight(store, "beta")  # beta lands first: calendar's snapshot is stale
        elif played.count(REGISTRY_PATH) == 1:
            refusal = ConflictError("could not write registry.json: a secondary rate limit")
            refusal.least = 30.0
            raise refusal

    store.before_write = race_then_limit
    pauses: list[float] = []
    run = publisher(store, [])
    run.options = replace(run.options, sleep=pauses.append)
    run.register(spec("1.0.0"), "register")
    # The refused write was not made again blindly: the run waited the limit's 30 s (not the
    # short pause of a lost race), read again and wrote then.
    assert max(pauses) >= 30.0 and played.count(REGISTRY_PATH) == 2
    assert listed_ids(store) == ["calendar", "beta"]


@dataclass
class LaggingSnapshots(MemoryStore):
    """Serves its first snapshot again to the next ``lags`` snapshots, as a lagging replica
    would serve an old head."""

    lags: int = 0
    first: Snapshot | None = None

    def snapshot(
        self, paths: Sequence[str], folder: str, last_commit_of: Sequence[str] = ()
    ) -> Snapshot:
        if self.first is None:
            self.first = super().snapshot(paths, folder, last_commit_of)
            return self.first
        if self.lags:
            self.lags -= 1
            return self.first
        return super().snapshot(paths, folder, last_commit_of)


def test_a_snapshot_that_lags_this_runs_manifest_is_taken_again() -> None:
    store = LaggingSnapshots(files={REGISTRY_PATH: dumps(new_registry(NOW))}, lags=2)
    racing(store, "beta")
    log: list[str] = []
    outcome = publisher(store, log).register(spec("1.0.0"), "register")
    # The first two looks after its write still showed no manifest: not taken for a deletion.
    assert store.lags == 0 and outcome.warnings == ()
    assert listed_ids(store) == ["calendar", "beta"]


def overtaking(store: MemoryStore, refusal: ConflictError) -> list[str]:
    """The first write of calendar's manifest is refused with ``refusal`` after beta's run
    commits its manifest; returns the operations (write, read_at) in order from then on."""
    seen: list[str] = []

    def overtake(operation: str, path: str) -> None:
        if path == PATH and not seen:
            seen.append("refused")
            store.log.clear()
            in_flight(store, "beta")
            raise refusal

    store.before_write = overtake
    return seen


def test_a_manifest_write_overtaken_by_another_commit_is_sent_again_without_a_read() -> None:
    store = MemoryStore(files={REGISTRY_PATH: dumps(new_registry(NOW))})
    # GitHub's words when the branch moved during a Contents API write of another file.
    moved = ConflictError(f"is at {'b' * 40} but expected {'a' * 40}", outdated=False)
    overtaking(store, moved)
    log: list[str] = []
    publisher(store, log).register(spec("1.0.0"), "register")
    # The same write went again first; only then did the run look, to fold beta in.
    assert store.log[0] == ("write", PATH)
    assert ("read_at", PATH) in store.log[1:]
    assert listed_ids(store) == ["calendar", "beta"]
    assert any("met a concurrent change" in line for line in log)


def test_a_manifest_write_refused_because_the_file_changed_reads_again_first() -> None:
    store = MemoryStore(files={REGISTRY_PATH: dumps(new_registry(NOW))})
    overtaking(store, ConflictError(f"{PATH} does not match {'a' * 40}"))
    publisher(store, []).register(spec("1.0.0"), "register")
    # The version it carried is gone: the run reads before it writes again.
    assert store.log[0] == ("read_at", REGISTRY_PATH)
    assert store.log.index(("write", PATH)) > 0
    assert listed_ids(store) == ["calendar", "beta"]


def spreading(store: MemoryStore) -> list[tuple[str, str]]:
    """calendar's registration, every pause recorded in ``store.log`` as ("sleep", seconds)."""
    run = publisher(store, [])
    run.options = replace(
        run.options, sleep=lambda seconds: store.log.append(("sleep", f"{seconds:.3f}"))
    )
    run.register(spec("1.0.0"), "register")
    return store.log


def test_a_manifest_write_spreads_itself_over_the_registrations_in_flight() -> None:
    store = MemoryStore(files={REGISTRY_PATH: dumps(new_registry(NOW))})
    in_flight(store, "beta", "gamma")  # two runs landed their manifests, unlisted yet
    log = spreading(store)
    before = log[: log.index(("write", PATH))]
    pauses = [float(seconds) for operation, seconds in before if operation == "sleep"]
    # One pause, a random share of the backoff's first window for each run in flight and this
    # one.
    assert len(pauses) == 1 and 0 < pauses[0] <= 3 * RetryPolicy().base_delay
    assert listed_ids(store) == ["calendar", "beta", "gamma"]


def test_a_manifest_write_with_no_registration_in_flight_waits_for_nothing() -> None:
    store = MemoryStore(files={REGISTRY_PATH: dumps(new_registry(NOW))})
    log = spreading(store)
    assert not any(operation == "sleep" for operation, _ in log)
    assert listed_ids(store) == ["calendar"]


MOVED = ConflictError(f"is at {'b' * 40} but expected {'a' * 40}", outdated=False)


def parking_store() -> MemoryStore:
    return MemoryStore(files={REGISTRY_PATH: dumps(new_registry(NOW))}, parking=True)


def versions(store: MemoryStore, plugin_id: str) -> tuple[str, str]:
    """The version of ``plugin_id``'s manifest, and of its index entry."""
    import json

    manifest = json.loads(store.files[manifest_path(plugin_id)])
    index = json.loads(store.files[REGISTRY_PATH])
    [entry] = [e for e in index["plugins"] if e["id"] == plugin_id]
    return manifest["version"], entry["version"]


def park_other(
    store: MemoryStore, plugin_id: str, version: str = "1.0.0", message: str = "register"
) -> bytes:
    """Another run parks ``plugin_id``'s manifest over the file as it is now."""
    content = dumps(render_manifest(plugin_spec(plugin_id, version), NOW))
    assert store.park(manifest_path(plugin_id), content, store.head() or "", message) is not None
    return content


def test_an_overtaken_manifest_write_is_parked_and_committed_with_the_index() -> None:
    store = parking_store()
    overtaking(store, MOVED)
    log: list[str] = []
    publisher(store, log).register(spec("1.0.0"), "register")
    # Parked at once, not sent again; then one commit of the manifest and the index, which
    # also lists beta (landed on the branch), and the parked branch removed.
    writes = store.writes
    assert writes[0] == ("park", PATH)
    assert writes[1:] == [("commit", PATH), ("commit", REGISTRY_PATH), ("unpark", PATH)]
    assert store.parked == {}
    assert sorted(listed_ids(store)) == ["beta", "calendar"]
    assert versions(store, "calendar") == ("1.0.0", "1.0.0")
    assert any("Parked plugins/calendar.json" in line for line in log)


def test_a_run_in_line_commits_the_other_parked_manifests_with_its_own() -> None:
    store = parking_store()
    beta_run = "https://github.com/acme/beta/actions/runs/7"
    beta = park_other(store, "beta", message=with_run("Register beta", beta_run))
    log: list[str] = []
    publisher(store, log).register(spec("1.0.0"), with_run("Register calendar", RUN))
    # A parked registration in sight: calendar parks too, without a write to the branch, and
    # (after beta's turn passed) commits both manifests and the index in one commit.
    assert ("write", PATH) not in store.log
    commits = [path for operation, path in store.writes if operation == "commit"]
    assert sorted(commits) == sorted([PATH, manifest_path("beta"), REGISTRY_PATH])
    assert store.commits == 2  # the registry as it was, and the one commit of all three
    assert store.files[manifest_path("beta")] == beta
    assert sorted(listed_ids(store)) == ["beta", "calendar"]
    assert store.parked == {}
    assert any("Also committing what concurrent runs parked: beta" in line for line in log)
    # The commit names the run that registered beta, for `history`, beside its own.
    [message] = store.messages
    assert (run_of(message, "beta"), run_of(message, "calendar")) == (beta_run, RUN)


def test_a_parked_manifest_whose_file_changed_since_is_not_committed() -> None:
    store = parking_store()
    park_other(store, "delta", "1.0.0")
    # delta is then registered directly at 2.0.0: the parked 1.0.0 is outdated.
    store.files[manifest_path("delta")] = dumps(render_manifest(plugin_spec("delta", "2.0.0"), NOW))
    overtaking(store, MOVED)
    publisher(store, []).register(spec("1.0.0"), "register")
    assert versions(store, "delta") == ("2.0.0", "2.0.0")
    assert store.parked == {}  # delta's outdated branch is removed with calendar's
    assert sorted(listed_ids(store)) == ["beta", "calendar", "delta"]


def test_a_parked_run_whose_manifest_changed_meanwhile_registers_again() -> None:
    store = parking_store()
    overtaking(store, MOVED)
    changed: list[str] = []
    inner = store.park

    def park_then_change(path: str, content: bytes, head: str, message: str) -> str | None:
        commit = inner(path, content, head, message)
        if path == PATH and not changed:
            changed.append(path)  # another run registers calendar 2.0.0 directly meanwhile
            manifest, index = registered("2.0.0")
            store.files[PATH], store.files[REGISTRY_PATH] = manifest, index
        return commit

    store.park = park_then_change  # type: ignore[method-assign]
    log: list[str] = []
    publisher(store, log).register(spec("1.0.0"), "register")
    # Its parked 1.0.0 was never committed over 2.0.0: the run registered again from 2.0.0
    # (a deliberate roll-back here), and both files agree.
    assert any("changed while parked: registering again" in line for line in log)
    assert versions(store, "calendar") == ("1.0.0", "1.0.0")
    assert store.parked == {}


def test_a_dry_run_parks_nothing_and_neither_do_commit_urls_or_maps() -> None:
    store = parking_store()
    park_other(store, "beta")
    run = publisher(store, [])
    run.options = replace(run.options, dry_run=True)
    run.register(spec("1.0.0"), "register")
    assert ("park", PATH) not in store.log and list(store.parked) == [manifest_path("beta")]
    # An entry naming its manifest's commit, and maps written by each run with the index, are
    # written as they always were.
    assert not replace(run.options, dry_run=False, maps=("alt",)).parks
    assert replace(run.options, dry_run=False).parks


def test_a_parked_run_past_the_end_of_a_listing_still_commits_itself() -> None:
    store = parking_store()
    store.listed = 1  # a snapshot lists one parked manifest, and says there are more
    park_other(store, "alpha")
    park_other(store, "delta")
    overtaking(store, MOVED)
    log: list[str] = []
    publisher(store, log).register(spec("1.0.0"), "register")
    # Not listed, calendar is not taken for gone: it waits its turn behind alpha, then commits
    # alpha's manifest and its own (delta's run commits delta).
    assert not any("registering again" in line for line in log)
    assert versions(store, "calendar") == ("1.0.0", "1.0.0")
    assert versions(store, "alpha") == ("1.0.0", "1.0.0")
    assert list(store.parked) == [manifest_path("delta")]


def test_a_parked_file_no_registration_would_write_is_not_committed() -> None:
    store = parking_store()
    head = store.head() or ""
    # Branches in the parked namespace that no run of this program made: a damaged manifest,
    # and one whose id is not its file's.
    for plugin_id, content in (("evil", b'{"id": "evil", NaN}\n'), ("odd", dumps({"id": "x"}))):
        assert store.park(manifest_path(plugin_id), content, head, "m") is not None
    overtaking(store, MOVED)
    publisher(store, []).register(spec("1.0.0"), "register")
    assert manifest_path("evil") not in store.files and manifest_path("odd") not in store.files
    assert sorted(listed_ids(store)) == ["beta", "calendar"]
    assert store.parked == {}  # their branches are removed with calendar's
