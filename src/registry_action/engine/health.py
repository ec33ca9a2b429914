"""The health gate: register a plugin only once its deployment answers.

Deployments take a moment to go live after a deploy job finishes, so each URL is polled with
a per-request timeout and a growing pause until the configured window closes. The requests
carry no credentials: they go to the plugin's own hosts, which must never see the token.
"""

from __future__ import annotations

import http.client
import socket
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

# One slow answer must not eat the whole window, and a deployment that takes longer than this
# to send its health answer is not healthy anyway.
REQUEST_TIMEOUT_SECONDS = 10.0
FIRST_PAUSE_SECONDS = 1.0
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


# urllib rather than requests: requests reads ~/.netrc and would attach credentials from it.
_OPENER = urllib.request.build_opener()
_OPENER.addheaders = [("User-Agent", f"registry-action/{__version__} (health check)")]


def fetch(url: str, timeout: float) -> Answer:
    """GET ``url`` (following redirects) and say what it answered; never raises."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            response.read(BODY_BYTES)
            return Answer(response.status, _answered(response.status, response.reason))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, _answered(exc.code, exc.reason))
    except urllib.error.URLError as exc:
        return Answer(None, _no_answer(exc.reason, timeout))
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, _no_answer(exc, timeout))


def _answered(status: int, reason: object) -> str:
    # The reason phrase is the server's text: a CR in it must not start a line in the log.
    return printable(f"answered {status} {reason or ''}".strip())


def _no_answer(reason: object, timeout: float) -> str:
    return printable(_why_no_answer(reason, timeout))


def _why_no_answer(reason: object, timeout: float) -> str:
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"did not answer within {timeout:g}s"
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
    """Waits until every probe passes, or raises HealthCheckError when the window closes."""

    window: float  # seconds, the health-check-timeout input
    fetch: Fetch = fetch
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    log: Callable[[str], None] = print
    request_timeout: float = REQUEST_TIMEOUT_SECONDS

    def wait(self, probes: list[Probe]) -> None:
        """Poll each probe in turn within one shared window."""
        started = self.clock()
        deadline = started + self.window
        for probe in probes:
            self._wait_for(probe, started, deadline)
            self.log(f"Health check: {printable(probe.url)} is up")

    def _wait_for(self, probe: Probe, started: float, deadline: float) -> None:
        pause = FIRST_PAUSE_SECONDS
        while True:
            remaining = deadline - self.clock()
            answer = self.fetch(probe.url, max(1.0, min(self.request_timeout, remaining)))
            if probe.accepts(answer.status):
                return
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise HealthCheckError(_failure(probe, answer, self.clock() - started))
            wait = min(pause, remaining)
            self.log(
                f"Health check: {printable(probe.url)} {printable(answer.text)} "
                f"(expected {probe.expected}); "
                f"trying again in {wait:.0f}s"
            )
            self.sleep(wait)
            pause = min(pause * 2, MAX_PAUSE_SECONDS)


def _failure(probe: Probe, answer: Answer, waited: float) -> str:
    return (
        f"the deployment is not healthy: {probe.label} {printable(probe.url)} "
        f"{printable(answer.text)} "
        f"(expected {probe.expected}) after {waited:.0f}s of waiting; nothing was registered. "
        f"Check the deployment, or raise {setting('health-check-timeout')} if it needs longer "
        "to go live"
    )
