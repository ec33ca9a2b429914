"""Fetching plugins' remote entries: their bytes, bounded, within the run's deadline.

Part of the engine: register's `integrity` hashes what is deployed, validate's `live` compares
what is deployed with what was registered. The requests carry no credentials (a plugin's host
must never see the token, and urllib reads no .netrc), follow redirects only to http(s) and at
most MAX_REDIRECTS times, and keep at most MAX_BYTES of body after decoding. Connecting and
every read of the body get only the time left of the fetch's budget, so a server that trickles
bytes cannot hold the run past it; the host name lookup gets the same time (store/lookup.py).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.client
import socket
import ssl
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from registry_action import __version__
from registry_action.core.escaping import printable
from registry_action.errors import RemoteEntryError
from registry_action.settings.spelling import named, setting
from registry_action.store.interface import Deadline
from registry_action.store.lookup import connect

# A remote entry is a bootstrap script of a few kilobytes; ten megabytes is none.
MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
# One fetch never takes longer than this, whatever the run has left.
FETCH_SECONDS = 60.0
# Fetches in flight at once for a whole registry: quick, without flooding anyone's host.
WORKERS = 8
_CHUNK = 64 * 1024
_ALGORITHMS = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


@dataclass(frozen=True)
class Fetched:
    """What a URL gave: its body, or why there is none."""

    url: str
    body: bytes | None
    reason: str = ""  # "answered 404 Not Found", "did not answer within 10s", ...
    late: bool = False  # not fetched at all: the run's deadline had passed


def sri(body: bytes, algorithm: str = "sha384") -> str:
    """The Subresource Integrity metadata of ``body``: ``sha384-<base64>``."""
    digest = _ALGORITHMS[algorithm](body).digest()
    return f"{algorithm}-{base64.b64encode(digest).decode('ascii')}"


def matches(integrity: str, body: bytes) -> bool:
    """Whether ``body`` hashes to ``integrity`` (a ``sha256-``, ``sha384-`` or ``sha512-`` hash)."""
    algorithm = integrity.partition("-")[0]
    return algorithm in _ALGORITHMS and sri(body, algorithm) == integrity


class _Refused(Exception):
    """The fetch stopped for a reason of its own (a redirect, a size, an encoding)."""


@dataclass
class _Budget:
    """The time one fetch has, and the sockets it opened (the last one serves the answer)."""

    seconds: float
    clock: Callable[[], float]
    ends: float = 0.0
    sockets: list[socket.socket] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ends = self.clock() + self.seconds

    def left(self) -> float:
        left = self.ends - self.clock()
        if left <= 0:
            raise TimeoutError
        return left

    def arm(self) -> None:
        """Give the next read of the answer only the time left."""
        left = self.left()
        if self.sockets:
            self.sockets[-1].settimeout(left)


class _Http(http.client.HTTPConnection):
    """A connection given only what is left of its fetch's budget, host name lookup included,
    that hands its socket to the budget (_Https is the same over TLS)."""

    budget: _Budget

    def connect(self) -> None:
        self.timeout = self.budget.left()
        # http.client opens its sockets through this attribute, its host name lookup unbounded.
        setattr(self, "_create_connection", connect)  # noqa: B010
        super().connect()
        self.budget.sockets.append(self.sock)


class _Https(_Http, http.client.HTTPSConnection):
    pass


class _HttpHandler(urllib.request.HTTPHandler):
    def __init__(self, budget: _Budget) -> None:
        super().__init__()
        self.budget = budget

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        def connection(host: str, **kwargs: Any) -> _Http:
            made = _Http(host, **kwargs)
            made.budget = self.budget
            return made

        return self.do_open(connection, req)


@functools.cache
def _tls() -> ssl.SSLContext:
    # Loading the system's certificates takes tens of milliseconds: once per run, not per fetch.
    return ssl.create_default_context()


class _HttpsHandler(urllib.request.HTTPSHandler):
    def __init__(self, budget: _Budget) -> None:
        super().__init__(context=_tls())
        self.budget = budget

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        def connection(host: str, **kwargs: Any) -> _Https:
            made = _Https(host, **kwargs)
            made.budget = self.budget
            return made

        return self.do_open(connection, req, context=self._context)  # type: ignore[attr-defined]


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def http_error_302(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any
    ) -> Any:
        location = headers.get("location") or headers.get("uri")
        if location:
            target = urljoin(req.full_url, location)
            if urlsplit(target).scheme.lower() not in ("http", "https"):
                raise _Refused(f"redirected to {printable(target)}, which is not http(s)")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _opener(budget: _Budget) -> urllib.request.OpenerDirector:
    """Only what a plain GET of an http(s) URL needs: no file:, ftp: or data: handler."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        _HttpHandler(budget),
        _HttpsHandler(budget),
        _Redirects(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    opener.addheaders = [
        ("User-Agent", f"registry-action/{__version__} (remote entry check)"),
        # What the origin serves now, not a copy a cache kept from before the deploy.
        ("Cache-Control", "no-cache"),
    ]
    return opener


def fetch(
    url: str,
    seconds: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    max_bytes: int = MAX_BYTES,
) -> Fetched:
    """GET ``url`` within ``seconds``, keeping at most ``max_bytes``; never raises."""
    budget = _Budget(seconds, clock)
    try:
        with _opener(budget).open(url, timeout=budget.left()) as response:
            if response.status != 200:
                return Fetched(url, None, _answered(response.status, response.reason))
            return Fetched(url, _body(response, budget, max_bytes))
    except _Refused as exc:
        return Fetched(url, None, str(exc))
    except urllib.error.HTTPError as exc:
        exc.close()
        return Fetched(url, None, _http_error(exc))
    except urllib.error.URLError as exc:
        return Fetched(url, None, _no_answer(exc.reason, seconds, budget))
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Fetched(url, None, _no_answer(exc, seconds, budget))


def _body(response: http.client.HTTPResponse, budget: _Budget, max_bytes: int) -> bytes:
    """The answer's body, decoded, read a chunk at a time within the budget."""
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
        raise _Refused(f"answered in the encoding {printable(encoding)!r}, which was not asked for")
    # gzip, or zlib-wrapped deflate (what browsers accept as "deflate").
    decoder = zlib.decompressobj(47) if encoding != "identity" else None
    kept: list[bytes] = []
    size = 0
    while True:
        budget.arm()
        chunk = response.read1(_CHUNK)
        if not chunk:
            break
        if decoder is not None:
            chunk = decoder.decompress(chunk, max_bytes - size + 1)
            if decoder.unconsumed_tail:
                size = max_bytes + 1
        size += len(chunk)
        if size > max_bytes:
            raise _Refused(f"sent more than {max_bytes // (1024 * 1024)} MB")
        kept.append(chunk)
    return b"".join(kept)


def _answered(status: int, reason: object) -> str:
    # The reason phrase is the server's text: a CR in it must not start a line in the log.
    return printable(f"answered {status} {reason or ''}".strip())


def _http_error(exc: urllib.error.HTTPError) -> str:
    if 300 <= exc.code < 400:
        return f"was redirected more than {MAX_REDIRECTS} times, or without a Location"
    return _answered(exc.code, exc.reason)


def _no_answer(reason: object, seconds: float, budget: _Budget) -> str:
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"did not answer in full within {seconds:g}s"
    if isinstance(reason, http.client.RemoteDisconnected):
        return "closed the connection without an answer"
    if isinstance(reason, http.client.IncompleteRead):
        return "closed the connection before the end of its answer"
    if isinstance(reason, socket.gaierror):
        return printable(f"could not be reached (host not found: {reason.strerror or reason})")
    if isinstance(reason, ConnectionRefusedError):
        return "could not be reached (connection refused)"
    if isinstance(reason, ssl.SSLError):
        return printable(f"could not be reached securely ({reason.reason or reason})")
    if isinstance(reason, OSError) and reason.strerror:
        return printable(f"could not be reached ({reason.strerror})")
    return printable(f"could not be fetched ({reason})")


def fetch_within(url: str, deadline: Deadline) -> Fetched:
    """``fetch(url)`` with the time the run has left, at most FETCH_SECONDS."""
    seconds = min(FETCH_SECONDS, deadline.remaining())
    if seconds <= 0:
        return Fetched(url, None, "was not fetched: the run's deadline had passed", late=True)
    return fetch(url, seconds)


def integrity_of(url: str, deadline: Deadline, log: Callable[[str], None]) -> str:
    """The SRI hash of what ``url`` serves now; RemoteEntryError when it cannot be fetched."""
    fetched = fetch_within(url, deadline)
    if fetched.body is None:
        raise RemoteEntryError(
            f"{named('integrity')}: the remote entry {printable(url)} {fetched.reason}, so its "
            "hash cannot be recorded; nothing was registered. Check the deployment "
            f"({setting('health-check', 'true')} waits for it to go live)"
        )
    integrity = sri(fetched.body)
    log(f"Integrity: {printable(url)} is {len(fetched.body)} bytes, {integrity}")
    return integrity


def fetch_all(
    urls: Iterable[str],
    deadline: Deadline,
    *,
    workers: int = WORKERS,
    fetcher: Callable[[str, Deadline], Fetched] = fetch_within,
) -> dict[str, Fetched]:
    """Each distinct URL fetched once, ``workers`` at a time, all within ``deadline``."""
    unique = list(dict.fromkeys(urls))
    if not unique:
        return {}
    with ThreadPoolExecutor(max_workers=min(workers, len(unique))) as pool:
        futures = {url: pool.submit(fetcher, url, deadline) for url in unique}
        return {url: future.result() for url, future in futures.items()}
