"""Transport retries against GitHub: rate limits as GitHub documents them, 5xx, resets, timeouts.

GitHub's rules ("Rate limits for the REST API" and "Best practices for using the REST API",
docs.github.com/en/rest/using-the-rest-api): a secondary rate limit comes as 403 or 429 with a
message (or headers) that say so. If ``retry-after`` is present, wait that many seconds; else, if
``x-ratelimit-remaining`` is ``0``, wait until the epoch second in ``x-ratelimit-reset``; else
wait at least one minute, and longer each time the limit is hit again. Every wait, and every
retry of a 5xx, a reset or a timeout, stays within the run's deadline.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from github import GithubException
from urllib3 import BaseHTTPResponse, Retry
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError, ResponseError

from registry_action.errors import GaveUpError
from registry_action.store.github.faults import refused
from registry_action.store.interface import Deadline

# Transient faults back off with full jitter from this base, doubling, capped: GitHub's front
# ends recover in seconds to minutes, and racing runs must not retry in step.
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 30.0
# GitHub: without retry-after or a reset, "wait for at least one minute before retrying".
SECONDARY_WAIT_SECONDS = 60.0
# Waits that GitHub names are stretched by up to this share, so that runs released by one
# reset do not all arrive in the same second.
RATE_JITTER = 0.1
# Enough that urllib3 never stops by count: the deadline decides.
_UNCOUNTED = 1_000_000
# Every method this program uses: writes too, since each carries the sha it read, so
# repeating one that GitHub had applied is refused (409/422) instead of committing twice.
_METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"})


@dataclass
class Transport:
    """What every request of one client shares: the deadline, the log, waits so far."""

    deadline: Deadline
    log: Callable[[str], None] = print
    sleep: Callable[[float], None] = time.sleep
    epoch: Callable[[], float] = time.time  # x-ratelimit-reset is in UTC epoch seconds
    rng: random.Random = field(default_factory=random.Random)
    secondary_wait: float = SECONDARY_WAIT_SECONDS
    backoff: float = BACKOFF_BASE_SECONDS  # the first transient fault's backoff cap
    unnamed_waits: int = 0  # secondary limits that named no time: each wait doubles
    tries: int = 1  # tries of the latest request that needed more than one

    def tried(self) -> str:
        spent = self.deadline.elapsed()
        return f"{self.tries} {'try' if self.tries == 1 else 'tries'} in {spent:.0f} s"


@dataclass(frozen=True)
class RateWait:
    """How long a rate limit asks to wait, and what said so."""

    kind: str  # "secondary" or "primary"
    seconds: float
    source: str


class RateLimitPastDeadline(GithubException):
    """A rate limit whose wait would end after the run's deadline (or a limit never lifted)."""

    def __init__(self, status: int, data: Any, headers: Mapping[str, str], wait: RateWait):
        super().__init__(status, data, dict(headers))
        self.wait = wait


def _headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def rate_wait(
    status: int, headers: Mapping[str, str], message: str, transport: Transport
) -> RateWait | None:
    """The wait GitHub's documented rules give for a 403/429, or None when it is no rate limit."""
    lowered, named = message.lower(), _headers(headers)
    retry_after, remaining = named.get("retry-after", ""), named.get("x-ratelimit-remaining")
    reset = named.get("x-ratelimit-reset", "")
    secondary = "secondary rate limit" in lowered or status == 429
    primary = remaining == "0" or "api rate limit exceeded" in lowered
    if not (secondary or primary or retry_after):
        return None  # a refusal of the token's permissions: retrying cannot help
    kind = "secondary" if secondary or not primary else "primary"
    if retry_after.strip().isdigit():
        return RateWait(kind, float(retry_after), f"its retry-after header: {retry_after} s")
    if remaining == "0" and reset.isdigit():
        # The reset is a whole second: one more makes sure the window has turned.
        seconds = max(0.0, int(reset) - transport.epoch()) + 1
        moment = datetime.fromtimestamp(int(reset), UTC).strftime("%H:%M:%S UTC")
        return RateWait(kind, seconds, f"its x-ratelimit-reset: {moment}")
    repeat = transport.unnamed_waits
    seconds = transport.secondary_wait * 2**repeat
    again = f", doubled for repeat {repeat}" if repeat else ""
    source = f"GitHub named no time: at least {transport.secondary_wait:g} s{again}"
    return RateWait(kind, seconds, source)


def _body(response: BaseHTTPResponse) -> tuple[Any, str]:
    """The response's JSON (or text) and its ``message``; the body is read here, once."""
    raw = response.data or b""
    try:
        data: Any = json.loads(raw)
    except ValueError:
        data = raw.decode("utf-8", "replace")
    message = data.get("message") if isinstance(data, dict) else data
    return data, " ".join(str(message or "").split())


class GitHubRetry(Retry):
    """urllib3's Retry with GitHub's rate-limit rules, full-jitter backoff and the deadline."""

    def __init__(self, transport: Transport | None = None, **kwargs: Any) -> None:
        self.transport = transport or Transport(Deadline(0))
        self.pause = 0.0
        kwargs.setdefault("total", _UNCOUNTED)
        kwargs["status_forcelist"] = [403, 429, *range(500, 600)]
        kwargs["allowed_methods"] = _METHODS
        # The body of a last answer is what PyGithub turns into GitHub's own error.
        kwargs["raise_on_status"] = False
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> GitHubRetry:
        kw["transport"] = self.transport
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        return status_code in (403, 429) or 500 <= status_code < 600

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        if self.pause > 0:
            self.transport.sleep(self.pause)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> GitHubRetry:
        transport = self.transport
        transport.tries = len(self.history) + 1
        if refused(error) and _pool is not None:  # nothing listens: retrying only delays
            raise MaxRetryError(_pool, url or "", error)
        if response is not None and response.status in (403, 429):
            return self._rate_limited(method, url, response, _pool)
        retry: GitHubRetry = super().increment(method, url, response, error, _pool, _stacktrace)
        cap = min(BACKOFF_CAP_SECONDS, transport.backoff * 2 ** min(transport.tries - 1, 30))
        retry.pause = transport.rng.uniform(0, cap)
        if not transport.deadline.allows(retry.pause):
            raise MaxRetryError(_pool, url, error or ResponseError("deadline"))  # type: ignore[arg-type]
        transport.tries += 1
        return retry

    def _rate_limited(
        self,
        method: str | None,
        url: str | None,
        response: BaseHTTPResponse,
        pool: ConnectionPool | None,
    ) -> GitHubRetry:
        transport = self.transport
        data, message = _body(response)
        headers = dict(response.headers)
        wait = rate_wait(response.status, headers, message, transport)
        if wait is None:
            raise GithubException(response.status, data, headers)
        pause = wait.seconds * (1 + transport.rng.uniform(0, RATE_JITTER))
        if not transport.deadline.allows(pause):
            raise RateLimitPastDeadline(response.status, data, headers, wait)
        if "named no time" in wait.source:
            transport.unnamed_waits += 1
        path = urlsplit(url or "").path
        transport.log(
            f"GitHub's {wait.kind} rate limit ({response.status}) on {method} {path}: waiting "
            f"{pause:.1f} s ({wait.source}, plus jitter)"
        )
        retry: GitHubRetry = super().increment(method, url, response, None, pool, None)
        retry.pause = pause
        transport.tries += 1
        return retry


def rate_limit_error(exc: GithubException, doing: str, transport: Transport | None) -> GaveUpError:
    """The one line for a rate limit the run could not wait out within its deadline."""
    data = exc.data if isinstance(exc.data, dict) else {}
    message = " ".join(str(data.get("message") or exc.data or "rate limited").split())
    shown = message if len(message) <= 160 else message[:157] + "..."
    if isinstance(exc, RateLimitPastDeadline):
        wait = exc.wait
    else:
        found = rate_wait(
            exc.status, exc.headers or {}, message, transport or Transport(Deadline(0))
        )
        wait = found or RateWait("secondary", 0.0, "GitHub named no time")
    deadline = transport.deadline if transport else Deadline(0)
    tried = f" after {transport.tried()}" if transport else ""
    what = (
        "the token's primary rate limit is used up"
        if wait.kind == "primary"
        else "GitHub's secondary rate limit (shared by everything that uses this token or App "
        "installation) was hit"
    )
    return GaveUpError(
        f"could not {doing}: {what} ({exc.status} {shown}); it asks to wait {wait.seconds:.0f} s "
        f"({wait.source}), more than the {max(deadline.remaining(), 0):.0f} s left{tried}: "
        f"{deadline.advice()}"
    )
