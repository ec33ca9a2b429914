"""How PyGithub talks to GitHub here: retries and answers within the run's deadline, checked whole.

Retries follow GitHub's rules (waits.py). 5xx, resets and timeouts back off with full jitter.
Every wait stays within the run's deadline.

Each try of a request (its host name lookup, connection, headers and body) gets at most
ANSWER_SECONDS, never more than the time left before the run's deadline: urllib3's connections
here tell the request's Watch (watch.py) when a try starts, and it cuts the socket when the
time is up; before there is a socket, the connect timeout the Watch sets bounds the lookup
(lookup.py) and the connection. A body is read up to ANSWER_LIMIT_BYTES once decompressed.
Answers that are not GitHub's become one clear error (answers.py). The PyGithub, requests and
urllib3 internals this needs are used here only, and tests/contract/test_library_internals.py
holds them to the installed versions.
"""

from __future__ import annotations

import json
import math
import socket
import sys
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests
from github import Github, GithubException, GithubRetry
from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass, Requester
from urllib3 import BaseHTTPResponse, ProxyManager, Retry
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import ConnectionPool, HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ResponseError,
)
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.response import HTTPResponse
from urllib3.util.connection import allowed_gai_family

from registry_action.errors import GitHubError
from registry_action.settings.spelling import setting
from registry_action.store.github.answers import check_json, check_redirect, odd_answer, where
from registry_action.store.github.errors import (
    NO_TIME_NAMED,
    LimitedWrite,
    RateLimitPastDeadline,
    RateWait,
    github_message,
    no_such_name,
    refused,
)
from registry_action.store.github.moves import REDIRECTS
from registry_action.store.github.waits import (
    BACKOFF_CAP_SECONDS,
    RATE_JITTER,
    WRITE_SPREAD_CAP,
    WRITE_SPREAD_FIRST,
    Waits,
    rate_wait,
)
from registry_action.store.github.watch import Watch, current, watching
from registry_action.store.interface import Deadline
from registry_action.store.lookup import connect

# GitHub sends even a 100 MB blob in a few seconds; a try still going after this is stuck.
ANSWER_SECONDS = 60.0
# GitHub's largest answer is a 100 MB file from the blob API, base64 in JSON: about 140 MB.
ANSWER_LIMIT_BYTES = 160 * 1024 * 1024
_CHUNK_BYTES = 1024 * 1024
# urllib3 retries by recursion, a stack frame a try: this stays clear of Python's limit of 1000
# (with one wait of at least a second between tries, it is minutes of retries).
_MOST_TRIES = 500
# Every method this program uses: writes too, since each carries the sha it read, so
# repeating one that GitHub had applied is refused (409/422) instead of committing twice.
_METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"})
# GitHub's GraphQL API answers a query it stopped after 10 s with 502 or 504 ("Rate limits and
# query limits for the GraphQL API", Timeouts): sent again as it is, it would stop again, so
# the caller gets the answer and asks for less.
GRAPHQL_TIMEOUTS = frozenset({502, 504})


class _WatchedHTTPConnection(HTTPConnection):
    """urllib3's connection, telling the watch of the request when each try starts, and
    looking the host name up within the connect timeout (lookup.py)."""

    def _new_conn(self) -> socket.socket:
        # urllib3's own, but for the bounded lookup; its errors are told apart as urllib3 does.
        try:
            sock = connect(
                (self._dns_host, self.port),
                self.timeout,
                self.source_address,
                family=allowed_gai_family(),
                options=self.socket_options or (),
            )
        except UnicodeError:
            raise LocationParseError(f"'{self.host}', label empty or too long") from None
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        except TimeoutError as exc:
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc
        sys.audit("http.client.connect", self, self.host, self.port)
        return sock

    def connect(self) -> None:
        watch = current()
        if watch is not None:
            watch.connecting(self)
        try:
            super().connect()
        except ConnectTimeoutError as exc:
            if watch is not None and _timed_out(exc):  # not a refusal, nor a name not found
                watch.connect_timed_out()
            raise

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch = current()
        if watch is not None:
            watch.requesting(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _Pool, "https": _TLSPool}


class GitHubRetry(GithubRetry):
    """PyGithub's GithubRetry, with GitHub's documented waits, full jitter and the deadline.

    GithubRetry retries 5xx and rate-limited 403s, but waits the same time for every
    secondary limit, does not know 429 or a secondary limit's ``x-ratelimit-remaining``,
    sleeps without jitter and past any deadline, on the real clock: those waits are here.
    """

    def __init__(self, waits: Waits | None = None, **kwargs: Any) -> None:
        self.waits = waits or Waits(Deadline(0))
        self.pause = 0.0
        kwargs.setdefault("total", _MOST_TRIES)
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
        watch = current()
        if watch is not None:
            watch.stop()  # a wait is no part of a try
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
        watch = current()
        if error is not None and watch is not None and watch.ran_out():
            raise watch.late() from None
        if (refused(error) or no_such_name(error)) and _pool is not None:
            # Nothing listens there, or the name does not exist: retrying only delays.
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
            if watch is not None and _timed_out(error):  # the deadline, not the network, ends it
                raise watch.late() from None
            raise MaxRetryError(_pool, url, error or ResponseError("deadline"))  # type: ignore[arg-type]
        waits.tries += 1
        return retry

    def _rate_limited(
        self, method: str | None, url: str, response: HTTPResponse, pool: ConnectionPool | None
    ) -> GitHubRetry:
        waits = self.waits
        body = _small_body(response, f"{method} {urlsplit(url).path}")
        try:
            data: Any = json.loads(body)
        except ValueError:
            data = body.decode("utf-8", "replace")
        headers = dict(response.headers)
        wait = self.rate_wait(response.status, headers, github_message(data))
        if wait is None:
            raise GithubException(response.status, data, headers)
        where = f"{method} {urlsplit(url).path}"
        creates = _creates_content(method, url) or waits.mutating
        pause = self.pause_for(wait, response.status, data, headers, where, write=creates)
        if creates and waits.hand_back_limits and wait.kind == "secondary":
            raise LimitedWrite(response.status, data, headers, pause)
        # Past GithubRetry's own reading of a 403, which would read the body a second time.
        retry = Retry.increment(self, method, url, response, None, pool, None)
        assert isinstance(retry, GitHubRetry)  # noqa: S101 - urllib3's new() keeps the class
        retry.pause = pause
        waits.tries += 1
        return retry

    def pause_for(
        self,
        wait: RateWait,
        status: int,
        data: Any,
        headers: Mapping[str, str],
        where: str,
        *,
        write: bool = False,
    ) -> float:
        """The pause for ``wait``, jitter added and logged; RateLimitPastDeadline if too long.

        A ``write`` refused by a secondary limit also spreads: its retry, and every later write
        of the run (``Waits.before_write``), over a span that doubles with each such refusal.
        """
        waits = self.waits
        pause = wait.seconds * (1 + waits.rng.uniform(0, RATE_JITTER))
        if not waits.deadline.allows(pause):
            raise RateLimitPastDeadline(status, data, headers, wait)
        if wait.source.startswith(NO_TIME_NAMED):
            waits.unnamed_waits += 1
        jitter = "plus jitter"
        if write and wait.kind == "secondary":
            cap = wait.seconds * WRITE_SPREAD_CAP
            first = wait.seconds * WRITE_SPREAD_FIRST
            waits.write_spread = min(max(waits.write_spread * 2, first), cap)
            spread = waits.rng.uniform(0, waits.write_spread)
            if waits.deadline.allows(pause + spread):
                pause += spread
                jitter = f"plus jitter spreading this run's writes over {waits.write_spread:.0f} s"
        waits.log(
            f"GitHub's {wait.kind} rate limit ({status}) on {where}: waiting {pause:.1f} s "
            f"({wait.source}, {jitter})"
        )
        return pause

    def rate_wait(
        self, status: int, headers: Mapping[str, str], message: str, *, limited: bool = False
    ) -> RateWait | None:
        """The wait GitHub's rules give for a 403/429 (or an answer ``limited`` by its body),
        or None when it is no rate limit."""
        least = self.secondary_rate_wait
        return rate_wait(status, headers, message, self.waits, least, limited=limited)


def _creates_content(method: str | None, url: str) -> bool:
    """Whether a request is one GitHub's secondary limit on content creation counts: every
    write but a GraphQL POST, which is a query unless the store says it sends a mutation
    (``Waits.mutating``)."""
    if method == "POST":
        return not urlsplit(url).path.endswith("/graphql")
    return method in ("PUT", "PATCH", "DELETE")


def _timed_out(error: Exception | None) -> bool:
    # urllib3 derives a refused or unresolved connection from its connect timeout.
    return isinstance(error, Urllib3Timeout) and not isinstance(error, NewConnectionError)


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
    """An HTTPAdapter whose every try ends by the deadline, with bodies read whole and checked."""

    answer_seconds: float = ANSWER_SECONDS
    answer_limit: int = ANSWER_LIMIT_BYTES
    _redirects_in_a_row = 0

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is ProxyManager:  # a SOCKS proxy keeps connections of its own
            manager.pool_classes_by_scheme = _POOLS
        return manager

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        kwargs["stream"] = True
        retry = self.max_retries
        deadline = retry.waits.deadline if isinstance(retry, GitHubRetry) else Deadline(math.inf)
        watch = Watch(deadline, self.answer_seconds, where(request))
        if deadline.remaining() <= 0:
            raise watch.late()
        watching(watch)
        try:
            response = super().send(request, *args, **kwargs)
            redirected = response.status_code in REDIRECTS
            in_a_row = self._redirects_in_a_row + 1 if redirected else 0
            self._redirects_in_a_row = 0  # a refused chain ends here
            check_redirect(request, response, in_a_row)
            self._redirects_in_a_row = in_a_row
            _read_within(response, watch, self.answer_limit)
        finally:
            watch.stop()
            watching(None)
        check_json(request, response)
        return response


def _read_within(response: requests.Response, watch: Watch, limit: int) -> None:
    """Read the whole body, decompressed, within the watch's time and up to ``limit`` bytes."""
    try:
        body = _capped(response.iter_content(_CHUNK_BYTES), watch.where, limit, response.close)
    except requests.exceptions.ContentDecodingError:
        response.close()
        coding = response.headers.get("Content-Encoding") or "its content encoding"
        raise odd_answer(
            response.request, f"{response.status_code} and a body that is not valid {coding}"
        ) from None
    except (requests.RequestException, OSError):
        if not watch.cut:
            raise
    if watch.cut:
        response.close()
        if watch.by_deadline:
            raise watch.late()
        raise GitHubError(
            f"the answer to {watch.where} did not arrive within {watch.most:g} s "
            f"(the server sent it too slowly); check {setting('api-url')} and the network, then "
            "re-run"
        )
    # Where requests keeps a body it has read (iter_content marked it consumed): .content
    # returns it from there.
    response._content = body


def _capped(chunks: Iterable[bytes], what: str, limit: int, close: Callable[[], None]) -> bytes:
    """The chunks of a body, joined; refused once they grow past ``limit`` bytes."""
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > limit:
            close()
            raise GitHubError(
                f"the answer to {what} is larger than {limit // (1024 * 1024)} MB once "
                f"decompressed, more than GitHub ever sends; check {setting('api-url')} (a "
                "proxy in the way?)"
            )
    return bytes(body)


def _small_body(response: HTTPResponse, what: str) -> bytes:
    """The body of an answer that is retried (a rate limit's), or nothing if it cannot be read."""
    try:
        chunks = response.stream(_CHUNK_BYTES, decode_content=True)
        return _capped(chunks, what, ANSWER_LIMIT_BYTES, response.close)
    except (HTTPError, OSError):
        return b""


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
