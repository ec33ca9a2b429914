"""The time each try of a request to GitHub may take, cut when it is up (store layer).

requests applies its timeout to each read, so a server sending one byte every few seconds, of
its headers or of its body, holds a run as long as it likes. A Watch gives each try of one
request (its connection, headers and body) at most a fixed time, never more than what is
left before the run's deadline, and a timer cuts the try's socket when that time is up. The
transport (http.py) makes one per request and tells it, from urllib3's connections, when
each try starts.
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress
from typing import Any, Protocol

from registry_action.errors import GaveUpError
from registry_action.store.interface import Deadline


class Connection(Protocol):
    """What a watch uses of a connection: its socket, once connected, and its timeout."""

    sock: socket.socket | None
    timeout: Any


class Watch:
    """The time one request may take: each try at most ``most``, and never past the deadline.

    A timer cuts the socket of the try's connection when its time is up, whatever is being
    read; the try then fails as a dropped connection would, and is known to have run out.
    """

    def __init__(self, deadline: Deadline, most: float, where: str) -> None:
        self.deadline, self.most, self.where = deadline, most, where
        self.cut = False  # the timer cut the latest try
        self.by_deadline = False  # the latest try had all the run's time left
        self.tries = 0
        self._timer: threading.Timer | None = None
        self._connection: Connection | None = None
        self._requested = False
        self._connect_by_deadline = False

    def connecting(self, connection: Connection) -> None:
        if self._timer is None:
            self._start()
        self._connection = connection
        # The timer cannot cut a socket still connecting, nor a host name lookup (there is no
        # socket yet): the connect timeout, which bounds both (http.py), must hold too.
        left = self.deadline.remaining()
        self._connect_by_deadline = False
        if not isinstance(connection.timeout, int | float) or connection.timeout > left:
            connection.timeout, self._connect_by_deadline = max(left, 0.001), True

    def connect_timed_out(self) -> None:
        """The try's connection timed out: at the deadline, when that was its bound."""
        if self._connect_by_deadline:
            self.cut = self.by_deadline = True

    def requesting(self, connection: Connection) -> None:
        if self._timer is None or self._requested:
            self._start()
        self._connection, self._requested = connection, True

    def _start(self) -> None:
        self.stop()
        left = self.deadline.remaining()
        if left <= 0:
            raise self.late()
        self.cut, self.by_deadline, self._requested = False, left <= self.most, False
        self.tries += 1
        self._timer = threading.Timer(min(left, self.most), self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self) -> None:
        self.cut = True
        sock = getattr(self._connection, "sock", None)
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def ran_out(self) -> bool:
        """Whether the latest try failed because the run's time was up."""
        return (self.cut and self.by_deadline) or self.deadline.remaining() <= 0

    def late(self) -> GaveUpError:
        tried = f"{self.tries} {'try' if self.tries == 1 else 'tries'}"
        return GaveUpError(
            f"the answer to {self.where} did not arrive in time ({tried} in "
            f"{self.deadline.elapsed():.0f} s); {self.deadline.advice()}"
        )


_LOCAL = threading.local()


def current() -> Watch | None:
    """The watch of the request this thread is making, if any."""
    watch = getattr(_LOCAL, "watch", None)
    return watch if isinstance(watch, Watch) else None


def watching(watch: Watch | None) -> None:
    """Make ``watch`` the one of the request this thread is making (None: none)."""
    _LOCAL.watch = watch
