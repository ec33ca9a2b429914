"""Plugins' hosts on 127.0.0.1: remote entries served as a test sets them, every request kept.

A real HTTP server (http.server, in a thread) so that the program's own client is what is
tested: answers that change, go away, come slowly or a byte at a time, are huge, compressed,
or redirect elsewhere; over TLS with a certificate made for the test (``certificate``).
"""

from __future__ import annotations

import contextlib
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made with openssl: (cert, key)."""
    cert, key = folder / "host.pem", folder / "host.key"
    command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1"
    named = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run([*command.split(), *named, *files], check=True, capture_output=True)
    return cert, key


@dataclass
class Route:
    """How one path answers."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the answer starts
    trickle: float = 0.0  # seconds between the bytes of the body, sent one at a time
    size: int | None = None  # a body of this many bytes, streamed, instead of ``body``
    location: str | None = None  # answer 302 to this URL


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


class RemoteHosts:
    """Serves ``routes`` by path; any other path answers 404."""

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        """``tls``: serve HTTPS with this certificate and key (see ``certificate``)."""
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            # The handshake happens in the request's thread, where a client refusing the
            # certificate ends only that request.
            self._server.socket = context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
            scheme = "https"
        self.base = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> RemoteHosts:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def serve(self, path: str, body: bytes = b"", **how: object) -> str:
        """Answer ``path`` with ``body`` (or as ``how`` says); its URL."""
        self.routes[path] = Route(body, **how)  # type: ignore[arg-type]
        return self.url(path)

    def gone(self, path: str) -> None:
        self.routes.pop(path, None)

    def requested(self) -> list[str]:
        with self._lock:
            return [seen.path for seen in self.seen]

    def _record(self, path: str, headers: dict[str, str]) -> Route | None:
        with self._lock:
            self.seen.append(Seen(path, headers))
        return self.routes.get(path)


def _handler(hosts: RemoteHosts) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle(self) -> None:
            # A client that refuses the certificate closes the connection mid-handshake.
            with contextlib.suppress(ssl.SSLError, ConnectionResetError):
                super().handle()

        def do_GET(self) -> None:
            route = hosts._record(self.path, dict(self.headers.items()))
            # The client may give up mid-answer, as it should.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._answer(route)

        def _answer(self, route: Route | None) -> None:
            if route is None:
                route = Route(b"Not Found", status=404)
            time.sleep(route.delay)
            if route.location is not None:
                self.send_response(302)
                self.send_header("Location", route.location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            size = route.size if route.size is not None else len(route.body)
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            if route.size is not None:
                block = b"x" * 65536
                for start in range(0, size, len(block)):
                    self.wfile.write(block[: size - start])
            elif route.trickle:
                for byte in route.body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(route.trickle)
            else:
                self.wfile.write(route.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
