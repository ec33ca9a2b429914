"""The PyGithub and urllib3 internals store/github/http.py relies on, on the installed versions.

An upgrade that renames one of them would not fail loudly: a setattr would create an unused
attribute, a getattr would find nothing, and runs would lose connection reuse or the body
deadline without a word. These checks fail instead, naming what moved.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator

import pytest
from github import Github, GithubRetry
from github.GithubException import RateLimitExceededExceedsMaxWait, RateLimitExceededException
from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass, Requester
from urllib3.response import HTTPResponse

from registry_action.store.github import http as github_http
from registry_action.store.github.contents import make_client
from registry_action.store.github.http import DeadlineAdapter, GitHubRetry, Waits, waits_of
from registry_action.store.interface import Deadline


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


def test_the_body_deadline_reaches_the_socket_through_urllib3s_response() -> None:
    assert isinstance(HTTPResponse.connection, property)
    assert http.client.HTTPConnection("127.0.0.1").sock is None  # the attribute, before connecting


def test_githubretry_adds_403_carries_its_settings_and_reads_bodies() -> None:
    waits = Waits(Deadline(60))
    retry = GitHubRetry(waits, secondary_rate_wait=5).new().new()
    assert isinstance(retry, GithubRetry) and retry.waits is waits
    assert retry.secondary_rate_wait == 5
    assert sorted(s for s in retry.status_forcelist if s < 500) == [403, 429]
    assert isinstance(GithubRetry.__dict__["get_content"], staticmethod)


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
