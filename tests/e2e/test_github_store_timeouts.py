"""The GitHub store's transport against the fake: hung requests are abandoned and retried."""

from __future__ import annotations

import pytest

from fake_github import faults
from harness import REGISTRY, WRITE_TOKEN, start_fake
from registry_action.errors import GaveUpError
from registry_action.store.github.contents import GitHubStore, make_client
from registry_action.store.interface import Deadline


def test_a_hung_request_is_abandoned_and_retried() -> None:
    fake = start_fake()
    try:
        fake.put_file(REGISTRY, "registry.json", b"{}\n")
        fake.inject(method="GET", path_regex=r"registry\.json$", fault=faults.hang(3))
        store = GitHubStore(
            make_client(WRITE_TOKEN, fake.api_url, timeout=1, deadline=Deadline(600)),
            REGISTRY,
            "main",
        )
        found = store.read("registry.json")
        assert found is not None and found.content == b"{}\n"
        reads = [r for r in fake.requests if r.path.endswith("registry.json")]
        assert [r.fault for r in reads] == ["hang", None]
    finally:
        fake.stop()


def test_a_request_that_always_hangs_ends_in_one_error() -> None:
    fake = start_fake()
    try:
        fake.inject(method="GET", fault=faults.hang(3), times=None)
        client = make_client(WRITE_TOKEN, fake.api_url, timeout=1, deadline=Deadline(4))
        store = GitHubStore(client, REGISTRY, "main")
        with pytest.raises(
            GaveUpError, match=r"GitHub did not answer in time after (\d+) tries"
        ) as e:
            store.read("registry.json")
        # The message counts the tries really made.
        assert f"after {len(fake.requests)} tries in " in str(e.value)
        assert len(fake.requests) >= 2
    finally:
        fake.stop()
