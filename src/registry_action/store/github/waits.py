"""How long to wait before asking GitHub again: its rate-limit headers, read as it documents them.

GitHub's rules ("Rate limits for the REST API"): a secondary rate limit comes as 403 or 429; if
``retry-after`` is present, wait that many seconds; else, if ``x-ratelimit-remaining`` is ``0``,
wait until the epoch second in ``x-ratelimit-reset``; else wait at least one minute, longer
each time. The headers are outside text: a value that is not what GitHub sends (digits of
another script, a date past any year, a number in milliseconds) never crashes a run. Every wait
is at least a second, so a ``retry-after: 0`` cannot turn the retries into a flood; a wait that
ends after the run's deadline is refused at once (http.py).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from github.Requester import Requester

from registry_action.store.github.errors import NO_TIME_NAMED, RateWait
from registry_action.store.interface import Deadline

# Transient faults back off with full jitter from this base, doubling, capped: GitHub's front
# ends recover in seconds to minutes, and racing runs must not retry in step.
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 30.0
# GitHub: without retry-after or a reset, "wait for at least one minute before retrying".
SECONDARY_WAIT_SECONDS = 60.0
# A run whose write met a secondary limit spreads its later writes over a span that starts at
# four times the wait GitHub asked for and doubles with each such refusal, up to this many
# times it: the runs sharing the limit then come back spread out instead of together when
# their waits end. Twice the wait still had them refused again (docs/performance.md, the
# shared secondary limit).
WRITE_SPREAD_FIRST = 4
WRITE_SPREAD_CAP = 8
# Waits that GitHub names are stretched by up to this share, so that runs released by one
# reset do not all arrive in the same second.
RATE_JITTER = 0.1
# The least wait after a rate limit, whatever its headers say: GitHub warns that "continuing to
# make requests while you are rate limited may result in the banning of your integration".
LEAST_RATE_WAIT_SECONDS = 1.0
# RFC 9110 section 10.2.3: delay-seconds is 1*DIGIT, ASCII digits only. A number in another
# unit (milliseconds) is taken as seconds: its wait is past any deadline, and refused at once.
_SECONDS = re.compile(r"[0-9]{1,30}")


@dataclass
class Waits:
    """What the retries of one client share: the deadline, the log, the waits so far."""

    deadline: Deadline
    log: Callable[[str], None] = print
    sleep: Callable[[float], None] = time.sleep
    epoch: Callable[[], float] = time.time  # x-ratelimit-reset is in UTC epoch seconds
    rng: random.Random = field(default_factory=random.Random)
    backoff: float = BACKOFF_BASE_SECONDS  # the first transient fault's backoff cap
    unnamed_waits: int = 0  # secondary limits that named no time: each wait doubles
    tries: int = 1  # tries of the latest request that needed more than one
    # Seconds over which this run spreads each write once a write of it met a secondary limit.
    write_spread: float = 0.0
    # The write being made is not to be made again after a secondary limit's wait: LimitedWrite.
    hand_back_limits: bool = False
    # The GraphQL request being sent carries a mutation: it creates content, as a REST write.
    mutating: bool = False

    def before_write(self, what: str) -> None:
        """Once a write of this run met a secondary limit, wait a random share of the spread
        before each later write, so that the runs sharing the limit do not return together."""
        if self.write_spread <= 0:
            return
        pause = self.rng.uniform(0, self.write_spread)
        if not self.deadline.allows(pause):
            return
        self.log(
            f"Spreading this run's writes after GitHub's secondary rate limit: waiting "
            f"{pause:.1f} s before {what}"
        )
        self.sleep(pause)

    def tried(self) -> str:
        spent = self.deadline.elapsed()
        return f"{self.tries} {'try' if self.tries == 1 else 'tries'} in {spent:.0f} s"


def rate_wait(
    status: int,
    headers: Mapping[str, str],
    message: str,
    waits: Waits,
    least: float,
    *,
    limited: bool = False,
) -> RateWait | None:
    """The wait GitHub's rules give for a 403/429, or None when it is no rate limit.

    ``least`` is the wait when GitHub names no time (doubled on each repeat); ``limited`` says
    the answer's body already told a rate limit (GraphQL answers one with status 200).
    """
    named = {key.lower(): value.strip() for key, value in headers.items()}
    retry_after, remaining = named.get("retry-after", ""), named.get("x-ratelimit-remaining")
    secondary = status == 429 or Requester.isSecondaryRateLimitError(message)
    primary = remaining == "0" or Requester.isPrimaryRateLimitError(message) or limited
    if not (secondary or primary or retry_after):
        return None  # a refusal of the token's permissions: retrying cannot help
    kind = "secondary" if secondary or not primary else "primary"
    wait = _named_wait(kind, retry_after, named.get("x-ratelimit-reset", ""), remaining, waits)
    if wait is None:
        repeat = waits.unnamed_waits
        again = f", doubled for repeat {repeat}" if repeat else ""
        wait = RateWait(kind, least * 2**repeat, f"{NO_TIME_NAMED}: at least {least:g} s{again}")
    if wait.seconds < LEAST_RATE_WAIT_SECONDS:
        floor = f"{LEAST_RATE_WAIT_SECONDS:g} s"
        return RateWait(kind, LEAST_RATE_WAIT_SECONDS, f"{wait.source}, raised to {floor}")
    return wait


def _named_wait(
    kind: str, retry_after: str, reset: str, remaining: str | None, waits: Waits
) -> RateWait | None:
    """The wait named by ``retry-after``, else by the reset of a used-up limit; None if neither."""
    if _SECONDS.fullmatch(retry_after):
        return RateWait(kind, float(retry_after), f"its retry-after header: {retry_after} s")
    at = _http_date(retry_after)
    if at is not None:
        seconds = max(0.0, at - waits.epoch())
        return RateWait(kind, seconds, f"its retry-after header: {_moment(at, waits.epoch())}")
    if remaining == "0" and _SECONDS.fullmatch(reset):
        # The reset is a whole second: one more makes sure the window has turned.
        seconds = max(0.0, int(reset) - waits.epoch()) + 1
        moment = _moment(int(reset), waits.epoch())
        return RateWait(kind, seconds, f"its x-ratelimit-reset: {moment}")
    return None


def _http_date(text: str) -> float | None:
    """The epoch second of an HTTP-date (RFC 9110 allows one in ``retry-after``), else None."""
    if not text or not text.isascii() or _SECONDS.fullmatch(text):
        return None
    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _moment(epoch: int | float, now: float) -> str:
    """An epoch second as a time of day (with its date unless it is near), or as the number."""
    shape = "%H:%M:%S UTC" if abs(epoch - now) < 12 * 3600 else "%Y-%m-%d %H:%M:%S UTC"
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime(shape)
    except (ValueError, OverflowError, OSError):
        return f"epoch second {epoch if isinstance(epoch, int) else round(epoch)}"
