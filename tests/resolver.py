"""A name resolver a test sets up: names that hang, that do not exist, that fail for now, or
that are this machine.

It stands in for ``socket.getaddrinfo`` in this process (the console script runs here), for
the names a test gives it; every other name goes to the real one. A lookup that hangs waits
far past any deadline of a test, as a resolver whose name servers do not answer does, and is
let go when the test ends.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

# Far past the deadline of any test here, and still short enough to be noticed if waited for.
HANG_SECONDS = 60.0


class Resolver:
    """What each name does when looked up; the threads that were left waiting in a hang."""

    def __init__(self) -> None:
        self.hanging: set[str] = set()
        self.missing: set[str] = set()
        self.here: dict[str, float] = {}  # a name of 127.0.0.1, and how long it takes
        # A name whose lookups fail for now (EAI_AGAIN) this many more times before it is
        # found as one of ``here``.
        self.failing: dict[str, int] = {}
        self.stuck: list[threading.Thread] = []
        self.asked: list[str] = []
        self._released = threading.Event()
        self._real = socket.getaddrinfo

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(socket, "getaddrinfo", self._getaddrinfo)

    def release(self) -> None:
        self._released.set()

    def _getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        self.asked.append(str(host))
        if host in self.hanging:
            self.stuck.append(threading.current_thread())
            self._released.wait(HANG_SECONDS)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        if self.failing.get(host, 0) > 0:
            self.failing[host] -= 1
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        if host in self.missing:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if host in self.here:
            self._released.wait(self.here[host])
            return self._real("127.0.0.1", port, *args, **kwargs)
        return self._real(host, port, *args, **kwargs)
