"""The library internals store/github/http.py and engine/ rely on, in the installed versions.

An upgrade that renames one of them would not fail loudly: a setattr would create an unused
attribute, a getattr would find nothing, and runs would lose connection reuse or the deadline
of each request without a word. These checks fail instead, naming what moved.
"""

from __future__ import annotations

import http.client
import io
import socket
from collections.abc import Iterator

import pytest
import requests
from github import Github, GithubRetry
from github.GithubException import RateLimitExceededExceedsMaxWait, RateLimitExceededException
from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass, Requester
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import NewConnectionError
from urllib3.response import HTTPResponse

from registry_action.store.github import http as github_http
from registry_action.store.github.contents import make_client
from registry_action.store.github.http import DeadlineAdapter, GitHubRetry, waits_of
from registry_action.store.github.waits import Waits
from registry_action.store.interface import Deadline
from resolver import Resolver


def names_read(function: object) -> set[str]:
    """The global and attribute names a function's code reads or writes."""
    return set(getattr(function, "__func__", function).__code__.co_names)


@pytest.fixture
def client() -> Iterator[Github]:
    github_http.install()
    made = make_client("token", "http://127.0.0.1:9", deadline=Deadline(60))
    try:
        yield made
    finally:
        made.close()


def test_the_connection_classes_are_injected_and_the_connection_still_persists() -> None:
    assert {"_Requester__persist", "_Requester__httpConnectionClass"} <= names_read(
        Requester.injectConnectionClasses
    )
    # PyGithub reuses its connection only while this flag holds; injecting clears it.
    assert "_Requester__persist" in names_read(Requester._Requester__createConnection)


def test_a_client_sends_through_the_deadline_adapter_on_one_connection(client: Github) -> None:
    requester = client.requester
    connection = requester._Requester__createConnection()
    assert isinstance(connection, HTTPRequestsConnectionClass)
    assert isinstance(connection.adapter, DeadlineAdapter)
    assert connection.session.get_adapter("http://127.0.0.1:9/") is connection.adapter
    assert connection.adapter.max_retries is connection.retry
    assert requester._Requester__createConnection() is connection


@pytest.mark.parametrize("kind", [HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass])
def test_pygithubs_connections_keep_a_session_retry_and_pool_size(kind: type) -> None:
    connection = kind("127.0.0.1", 9, retry=3, pool_size=2)
    try:
        assert (connection.retry, connection.pool_size) == (3, 2)
        assert connection.session.adapters  # where the adapter is mounted
        assert hasattr(connection, "adapter")
    finally:
        connection.close()


def test_the_client_hands_its_retry_back(client: Github) -> None:
    waits = waits_of(client)
    assert isinstance(waits, Waits)
    assert client.requester.kwargs["retry"].waits is waits


def test_each_try_goes_through_the_watched_connections() -> None:
    adapter = DeadlineAdapter()
    for url in ("http://127.0.0.1:9/", "https://127.0.0.1:9/"):
        pool = adapter.poolmanager.connection_from_url(url)
        assert pool.ConnectionCls is github_http._POOLS[url.split(":")[0]].ConnectionCls
    # A pool makes its connections from ConnectionCls, and each try calls connect and request.
    assert "ConnectionCls" in names_read(HTTPConnectionPool._new_conn)
    assert "request" in names_read(HTTPConnectionPool._make_request)
    assert http.client.HTTPConnection("127.0.0.1").sock is None  # the attribute, before connecting


def test_a_body_read_here_is_what_requests_returns() -> None:
    response = requests.Response()
    response.raw = io.BytesIO(b"abc")
    body = b"".join(response.iter_content(2))
    response._content = body
    assert response.content == b"abc"
    assert isinstance(HTTPResponse.connection, property)


def test_the_health_gate_sees_every_socket_http_client_opens() -> None:
    # engine/health.py wraps this to cut a fetch's sockets when its time is up, and it and
    # engine/remote.py replace it to bound the host name lookup.
    assert callable(http.client.HTTPConnection("127.0.0.1")._create_connection)
    assert "_create_connection" in names_read(http.client.HTTPConnection.connect)


def test_urllib3_makes_each_socket_in_new_conn() -> None:
    # store/github/http.py makes it there, its host name lookup bounded.
    assert "_new_conn" in names_read(HTTPConnection.connect)
    assert "_new_conn" in names_read(HTTPSConnection.connect)
    assert "_dns_host" in names_read(HTTPConnection._new_conn)


@pytest.mark.parametrize("host", ["nowhere.test", "127.0.0.1"], ids=["no such name", "refused"])
def test_the_watched_connection_fails_as_urllib3s_own(resolver: Resolver, host: str) -> None:
    resolver.missing.add("nowhere.test")
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    failures = []
    for kind in (HTTPConnection, github_http._WatchedHTTPConnection):
        with pytest.raises(NewConnectionError) as raised:
            kind(host, port, timeout=5)._new_conn()
        message = str(raised.value).partition(": ")[2]
        failures.append((type(raised.value), type(raised.value.__cause__), message))
    assert failures[0] == failures[1]


def test_githubretry_adds_403_and_carries_its_settings() -> None:
    waits = Waits(Deadline(60))
    retry = GitHubRetry(waits, secondary_rate_wait=5).new().new()
    assert isinstance(retry, GithubRetry) and retry.waits is waits
    assert retry.secondary_rate_wait == 5
    assert sorted(s for s in retry.status_forcelist if s < 500) == [403, 429]


def test_pygithub_tells_githubs_rate_limit_texts_apart() -> None:
    secondary = (
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
        "again. If you reach out to GitHub Support for help, please include the request ID 1."
    )
    primary = "API rate limit exceeded for installation ID 1."
    assert Requester.isSecondaryRateLimitError(secondary)
    assert not Requester.isPrimaryRateLimitError(secondary)
    assert Requester.isPrimaryRateLimitError(primary)
    assert not Requester.isSecondaryRateLimitError("Resource not accessible by integration")
    assert issubclass(RateLimitExceededExceedsMaxWait, RateLimitExceededException)
    assert RateLimitExceededExceedsMaxWait(403, {}, {}, wait=7.0).wait == 7.0


def test_the_requester_methods_called_directly_exist() -> None:
    for name in ("requestJson", "requestJsonAndCheck", "createException", "withAuth", "close"):
        assert callable(getattr(Requester, name, None)), name
    for name in ("auth", "graphql_url", "kwargs"):
        assert isinstance(getattr(Requester, name, None), property), name
