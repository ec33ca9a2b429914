"""Retrying until the run's deadline: capped full-jitter backoff and an optional attempt cap.

One Deadline is made per run and shared by the publish loop (conflicts) and the GitHub client
(rate limits, 5xx, timeouts), so every kind of wait counts against the same `timeout`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from registry_action.errors import GaveUpError
from registry_action.settings.spelling import setting
from registry_action.store.interface import ConflictError

T = TypeVar("T")

DEFAULT_TIMEOUT = 600.0


@dataclass
class Deadline:
    """The time a whole run may take; the clock is injectable so tests need not wait."""

    seconds: float = DEFAULT_TIMEOUT
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=-1.0)

    def __post_init__(self) -> None:
        if self.started < 0:
            self.started = self.clock()

    def elapsed(self) -> float:
        return self.clock() - self.started

    def remaining(self) -> float:
        return self.seconds - self.elapsed()

    def allows(self, pause: float) -> bool:
        """Whether waiting ``pause`` seconds still leaves the run inside its deadline."""
        return pause <= self.remaining()

    def advice(self) -> str:
        """What to raise, for messages that stop at the deadline."""
        return (
            f"the run's deadline is {setting('timeout')} ({self.seconds:g} s): raise it, or "
            "re-run later"
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Retry until ``timeout`` seconds have passed, optionally at most ``max_attempts`` times.

    Backoff is full jitter: uniform in [0, min(max_delay, base_delay * 2**(attempt-1))], which
    spreads racing runs apart instead of waking them together.
    """

    timeout: float = DEFAULT_TIMEOUT
    max_attempts: int | None = None
    base_delay: float = 0.5
    max_delay: float = 10.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** min(attempt - 1, 30)))


def retrying(
    step: Callable[[int], T],
    policy: RetryPolicy,
    subject: str,
    *,
    log: Callable[[str], None],
    sleep: Callable[[float], None],
    rng: random.Random,
    deadline: Deadline | None = None,
) -> T:
    """Run ``step(attempt)`` until it meets no concurrent change, or the deadline or cap passes.

    The one retry loop of the program for conflicts: each retry is logged in one line with its
    reason and attempt number; giving up is a GaveUpError naming ``subject``, how long the run
    tried, how many attempts it made and what to raise.
    """
    deadline = deadline or Deadline(policy.timeout)
    cap = policy.max_attempts
    attempt = 0
    while True:
        attempt += 1
        try:
            return step(attempt)
        except ConflictError as exc:
            reason = " ".join(str(exc).split())  # one log line, whatever GitHub's text
            pause = policy.delay(attempt, rng)
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
            log(
                f"Attempt {numbered} met a concurrent change ({reason}); re-reading and "
                f"retrying in {pause:.1f}s"
            )
            sleep(pause)
