"""The health gate: register a plugin only once its deployment answers.

Deployments take a moment to go live after a deploy job finishes, so each URL is polled with
a timeout for each whole request (host name lookup, connection, headers and body) and a growing
pause until the window closes: `health-check-timeout`, never past the run's deadline. The
requests carry no credentials: they go to the plugin's own hosts, which must never see the
token.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from registry_action import __version__
from registry_action.core.escaping import printable
from registry_action.errors import HealthCheckError, InputError
from registry_action.settings.spelling import named, setting
from registry_action.store.interface import Deadline
from registry_action.store.lookup import connect

# One slow answer must not eat the whole window, and a deployment that takes longer than this
# to send its health answer is not healthy anyway.
REQUEST_TIMEOUT_SECONDS = 10.0
FIRST_PAUSE_SECONDS = 1.0
# A try shorter than this cannot tell a slow deployment from a dead one.
MIN_TRY_SECONDS = 1.0
MAX_PAUSE_SECONDS = 10.0
# Only the status matters; reading a little of the body lets the server finish its answer.
BODY_BYTES = 1024


@dataclass(frozen=True)
class Probe:
    """One URL the gate waits for, and the answer it must give."""

    label: str  # what the URL is, for messages: "the health endpoint"
    url: str
    expected: str  # "2xx" or "200"

    def accepts(self, status: int | None) -> bool:
        if status is None:
            return False
        return status == 200 if self.expected == "200" else 200 <= status < 300


@dataclass(frozen=True)
class Answer:
    """What a URL answered: a status, or why there was none."""

    status: int | None
    text: str  # "answered 500 Internal Server Error", "could not be reached (...)", ...


Fetch = Callable[[str, float], Answer]


def health_url(deployment_url: str, health_check: str) -> str:
    """``deploymentUrl`` + ``healthCheck``, with exactly one slash between them."""
    if not health_check:
        return deployment_url
    return deployment_url.rstrip("/") + "/" + health_check.lstrip("/")


def probes_for(manifest: Mapping[str, Any]) -> list[Probe]:
    """The server's health endpoint (2xx) and the UI's remote entry (200) of a manifest."""
    server = manifest.get("server") or {}
    ui = manifest.get("ui") or {}
    probes: list[Probe] = []
    if isinstance(server, Mapping) and isinstance(server.get("deploymentUrl"), str):
        url = health_url(server["deploymentUrl"], str(server.get("healthCheck") or ""))
        probes.append(Probe("the health endpoint", url, "2xx"))
    if isinstance(ui, Mapping) and isinstance(ui.get("remoteEntry"), str):
        probes.append(Probe("the remote entry", ui["remoteEntry"], "200"))
    if not probes:
        raise InputError(
            f"{named('health-check')}: the manifest has neither server.deploymentUrl nor "
            "ui.remoteEntry, so there is nothing to check"
        )
    return probes


class _Sockets:
    """The sockets one fetch opened (a redirect opens more), cut together when time is up.

    urllib's timeout bounds each read, so a deployment that sends its answer a byte at a time
    would hold the gate as long as it likes; cutting the sockets bounds the whole fetch.
    """

    def __init__(self) -> None:
        self.opened: list[socket.socket] = []
        self.cut = False
        self._lock = threading.Lock()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self.opened.append(sock)
            if not self.cut:
                return
        _shut(sock)

    def cut_all(self) -> None:
        with self._lock:
            self.cut = True
            opened = list(self.opened)
        for sock in opened:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _registering(connection: http.client.HTTPConnection, sockets: _Sockets) -> None:
    # Every socket http.client opens comes from _create_connection, before any TLS handshake;
    # made here, its host name lookup has the try's timeout too (the timer cannot cut a lookup).
    def created(*args: Any, **kwargs: Any) -> socket.socket:
        sock = connect(*args, **kwargs)
        sockets.add(sock)
        return sock

    setattr(connection, "_create_connection", created)  # noqa: B010


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, sockets: _Sockets, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _registering(self, sockets)


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, sockets: _Sockets, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _registering(self, sockets)


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, sockets: _Sockets) -> None:
        super().__init__()
        self.sockets = sockets

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_HTTPConnection, sockets=self.sockets), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, sockets: _Sockets) -> None:
        super().__init__()
        self.sockets = sockets

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_HTTPSConnection, sockets=self.sockets), req)


def _opener(sockets: _Sockets) -> urllib.request.OpenerDirector:
    # urllib rather than requests: requests reads ~/.netrc and would attach credentials from it.
    opener = urllib.request.build_opener(_HTTPHandler(sockets), _HTTPSHandler(sockets))
    opener.addheaders = [("User-Agent", f"registry-action/{__version__} (health check)")]
    return opener


def fetch(url: str, timeout: float) -> Answer:
    """GET ``url`` (following redirects) within ``timeout`` seconds in all; never raises."""
    sockets = _Sockets()
    timer = threading.Timer(timeout, sockets.cut_all)
    timer.daemon = True
    timer.start()
    try:
        answer = _fetch(url, timeout, sockets)
    finally:
        timer.cancel()
    return Answer(None, _no_answer(TimeoutError(), timeout)) if answer is None else answer


def _fetch(url: str, timeout: float, sockets: _Sockets) -> Answer | None:
    """What ``url`` answered; None when the time was up first."""
    try:
        with _opener(sockets).open(url, timeout=timeout) as response:
            with contextlib.suppress(OSError, http.client.HTTPException):
                response.read(BODY_BYTES)  # only the status counts: the body may be cut
            return Answer(response.status, _answered(response.status, response.reason))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, _answered(exc.code, exc.reason))
    except urllib.error.URLError as exc:
        return None if sockets.cut else Answer(None, _no_answer(exc.reason, timeout))
    except (OSError, http.client.HTTPException) as exc:
        return None if sockets.cut else Answer(None, _no_answer(exc, timeout))


def _answered(status: int, reason: object) -> str:
    # The reason phrase is the server's text: a CR in it must not start a line in the log.
    return printable(f"answered {status} {reason or ''}".strip())


def _no_answer(reason: object, timeout: float) -> str:
    return printable(_why_no_answer(reason, timeout))


def _why_no_answer(reason: object, timeout: float) -> str:
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"did not answer within {round(timeout, 1):g}s"
    if isinstance(reason, http.client.RemoteDisconnected):
        return "closed the connection without an answer"
    if isinstance(reason, socket.gaierror):
        return f"could not be reached (host not found: {reason.strerror or reason})"
    if isinstance(reason, ConnectionRefusedError):
        return "could not be reached (connection refused)"
    if isinstance(reason, OSError) and reason.strerror:
        return f"could not be reached ({reason.strerror})"
    return f"could not be reached ({reason})"


@dataclass
class HealthGate:
    """Waits until every probe passes, or raises HealthCheckError when the window closes.

    The window is `health-check-timeout`, or what is left of the run's deadline if that is
    less. A try gets what is left of the window, but at least MIN_TRY_SECONDS: the gate ends
    within that much past the window.
    """

    window: float  # seconds, the health-check-timeout input
    fetch: Fetch = fetch
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    log: Callable[[str], None] = print
    request_timeout: float = REQUEST_TIMEOUT_SECONDS
    deadline: Deadline | None = None  # the run's

    def wait(self, probes: list[Probe]) -> None:
        """Poll each probe in turn within one shared window."""
        window, limit = self.window, "health-check-timeout"
        if self.deadline is not None and self.deadline.remaining() < window:
            window, limit = max(self.deadline.remaining(), 0.0), "timeout"
            self.log(
                f"Health check: waiting up to {window:.0f}s for the deployment (what is left "
                f"of {setting('timeout')})"
            )
        else:
            self.log(f"Health check: waiting up to {window:g}s for the deployment")
        started = self.clock()
        for probe in probes:
            self._wait_for(probe, started, started + window, limit)
            self.log(f"Health check: {printable(probe.url)} is up")

    def _wait_for(self, probe: Probe, started: float, deadline: float, limit: str) -> None:
        pause = FIRST_PAUSE_SECONDS
        while True:
            remaining = deadline - self.clock()
            timeout = max(MIN_TRY_SECONDS, min(self.request_timeout, remaining))
            answer = self.fetch(probe.url, timeout)
            if probe.accepts(answer.status):
                return
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise HealthCheckError(_failure(probe, answer, self.clock() - started, limit))
            wait = min(pause, remaining)
            self.log(
                f"Health check: {printable(probe.url)} {printable(answer.text)} "
                f"(expected {probe.expected}); "
                f"trying again in {wait:.0f}s"
            )
            self.sleep(wait)
            pause = min(pause * 2, MAX_PAUSE_SECONDS)


def _failure(probe: Probe, answer: Answer, waited: float, limit: str) -> str:
    return (
        f"the deployment is not healthy: {probe.label} {printable(probe.url)} "
        f"{printable(answer.text)} "
        f"(expected {probe.expected}) after {waited:.0f}s of waiting; nothing was registered. "
        f"Check the deployment, or raise {setting(limit)} if it needs longer "
        "to go live"
    )
