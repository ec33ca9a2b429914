"""The health gate, through the console script, against a deployment served on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fake_github import FakeGitHub
from harness import REGISTRY, WRITE_TOKEN, Action

# status to answer, given the seconds since the deployment started
Behaviour = Callable[[float], int]


@dataclass
class Deployment:
    """A plugin's server and UI host: answers per path, and remembers every request."""

    routes: dict[str, Behaviour]
    started: float = field(default_factory=time.monotonic)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    def answer(self, path: str, headers: dict[str, str]) -> int:
        self.seen.append((path, headers))
        behaviour = self.routes.get(path)
        return behaviour(time.monotonic() - self.started) if behaviour else 404


def serve(deployment: Deployment) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = deployment.answer(self.path, dict(self.headers.items()))
            body = b"ok" if status < 400 else b"not yet"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    deployment.url = f"http://127.0.0.1:{server.server_address[1]}"
    return server


@pytest.fixture
def deploy() -> Iterator[Callable[..., Deployment]]:
    servers: list[ThreadingHTTPServer] = []

    def start(health: Behaviour, remote_entry: Behaviour = lambda _: 200) -> Deployment:
        deployment = Deployment({"/api/health": health, "/assets/remoteEntry.js": remote_entry})
        servers.append(serve(deployment))
        return deployment

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def gated(deployment_url: str, timeout: str) -> dict[str, str]:
    return {
        "version": "1.2.3",
        "health-check": "true",
        "health-check-timeout": timeout,
        "server-deployment-url": deployment_url,
        "ui-remote-entry": f"{deployment_url}/assets/remoteEntry.js",
    }


def failure(what: str, waited: int) -> str:
    return (
        f"::error title=Deployment not healthy::the deployment is not healthy: {what} after "
        f"{waited}s of waiting; nothing was registered. Check the deployment, or raise "
        "`health-check-timeout` if it needs longer to go live"
    )


def test_healthy_deployment_is_registered(
    github: FakeGitHub, action: Action, deploy: Callable[..., Deployment]
) -> None:
    live = deploy(lambda _: 204)
    run = action.run(gated(live.url, "5"))
    assert run.status == 0, run.stdout + run.stderr
    assert f"Health check: {live.url}/api/health is up" in run.stdout
    assert f"Health check: {live.url}/assets/remoteEntry.js is up" in run.stdout
    assert github.list_files(REGISTRY) == ["plugins/calendar2.json", "registry.json"]
    assert [path for path, _ in live.seen] == ["/api/health", "/assets/remoteEntry.js"]
    # The token goes to GitHub only, never to the plugin's hosts.
    for _, headers in live.seen:
        assert not any(k.lower() == "authorization" for k in headers)
        assert WRITE_TOKEN not in repr(headers)


def test_unhealthy_deployment_is_not_registered(
    github: FakeGitHub, action: Action, deploy: Callable[..., Deployment]
) -> None:
    broken = deploy(lambda _: 500)
    run = action.run(gated(broken.url, "2"))
    assert run.status == 1
    assert run.errors == [
        failure(
            f"the health endpoint {broken.url}/api/health answered 500 Internal Server Error "
            "(expected 2xx)",
            2,
        )
    ]
    assert "trying again in 1s" in run.stdout
    assert len(broken.seen) >= 2  # polled, not given up after one answer
    assert github.writes == []
    assert github.list_files(REGISTRY) == []


def test_missing_remote_entry_is_not_registered(
    github: FakeGitHub, action: Action, deploy: Callable[..., Deployment]
) -> None:
    half = deploy(lambda _: 200, remote_entry=lambda _: 404)
    run = action.run(gated(half.url, "0"))
    assert run.status == 1
    assert run.errors == [
        failure(
            f"the remote entry {half.url}/assets/remoteEntry.js answered 404 Not Found "
            "(expected 200)",
            0,
        )
    ]
    assert github.writes == []


def test_slow_to_start_deployment_is_waited_for(
    github: FakeGitHub, action: Action, deploy: Callable[..., Deployment]
) -> None:
    # Counted in probes, not seconds, so a slow start of the run cannot skip the warm-up.
    probes = iter([503, 503])
    warming = deploy(lambda elapsed: next(probes, 200))
    run = action.run(gated(warming.url, "30"))
    assert run.status == 0, run.stdout + run.stderr
    assert (
        f"Health check: {warming.url}/api/health answered 503 Service Unavailable "
        "(expected 2xx); trying again in 1s"
    ) in run.stdout
    assert f"Health check: {warming.url}/api/health is up" in run.stdout
    assert github.list_files(REGISTRY) == ["plugins/calendar2.json", "registry.json"]


def test_unreachable_deployment_is_not_registered(github: FakeGitHub, action: Action) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    run = action.run(gated(closed, "1"))
    assert run.status == 1
    assert run.errors == [
        failure(
            f"the health endpoint {closed}/api/health could not be reached (connection "
            "refused) (expected 2xx)",
            1,
        )
    ]
    assert github.writes == []
