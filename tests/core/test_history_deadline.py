"""Reading a plugin's history stops at the run's deadline: history says how far back it got,
and a rollback that did not find its version by then gives up in one line."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from memory_store import MemoryStore
from registry_action.core.strictjson import dumps
from registry_action.engine.history import PluginHistory
from registry_action.engine.retry import RetryPolicy, RunOptions
from registry_action.engine.rollback import Rollback, roll_back
from registry_action.errors import GaveUpError
from registry_action.store.interface import Deadline, Revision
from registry_files import manifest, registry_files

PATH = "plugins/calendar.json"


@dataclass
class SlowHistory(MemoryStore):
    """A store whose history takes ``step`` seconds of the test's clock per commit."""

    now: list[float] = field(default_factory=lambda: [0.0])
    step: float = 1.0
    count: int = 5

    def history(self, path: str, commit: str | None = None) -> Iterator[Revision]:
        for n in range(self.count, 0, -1):  # newest first: 1.4.0 down to 1.0.0
            self.now[0] += self.step
            moment = datetime(2024, 1, n, tzinfo=UTC)
            content = dumps(manifest("calendar", f"1.{n - 1}.0"))
            yield Revision(f"{n:040x}", moment, "Update plugin: calendar", content)


def test_history_stops_at_the_deadline_and_says_how_far_back_it_got() -> None:
    store = SlowHistory()
    deadline = Deadline(2.5, clock=lambda: store.now[0])

    reader = PluginHistory(store, PATH, deadline)
    found = [r.version for r in reader]

    assert found == ["1.4.0", "1.3.0"]
    assert reader.cut
    assert reader.warnings == [
        f"the history of {PATH} was cut at the deadline, read back to "
        "2024-01-04T00:00:00.000Z: the run's deadline is `timeout` (2.5 s): raise it, or re-run "
        "later"
    ]


def test_a_rollback_that_did_not_find_its_version_by_the_deadline_gives_up() -> None:
    store = SlowHistory(files=registry_files(manifest("calendar", "1.4.0")))
    options = RunOptions(
        deadline=Deadline(2.5, clock=lambda: store.now[0]),
        clock=lambda: "2024-02-01T00:00:00.000Z",
        policy=RetryPolicy(max_attempts=1),
        sleep=lambda _: None,
        rng=random.Random(1),
        log=lambda _: None,
    )
    asked = Rollback("calendar", "1.0.0", None, lambda i, v: f"Roll back {i} to {v}")

    with pytest.raises(GaveUpError) as caught:
        roll_back(store, options, asked)

    assert str(caught.value) == (
        "gave up reading the history of calendar in memory before finding 1.0.0: the run's "
        "deadline is `timeout` (2.5 s): raise it, or re-run later"
    )
    assert store.writes == []


def test_within_the_deadline_the_rollback_restores_in_one_commit() -> None:
    store = SlowHistory(files=registry_files(manifest("calendar", "1.4.0")))
    ticks = (f"2024-02-01T00:00:{s:02d}.000Z" for s in itertools.count())
    options = RunOptions(
        deadline=Deadline(600, clock=lambda: store.now[0]),
        clock=lambda: next(ticks),
        log=lambda _: None,
    )
    asked = Rollback("calendar", "1.0.0", None, lambda i, v: f"Roll back {i} to {v}")

    outcome = roll_back(store, options, asked)

    assert store.writes == [("commit", PATH), ("commit", "registry.json")]
    assert store.files[PATH] == dumps(
        manifest("calendar", "1.0.0", lastUpdated="2024-02-01T00:00:00.000Z")
    )
    assert outcome.previous_version == "1.4.0"
