"""The HTTP layer: a threading HTTP/1.1 server with keep-alive that hands requests to the fake."""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Protocol

from .core import ApiResponse

if TYPE_CHECKING:
    from socketserver import BaseServer


def _latin1(value: str) -> str:
    """``value`` as the Latin-1 text http.server sends: itself, or its UTF-8 bytes."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode().decode("latin-1")
    return value


class Service(Protocol):
    """What the server calls for each request."""

    def serve(self, exchange: Exchange) -> None: ...


class Server(ThreadingHTTPServer):
    """Threads per connection, daemon threads, and a register of open connections to close."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], service: Service) -> None:
        self.service = service
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, Exchange)

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet about clients that went away; report anything else."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    def close_connections(self) -> None:
        with self.connections_lock:
            open_now = list(self.connections)
        for conn in open_now:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class Exchange(BaseHTTPRequestHandler):
    """One connection; each request on it is passed to the service, which replies or drops."""

    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
    sys_version = ""
    server: Server

    def __init__(self, request: socket.socket, client: tuple[str, int], server: BaseServer) -> None:
        self.body = b""
        self.dropped = False
        super().__init__(request, client, server)

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and the
        # client's delayed ACK add 40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        if not self.dropped:
            super().finish()

    def _any(self) -> None:
        self.body = self._read_body()
        self.server.service.serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _any

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, response: ApiResponse) -> None:
        """Send ``response`` with a correct Content-Length, keeping the connection alive."""
        body = b"" if self.command == "HEAD" or response.status in (204, 304) else response.body
        if response.trickle is not None:
            self._trickle(response, body, *response.trickle)
            return
        self._head(response, body)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _head(self, response: ApiResponse, body: bytes) -> None:
        self.send_response(response.status)
        for key, value in response.headers.items():
            # Bytes past ASCII in a field value are opaque (RFC 9110 section 5.5): a text that
            # Latin-1 cannot hold goes out as UTF-8, as a server written in another language would.
            self.send_header(key, _latin1(value))
        self.send_header("content-length", str(len(body)))

    def _trickle(self, response: ApiResponse, body: bytes, part: str, seconds: float) -> None:
        """Send the headers, or the body, one byte every ``seconds`` (until the client leaves)."""
        self._head(response, body)
        head = b"".join(self._headers_buffer) + b"\r\n"
        self._headers_buffer = []
        slow, fast = (head, b"") if part == "headers" else (body, head)
        self.close_connection = True
        try:
            self.wfile.write(fast)
            for byte in (slow[i : i + 1] for i in range(len(slow))):
                self.wfile.write(byte)
                self.wfile.flush()
                time.sleep(seconds)
            if part == "headers":
                self.wfile.write(body)
        except OSError:
            pass  # the client gave up, as it should

    def drop(self) -> None:
        """Reset the connection: no response at all, an RST on the wire."""
        self.dropped = True
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet; the request log is the record."""
