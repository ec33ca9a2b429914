"""Pipelines registering one plugin at once against the fake: the files agree at the end.

Many plugins at once, with and without injected faults, are in ``test_races_at_scale.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_github import FakeGitHub
from harness import (
    assert_consistent,
    docker_env,
    manifest,
    registry,
    run_at_once,
    start_fake,
)


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = start_fake()
    # Every request takes a moment, and the read after each write sees the old version,
    # as GitHub's replicas may: the conditions under which registrations get lost.
    server.latency = 0.02
    server.stale_read_count = 1
    try:
        yield server
    finally:
        server.stop()


def run_many(fake: FakeGitHub, tmp_path: Path, versions: dict[str, str], **inputs: str) -> None:
    """Start one run per ``(id, version)`` at once, each on its own thread; all must succeed."""
    envs = [
        docker_env(
            fake,
            tmp_path / str(number),
            PLUGIN_ID=plugin_id.split("@")[0],
            VERSION=version,
            MAX_ATTEMPTS="30",
            **inputs,
        )
        for number, (plugin_id, version) in enumerate(versions.items())
    ]
    failures = [r.stdout + r.stderr for r in run_at_once(envs) if r.status != 0]
    assert failures == []


def test_one_plugin_at_five_versions_at_once_ends_in_agreement(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    versions = {f"calendar@{n}": f"1.{n}.0" for n in range(5)}
    # Every run must really write, so the version guard must not turn the race away early.
    run_many(fake, tmp_path, versions, ALLOW_DOWNGRADE="true")
    document = assert_consistent(fake)  # the index entry matches the manifest
    [entry] = document["plugins"]
    assert entry["version"] in versions.values()
    assert registry(fake)["plugins"][0]["version"] == manifest(fake, "calendar")["version"]
