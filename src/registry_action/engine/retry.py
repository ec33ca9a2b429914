"""Retrying conflicts until the run's deadline, and the options every engine run shares.

The Deadline (store/interface.py) is made once per run and shared by the publish loop
(conflicts) and the store's client (rate limits, 5xx, timeouts), so every kind of wait counts
against the same `timeout`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from registry_action.core.commit_urls import CommitUrls
from registry_action.errors import GaveUpError
from registry_action.settings.spelling import setting
from registry_action.store.interface import ConflictError, Deadline

T = TypeVar("T")
# A refusal may say how soon a retry is worth making (a lost race for the index: look again
# soon); past this many attempts in a row the usual backoff applies whatever it says.
HINTED_ATTEMPTS = 8


@dataclass(frozen=True)
class RetryPolicy:
    """Retry until the deadline, optionally at most ``max_attempts`` times.

    Backoff is full jitter: uniform in [0, min(max_delay, base_delay * 2**(attempt-1))], which
    spreads racing runs apart instead of waking them together.
    """

    max_attempts: int | None = None
    base_delay: float = 0.5
    max_delay: float = 10.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** min(attempt - 1, 30)))


@dataclass(frozen=True)
class RunOptions:
    """How one run of the engine behaves: what the publish loop and pull-request mode share."""

    deadline: Deadline
    clock: Callable[[], str]  # the timestamp written into documents
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    dry_run: bool = False
    allow_downgrade: bool = False
    # With `manifest-urls: commit`: how index entries name the commit that wrote a manifest.
    commit_urls: CommitUrls | None = None
    # The maps for other hosts written with the index (`maps`), in the order they are written.
    maps: tuple[str, ...] = ()
    log: Callable[[str], None] = print
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    @property
    def parks(self) -> bool:
        """Whether a registration racing others parks its manifest (``RegistryStore.park``)
        for the run first in line to commit: not in a dry run, which writes nothing, nor with
        commit URLs (an entry names its manifest's own commit) or maps (written with the
        index by each run)."""
        return not self.dry_run and self.commit_urls is None and not self.maps


def retrying(step: Callable[[int], T], options: RunOptions, subject: str) -> T:
    """Run ``step(attempt)`` until it meets no concurrent change, or the deadline or cap passes.

    The one retry loop of the program for conflicts: each retry is logged in one line with its
    reason and attempt number; giving up is a GaveUpError naming ``subject``, how long the run
    tried, how many attempts it made and what to raise.
    """
    deadline, policy = options.deadline, options.policy
    cap = policy.max_attempts
    attempt = 0
    while True:
        attempt += 1
        try:
            return step(attempt)
        except ConflictError as exc:
            reason = " ".join(str(exc).split())  # one log line, whatever GitHub's text
            pause = policy.delay(attempt, options.rng)
            if exc.pause is not None and attempt <= HINTED_ATTEMPTS:
                pause = exc.pause  # the refusal says when a retry is worth making
            pause = max(pause, exc.least or 0.0)  # a rate limit's wait is never cut short
            tried = f"after {attempt} attempts in {deadline.elapsed():.0f} s"
            kept = f"{subject} kept changing under this run (last: {reason})"
            if cap is not None and attempt >= cap:
                raise GaveUpError(
                    f"gave up {tried}: {kept}; raise {setting('max-attempts')} (now {cap}) or "
                    f"leave it out to retry until {setting('timeout')}"
                ) from None
            if not deadline.allows(pause):
                raise GaveUpError(f"gave up {tried}: {kept}; {deadline.advice()}") from None
            numbered = f"{attempt}/{cap}" if cap is not None else str(attempt)
            # The step decides what it reads again: a write another commit overtook is sent as
            # it was (engine/publish.py).
            options.log(
                f"Attempt {numbered} met a concurrent change ({reason}); retrying in {pause:.1f}s"
            )
            options.sleep(pause)
