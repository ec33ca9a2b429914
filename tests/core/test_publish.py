"""The publish loop against an in-memory store: ordering, idempotence, conflicts."""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import replace
from typing import Any

import pytest

from memory_store import MemoryStore
from registry_action.core.manifest import PluginSpec
from registry_action.core.strictjson import dumps
from registry_action.engine.publish import Publisher
from registry_action.engine.retry import RetryPolicy, RunOptions
from registry_action.errors import DamagedFileError, GaveUpError
from registry_action.store.interface import Deadline
from registry_files import plugin_spec

BASE = "https://raw.githubusercontent.com/org/plugin-registry/main"


def spec(plugin_id: str = "calendar", version: str = "1.0.0", **changes: Any) -> PluginSpec:
    return plugin_spec(plugin_id, version, **changes)


def publisher(store: MemoryStore, attempts: int = 5) -> tuple[Publisher, list[str], list[float]]:
    ticks = (f"2024-01-20T12:00:{s:02d}.000Z" for s in itertools.count())
    messages: list[str] = []
    pauses: list[float] = []
    return (
        Publisher(
            store,
            RunOptions(
                deadline=Deadline(600),
                clock=lambda: next(ticks),
                policy=RetryPolicy(max_attempts=attempts),
                log=messages.append,
                sleep=pauses.append,
                rng=random.Random(7),
            ),
        ),
        messages,
        pauses,
    )


def document(store: MemoryStore, path: str) -> Any:
    return json.loads(store.files[path])


def test_fresh_registration_writes_manifest_then_index() -> None:
    store = MemoryStore()
    outcome = publisher(store)[0].register(spec(), "Update plugin: calendar")
    assert store.writes == [("write", "plugins/calendar.json"), ("write", "registry.json")]
    assert outcome.changed and outcome.commit_sha == f"commit{store.commits}"
    assert document(store, "registry.json")["plugins"] == [
        {
            "id": "calendar",
            "name": "calendar",
            "version": "1.0.0",
            "manifestUrl": f"{BASE}/plugins/calendar.json",
        }
    ]


def test_rerun_writes_nothing() -> None:
    store = MemoryStore()
    publisher(store)[0].register(spec(), "m")
    before = dict(store.files)
    outcome = publisher(store)[0].register(spec(), "m")
    assert not outcome.changed and outcome.commit_sha is None
    assert store.files == before
    assert len(store.writes) == 2


def test_a_conflict_on_the_index_is_re_read_and_merged() -> None:
    store = MemoryStore()
    publisher(store)[0].register(spec("other"), "m")

    def racer(operation: str, path: str) -> None:
        if path == "registry.json" and racer.armed:  # type: ignore[attr-defined]
            racer.armed = False  # type: ignore[attr-defined]
            publisher(MemoryStore(files=store.files))[0].register(spec("rival"), "m")

    racer.armed = True  # type: ignore[attr-defined]
    store.before_write = racer
    p, messages, pauses = publisher(store)
    outcome = p.register(spec("calendar"), "m")
    ids = [e["id"] for e in document(store, "registry.json")["plugins"]]
    assert ids == ["other", "rival", "calendar"]
    assert outcome.attempts == 2
    assert len(messages) == 1 and messages[0].startswith("Attempt 1/5 met a concurrent change")
    assert len(pauses) == 1 and 0 <= pauses[0] <= 0.5


def test_gives_up_after_the_bounded_number_of_attempts() -> None:
    store = MemoryStore()
    rivals = itertools.count(1)

    def always(operation: str, path: str) -> None:
        # A new version before each write (a random one could repeat, and let a write through).
        if path == "registry.json":
            store.files["registry.json"] = dumps(
                {"version": "1.0.0", "lastUpdated": "2024-01-01T00:00:00.000Z", "plugins": []}
            ) + b" " * next(rivals)

    store.before_write = always
    p, messages, pauses = publisher(store, attempts=3)
    with pytest.raises(GaveUpError, match="gave up after 3 attempts"):
        p.register(spec(), "m")
    assert len(messages) == 2 and len(pauses) == 2


def test_without_a_cap_it_retries_until_the_deadline_and_says_so() -> None:
    store = MemoryStore()
    elapsed = [0.0]
    rivals = itertools.count(1)

    def always(operation: str, path: str) -> None:
        # Another run commits the index just before each write: a new version every time.
        if path == "registry.json":
            store.files["registry.json"] = dumps(
                {"version": "1.0.0", "lastUpdated": "2024-01-01T00:00:00.000Z", "plugins": []}
            ) + b" " * next(rivals)

    store.before_write = always
    p, messages, _ = publisher(store)
    p.options = replace(
        p.options,
        policy=RetryPolicy(),
        deadline=Deadline(30, clock=lambda: elapsed[0]),
        sleep=lambda pause: elapsed.__setitem__(0, elapsed[0] + pause),
    )
    with pytest.raises(GaveUpError) as caught:
        p.register(spec(), "m")
    attempts = len(messages) + 1
    assert attempts > 5  # more than the old default count would have allowed
    assert str(caught.value).startswith(
        f"gave up after {attempts} attempts in {elapsed[0]:.0f} s: memory kept changing under "
        "this run (last: registry.json does not match "
    )
    assert str(caught.value).endswith(
        "; the run's deadline is `timeout` (30 s): raise it, or re-run later"
    )
    assert messages[0].startswith("Attempt 1 met a concurrent change")
    # The manifest was committed once; every later attempt wrote the index only.
    assert [path for _, path in store.writes].count("plugins/calendar.json") == 1


def test_backoff_is_full_jitter_and_capped() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=0.5, max_delay=4.0)
    rng = random.Random(1)
    delays = [policy.delay(n, rng) for n in range(1, 10) for _ in range(200)]
    assert all(0 <= d <= 4.0 for d in delays)
    assert max(policy.delay(1, rng) for _ in range(200)) <= 0.5
    assert max(delays) > 3.0  # the cap is reached, not a fixed small wait


def test_a_damaged_registry_stops_before_any_write() -> None:
    store = MemoryStore(files={"registry.json": b'{"version": "1.0.0", "plugins": ['})
    with pytest.raises(DamagedFileError, match=r"registry.json is not valid JSON: .* line 1"):
        publisher(store)[0].register(spec(), "m")
    assert store.writes == []


def test_a_damaged_manifest_of_the_plugin_is_replaced_with_a_warning() -> None:
    store = MemoryStore(files={"plugins/calendar.json": b'{"lastUpdated": "$(date)"}'})
    outcome = publisher(store)[0].register(spec(), "m")
    assert document(store, "plugins/calendar.json")["version"] == "1.0.0"
    assert len(outcome.warnings) == 1
    assert outcome.warnings[0].startswith("plugins/calendar.json is damaged: at")


def test_half_done_registration_is_completed() -> None:
    store = MemoryStore()
    publisher(store)[0].register(spec(version="1.0.0"), "m")
    # A run that wrote the 2.0.0 manifest and died before the index.
    rendered = publisher(MemoryStore())[0].register(spec(version="2.0.0"), "m").manifest
    store.files["plugins/calendar.json"] = dumps(rendered)
    outcome = publisher(store)[0].register(spec(version="2.0.0"), "m")
    # The manifest already says 2.0.0: committing it again would be an empty commit.
    assert [c.path for c in outcome.changes] == ["registry.json"]
    assert document(store, "registry.json")["plugins"][0]["version"] == "2.0.0"
    assert document(store, "plugins/calendar.json")["version"] == "2.0.0"


def test_dry_run_computes_but_writes_nothing() -> None:
    store = MemoryStore()
    p = publisher(store)[0]
    p.options = replace(p.options, dry_run=True)
    outcome = p.register(spec(), "m")
    assert store.writes == [] and store.files == {}
    assert [c.path for c in outcome.changes] == ["plugins/calendar.json", "registry.json"]
    assert outcome.changes[0].before is None and outcome.changes[0].after is not None


def test_two_versions_of_one_plugin_racing_end_in_agreement() -> None:
    """W registers 2.0.0; between W's manifest and index writes, O registers 1.0.0 whole.

    O's index write alone would be a no-op (the index already says 1.0.0), which would let
    W's index write succeed and point at 2.0.0 while the manifest says 1.0.0. O must make W's
    index write conflict so that W re-reads and converges.
    """
    store = MemoryStore()
    publisher(store)[0].register(spec(version="1.0.0"), "m")

    def rival(operation: str, path: str) -> None:
        if path == "registry.json" and rival.armed:  # type: ignore[attr-defined]
            rival.armed = False  # type: ignore[attr-defined]
            # W's manifest already says 2.0.0, so O's 1.0.0 is a downgrade it must allow.
            rival_publisher = publisher(MemoryStore(files=store.files))[0]
            rival_publisher.options = replace(rival_publisher.options, allow_downgrade=True)
            rival_publisher.register(spec(version="1.0.0"), "m")

    rival.armed = True  # type: ignore[attr-defined]
    store.before_write = rival
    publisher(store)[0].register(spec(version="2.0.0"), "m")
    manifest = document(store, "plugins/calendar.json")
    listed = document(store, "registry.json")["plugins"][0]
    assert listed["version"] == manifest["version"]


def test_an_id_listed_in_another_case_is_updated_under_its_spelling() -> None:
    store = MemoryStore()
    registrar = publisher(store)[0]
    registrar.register(spec("Calendar2", repository="acme/Calendar2"), "first")
    before = dict(store.files)

    outcome = registrar.register(spec("calendar2", "1.1.0", repository="acme/Calendar2"), "again")

    assert outcome.plugin_id == "Calendar2"
    assert sorted(store.files) == sorted(before)  # no plugins/calendar2.json
    index = document(store, "registry.json")
    assert [(e["id"], e["version"]) for e in index["plugins"]] == [("Calendar2", "1.1.0")]
    written = document(store, "plugins/Calendar2.json")
    assert written["id"] == "Calendar2"
    assert written["manifestUrl"] == f"{BASE}/plugins/Calendar2.json"
    assert written["server"]["routeBase"] == "/api/integrations/calendar2"


def test_a_template_naming_the_id_follows_the_listed_spelling() -> None:
    store = MemoryStore()
    registrar = publisher(store)[0]
    registrar.register(spec("Calendar2"), "first")
    template = {"id": "{id}", "name": "Calendar", "extra": {"scope": "{id}"}}

    registrar.register(spec("calendar2", "1.1.0", template=template), "again")

    written = document(store, "plugins/Calendar2.json")
    assert (written["id"], written["extra"]) == ("Calendar2", {"scope": "calendar2"})
    assert sorted(store.files) == ["plugins/Calendar2.json", "registry.json"]
