"""Host name lookups bounded in time (store/lookup.py), against a resolver the test sets up."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from registry_action.store.lookup import connect, lookup
from resolver import Resolver
from stalling_servers import unaccepting

# What a loaded machine may add to a bound before the caller gets control back.
SLACK = 0.5


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server


def test_a_lookup_that_hangs_is_given_up_after_its_time(resolver: Resolver) -> None:
    resolver.hanging.add("dead.test")
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"^looking up dead\.test took longer than 0\.5 s$"):
        lookup("dead.test", 443, 0.5)
    assert 0.5 <= time.monotonic() - started < 0.5 + SLACK
    # The resolver still holds its thread: a daemon, which the end of the process does not wait
    # for.
    [stuck] = resolver.stuck
    assert stuck.daemon and stuck.is_alive() and stuck is not threading.current_thread()


def test_a_lookup_in_time_gives_the_resolvers_addresses(resolver: Resolver) -> None:
    resolver.here["slow.test"] = 0.2
    found = lookup("slow.test", 80, 2.0)
    assert found == socket.getaddrinfo("127.0.0.1", 80, 0, socket.SOCK_STREAM)


def test_a_name_that_does_not_exist_raises_the_resolvers_own_error(resolver: Resolver) -> None:
    resolver.missing.add("nowhere.test")
    with pytest.raises(socket.gaierror) as raised:
        lookup("nowhere.test", 80, 2.0)
    assert raised.value.errno == socket.EAI_NONAME
    assert raised.value.strerror == "Name or service not known"


def test_no_time_left_looks_nothing_up(resolver: Resolver) -> None:
    with pytest.raises(TimeoutError, match=r"^no time was left to look up here\.test$"):
        lookup("here.test", 80, 0)
    assert resolver.asked == []


def test_without_a_bound_the_lookup_is_the_callers_own(resolver: Resolver) -> None:
    resolver.here["here.test"] = 0
    assert lookup("here.test", 80, None)
    assert resolver.asked == ["here.test"]


def test_connect_reaches_the_address_found_and_keeps_the_timeout(
    resolver: Resolver, listener: socket.socket
) -> None:
    resolver.here["here.test"] = 0.1
    port = listener.getsockname()[1]
    with connect(("here.test", port), 3.0) as sock:
        assert sock.getpeername() == ("127.0.0.1", port)
        assert sock.gettimeout() == 3.0  # what the reads of the answer then get
    with connect(("here.test", port), None) as sock:
        assert sock.gettimeout() is None
    # http.client's "no timeout given": the process's default, as socket.create_connection.
    with connect(("here.test", port), socket._GLOBAL_DEFAULT_TIMEOUT) as sock:
        assert sock.gettimeout() == socket.getdefaulttimeout()


def test_connect_tries_each_address_in_turn(
    monkeypatch: pytest.MonkeyPatch, listener: socket.socket
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        refusing = closed.getsockname()[1]
    port = listener.getsockname()[1]
    tcp = (socket.AF_INET, socket.SOCK_STREAM, 6, "")
    addresses = [(*tcp, ("127.0.0.1", refusing)), (*tcp, ("127.0.0.1", port))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: addresses)
    with connect(("two.test", port), 3.0) as sock:
        assert sock.getpeername() == ("127.0.0.1", port)
    addresses.pop()
    with pytest.raises(ConnectionRefusedError):
        connect(("two.test", port), 3.0)


def test_connect_gives_the_lookup_and_the_connection_one_time(resolver: Resolver) -> None:
    with unaccepting() as port:
        resolver.here["slow.test"] = 0.6
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            connect(("slow.test", port), 1.0)
        took = time.monotonic() - started
    # Not 0.6 s of lookup and then 1 s of connecting.
    assert 1.0 <= took < 1.0 + SLACK
