"""Host name lookups bounded in time, and connections that include them (store layer).

socket.getaddrinfo, which http.client and urllib3 call before any socket exists, has no
timeout: a resolver that does not answer holds the caller for as long as it keeps trying (the C
library's retries, over every name server), and no timer can cut a socket not yet made. Here a
lookup runs on a daemon thread and is given up after its time, with TimeoutError; a thread
still in the resolver then finishes on its own and never holds the end of the process. The
store's GitHub transport and the engine's fetches of plugins' hosts connect through
``connect``, so the run's deadline bounds the lookup as it bounds the rest of a request.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

# What socket.getaddrinfo gives: (family, kind, protocol, canonical name, socket address).
Found = Sequence[tuple[socket.AddressFamily, socket.SocketKind, int, str, Any]]
Option = tuple[int, int, int | bytes]


def lookup(host: str, port: int | str | None, seconds: float | None, *, family: int = 0) -> Found:
    """The addresses of ``host`` for a TCP connection, within ``seconds`` (None: no bound).

    Raises TimeoutError past ``seconds``, and what socket.getaddrinfo raises otherwise (a
    name that does not exist is a socket.gaierror, as before).
    """
    if seconds is None:
        return socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    if seconds <= 0:
        raise TimeoutError(f"no time was left to look up {host}")
    answers: queue.SimpleQueue[Found | Exception] = queue.SimpleQueue()

    def resolve() -> None:
        try:
            answers.put(socket.getaddrinfo(host, port, family, socket.SOCK_STREAM))
        except Exception as exc:  # raised in the caller's thread, below
            answers.put(exc)

    threading.Thread(target=resolve, name=f"lookup of {host}", daemon=True).start()
    try:
        answer = answers.get(timeout=seconds)
    except queue.Empty:
        raise TimeoutError(f"looking up {host} took longer than {seconds:.3g} s") from None
    if isinstance(answer, Exception):
        raise answer
    return answer


def connect(
    address: tuple[str, int],
    timeout: object,
    source_address: tuple[str, int] | None = None,
    *,
    family: int = 0,
    options: Iterable[Option] = (),
) -> socket.socket:
    """socket.create_connection, with the name lookup inside ``timeout`` too.

    A number bounds the lookup and the connection attempts together (each address in turn
    gets what is left), and is then the socket's timeout; None or a library's "default"
    sentinel bound neither, as socket.create_connection does.
    """
    host, port = address
    bound = float(timeout) if isinstance(timeout, int | float) else None
    ends = time.monotonic() + bound if bound is not None else 0.0
    # urllib3 passes an IPv6 address in its URL brackets.
    found = lookup(host.strip("[]"), port, bound, family=family)
    error: OSError | None = None
    for family_, kind, protocol, _, place in found:
        if bound is not None and time.monotonic() >= ends:
            raise TimeoutError(f"connecting to {host} took longer than {bound:.3g} s")
        sock = socket.socket(family_, kind, protocol)
        try:
            for option in options:
                sock.setsockopt(*option)
            if bound is not None:
                sock.settimeout(max(ends - time.monotonic(), 0.001))
            elif timeout is None:
                sock.settimeout(None)
            if source_address:
                sock.bind(source_address)
            sock.connect(place)
        except OSError as exc:
            error = exc
            sock.close()
            continue
        if bound is not None:
            sock.settimeout(bound)
        return sock
    raise error or OSError(f"no address was found for {host}")
