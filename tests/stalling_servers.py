"""Servers on 127.0.0.1 that hold a client without ever answering in full.

Shared by the deadline tests and bench/deadline.py: a deployment that sends its status line and
headers a byte at a time, and an address whose listen queue is full, so that connect() waits.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def trickling_deployment(padding: int = 200, pause: float = 0.5) -> Iterator[str]:
    """A deployment sending its status line and headers one byte every ``pause`` seconds
    (``padding`` bytes of a header after the status line); its URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def answer(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Padding: " + b"x" * padding:
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(pause)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


@contextmanager
def unaccepting() -> Iterator[int]:
    """A port whose listen queue is full: the kernel drops further SYNs, and connect() waits."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        queued = [socket.socket() for _ in range(3)]
        for waiting in queued:
            waiting.setblocking(False)
            waiting.connect_ex(("127.0.0.1", port))
        try:
            yield port
        finally:
            for waiting in queued:
                waiting.close()
