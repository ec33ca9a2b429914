"""The GitHub store's transport against the fake: hung requests are abandoned and retried."""

from __future__ import annotations

import re

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
        with pytest.raises(GaveUpError) as e:
            store.read("registry.json")
        # A try gets at most what is left of the deadline; the message counts the tries made.
        assert re.fullmatch(
            r"the answer to GET /repos/org/plugin-registry/contents/registry\.json did not "
            rf"arrive in time \({len(fake.requests)} tries in [1-4] s\); the run's deadline is "
            r"`timeout` \(4 s\): raise it, or re-run later",
            str(e.value),
        )
        assert len(fake.requests) >= 2
    finally:
        fake.stop()
