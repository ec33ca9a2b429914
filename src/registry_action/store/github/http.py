"""How PyGithub talks to GitHub here: retries within the deadline, and answers checked whole.

Retries follow GitHub's rules ("Rate limits for the REST API", "Best practices for using the
REST API"): a secondary rate limit comes as 403 or 429; if ``retry-after`` is present, wait
that many seconds; else, if ``x-ratelimit-remaining`` is ``0``, wait until the epoch second in
``x-ratelimit-reset``; else wait at least one minute, longer each time. 5xx, resets and
timeouts back off with full jitter. Every wait stays within the run's deadline.

requests applies its timeout to each read, so a server sending one byte every few seconds
holds a run as long as it likes: here a whole body must arrive within a deadline. PyGithub
takes a 200 answer that is not JSON (a captive portal's page) for a document: here that is one
clear error. The PyGithub and urllib3 internals this needs are used here only, and
tests/contract/test_library_internals.py holds them to the installed versions.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from github import Github, GithubException, GithubRetry
from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass, Requester
from urllib3 import BaseHTTPResponse, Retry
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.response import HTTPResponse

from registry_action.core import strictjson
from registry_action.errors import GitHubError
from registry_action.settings.spelling import setting
from registry_action.store.github.errors import (
    NO_TIME_NAMED,
    RateLimitPastDeadline,
    RateWait,
    github_message,
    refused,
)
from registry_action.store.github.moves import REDIRECTS, other_host
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
# GitHub sends even a 100 MB blob in a few seconds; a body still arriving after this is stuck.
BODY_DEADLINE_SECONDS = 60.0
# Enough that urllib3 never stops by count: the deadline decides.
_UNCOUNTED = 1_000_000
# Every method this program uses: writes too, since each carries the sha it read, so
# repeating one that GitHub had applied is refused (409/422) instead of committing twice.
_METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"})
# GitHub's GraphQL API answers a query it stopped after 10 s with 502 or 504 ("Rate limits and
# query limits for the GraphQL API", Timeouts): sent again as it is, it would stop again, so
# the caller gets the answer and asks for less.
GRAPHQL_TIMEOUTS = frozenset({502, 504})


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

    def tried(self) -> str:
        spent = self.deadline.elapsed()
        return f"{self.tries} {'try' if self.tries == 1 else 'tries'} in {spent:.0f} s"


class GitHubRetry(GithubRetry):
    """PyGithub's GithubRetry, with GitHub's documented waits, full jitter and the deadline.

    GithubRetry retries 5xx and rate-limited 403s, but waits the same time for every
    secondary limit, does not know 429 or a secondary limit's ``x-ratelimit-remaining``,
    sleeps without jitter and past any deadline, on the real clock: those waits are here.
    """

    def __init__(self, waits: Waits | None = None, **kwargs: Any) -> None:
        self.waits = waits or Waits(Deadline(0))
        self.pause = 0.0
        kwargs.setdefault("total", _UNCOUNTED)
        kwargs["status_forcelist"] = [429, *range(500, 600)]  # GithubRetry adds 403
        kwargs["allowed_methods"] = _METHODS
        # retry-after is read below, for rate limits only: not for a 413 or a 503.
        kwargs["respect_retry_after_header"] = False
        # The body of a last answer is what PyGithub turns into GitHub's own error.
        kwargs["raise_on_status"] = False
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> GitHubRetry:
        kw["waits"] = self.waits
        return super().new(**kw)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        if self.pause > 0:
            self.waits.sleep(self.pause)

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: HTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> GitHubRetry:
        waits = self.waits
        waits.tries = len(self.history) + 1
        if refused(error) and _pool is not None:  # nothing listens: retrying only delays
            raise MaxRetryError(_pool, url or "", error)
        if _graphql_timeout(url, response) and _pool is not None:
            raise MaxRetryError(_pool, url or "", ResponseError("GraphQL timeout"))
        if response is not None and response.status in (403, 429):
            return self._rate_limited(method, url or "", response, _pool)
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        assert isinstance(retry, GitHubRetry)  # noqa: S101 - urllib3's new() keeps the class
        cap = min(BACKOFF_CAP_SECONDS, waits.backoff * 2 ** min(waits.tries - 1, 30))
        retry.pause = waits.rng.uniform(0, cap)
        if not waits.deadline.allows(retry.pause):
            raise MaxRetryError(_pool, url, error or ResponseError("deadline"))  # type: ignore[arg-type]
        waits.tries += 1
        return retry

    def _rate_limited(
        self, method: str | None, url: str, response: HTTPResponse, pool: ConnectionPool | None
    ) -> GitHubRetry:
        waits = self.waits
        body = self.get_content(response, url)
        try:
            data: Any = json.loads(body)
        except ValueError:
            data = body.decode("utf-8", "replace")
        headers = dict(response.headers)
        wait = self.rate_wait(response.status, headers, github_message(data))
        if wait is None:
            raise GithubException(response.status, data, headers)
        where = f"{method} {urlsplit(url).path}"
        pause = self.pause_for(wait, response.status, data, headers, where)
        # Past GithubRetry's own reading of a 403, which would read the body a second time.
        retry = Retry.increment(self, method, url, response, None, pool, None)
        assert isinstance(retry, GitHubRetry)  # noqa: S101 - urllib3's new() keeps the class
        retry.pause = pause
        waits.tries += 1
        return retry

    def pause_for(
        self, wait: RateWait, status: int, data: Any, headers: Mapping[str, str], where: str
    ) -> float:
        """The pause for ``wait``, jitter added and logged; RateLimitPastDeadline if too long."""
        waits = self.waits
        pause = wait.seconds * (1 + waits.rng.uniform(0, RATE_JITTER))
        if not waits.deadline.allows(pause):
            raise RateLimitPastDeadline(status, data, headers, wait)
        if wait.source.startswith(NO_TIME_NAMED):
            waits.unnamed_waits += 1
        waits.log(
            f"GitHub's {wait.kind} rate limit ({status}) on {where}: waiting {pause:.1f} s "
            f"({wait.source}, plus jitter)"
        )
        return pause

    def rate_wait(
        self, status: int, headers: Mapping[str, str], message: str, *, limited: bool = False
    ) -> RateWait | None:
        """The wait GitHub's rules give for a 403/429 (or an answer ``limited`` by its body),
        or None when it is no rate limit."""
        named = {key.lower(): value for key, value in headers.items()}
        retry_after, remaining = named.get("retry-after", ""), named.get("x-ratelimit-remaining")
        reset = named.get("x-ratelimit-reset", "")
        secondary = status == 429 or Requester.isSecondaryRateLimitError(message)
        primary = remaining == "0" or Requester.isPrimaryRateLimitError(message) or limited
        if not (secondary or primary or retry_after):
            return None  # a refusal of the token's permissions: retrying cannot help
        kind = "secondary" if secondary or not primary else "primary"
        if retry_after.strip().isdigit():
            return RateWait(kind, float(retry_after), f"its retry-after header: {retry_after} s")
        if remaining == "0" and reset.isdigit():
            # The reset is a whole second: one more makes sure the window has turned.
            seconds = max(0.0, int(reset) - self.waits.epoch()) + 1
            moment = datetime.fromtimestamp(int(reset), UTC).strftime("%H:%M:%S UTC")
            return RateWait(kind, seconds, f"its x-ratelimit-reset: {moment}")
        repeat, least = self.waits.unnamed_waits, self.secondary_rate_wait
        again = f", doubled for repeat {repeat}" if repeat else ""
        return RateWait(kind, least * 2**repeat, f"{NO_TIME_NAMED}: at least {least:g} s{again}")


def _graphql_timeout(url: str | None, response: BaseHTTPResponse | None) -> bool:
    path = urlsplit(url or "").path
    return (
        response is not None and response.status in GRAPHQL_TIMEOUTS and path.endswith("/graphql")
    )


def waits_of(client: Github) -> Waits | None:
    """The waits of a client whose retries are a GitHubRetry."""
    retry = client.requester.kwargs.get("retry")
    return retry.waits if isinstance(retry, GitHubRetry) else None


class DeadlineAdapter(requests.adapters.HTTPAdapter):
    """An HTTPAdapter that reads each body within a deadline and checks JSON answers."""

    body_deadline: float = BODY_DEADLINE_SECONDS

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        kwargs["stream"] = True
        response = super().send(request, *args, **kwargs)
        _refuse_other_host(request, response)
        _read_within(response, self.body_deadline)
        _check_json(request, response)
        return response


def _where(request: requests.PreparedRequest) -> str:
    return f"{request.method} {urlsplit(request.url or '').path}"


def _refuse_other_host(request: requests.PreparedRequest, response: requests.Response) -> None:
    """Stop at a redirect away from the API's host: the token is never sent anywhere else."""
    location = response.headers.get("Location")
    if response.status_code not in REDIRECTS or not location:
        return
    here = urlsplit(request.url or "")
    there = urlsplit(urljoin(request.url or "", location))
    if (there.scheme, there.netloc) != (here.scheme, here.netloc):
        response.close()
        raise other_host(f"{here.scheme}://{here.netloc}", there.geturl())


def _read_within(response: requests.Response, seconds: float) -> None:
    """Read the whole body, cutting the connection when ``seconds`` pass first."""
    sock = getattr(getattr(response.raw, "connection", None), "sock", None)
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()
    try:
        _ = response.content
    except (requests.RequestException, OSError):
        if not expired.is_set():
            raise
    finally:
        timer.cancel()
    if expired.is_set():
        response.close()
        raise GitHubError(
            f"the answer to {_where(response.request)} did not arrive within {seconds:g} s "
            f"(the server sent it too slowly); check {setting('api-url')} and the network, then "
            "re-run"
        )


def _check_json(request: requests.PreparedRequest, response: requests.Response) -> None:
    body = response.content or b""
    head = body.lstrip()[:1]
    # PyGithub asks for no media type (requests then sends */*) unless it wants raw bytes.
    accept = request.headers.get("Accept") or "*/*"
    wants_json = "json" in accept or "*/*" in accept
    ok = 200 <= response.status_code < 300
    if not body.strip() or not (head in (b"{", b"[") or (ok and wants_json)):
        return
    try:
        strictjson.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise GitHubError(
            f"{urlsplit(request.url or '').netloc} answered {_where(request)} with "
            f"{response.status_code} and {_what(response, head, exc)} instead of GitHub's JSON; "
            f"check {setting('api-url')} (a proxy or a captive portal in the way?)"
        ) from None


def _what(response: requests.Response, head: bytes, exc: Exception) -> str:
    kind = (response.headers.get("Content-Type") or "").split(";")[0].strip()
    if head not in (b"{", b"["):
        return f"a {kind} page" if kind else "something else"
    if isinstance(exc, json.JSONDecodeError):
        return f"damaged JSON ({exc.msg}: line {exc.lineno} column {exc.colno})"
    return "damaged JSON (a key appears twice)"


def _mount(connection: HTTPRequestsConnectionClass | HTTPSRequestsConnectionClass) -> None:
    # PyGithub's connection classes mount a plain HTTPAdapter on a session of their own.
    adapter = DeadlineAdapter(
        max_retries=connection.retry,
        pool_connections=connection.pool_size,
        pool_maxsize=connection.pool_size,
    )
    connection.adapter = adapter
    scheme = "https" if isinstance(connection, HTTPSRequestsConnectionClass) else "http"
    connection.session.mount(f"{scheme}://", adapter)


class _HTTPS(HTTPSRequestsConnectionClass):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _mount(self)


class _HTTP(HTTPRequestsConnectionClass):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _mount(self)


def install() -> None:
    """Make every PyGithub client created from now on use this transport."""
    Requester.injectConnectionClasses(_HTTP, _HTTPS)
    # Injecting also turns off PyGithub's reuse of its connection (meant for its own tests),
    # which would cost a new connection, and TLS handshake, per request.
    setattr(Requester, "_Requester__persist", True)  # noqa: B010
