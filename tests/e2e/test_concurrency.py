"""Many pipelines registering at once against the fake: nothing is lost, files agree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_github import FakeGitHub, faults
from harness import (
    assert_consistent,
    docker_env,
    finish,
    manifest,
    registry,
    start,
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
    """Start one process per ``(id, version)`` at once; every one must succeed."""
    runs = []
    for number, (plugin_id, version) in enumerate(versions.items()):
        env = docker_env(
            fake,
            tmp_path / str(number),
            PLUGIN_ID=plugin_id.split("@")[0],
            VERSION=version,
            MAX_ATTEMPTS="30",
            **inputs,
        )
        runs.append((start(env), env))
    results = [finish(process, env) for process, env in runs]
    failures = [r.stdout + r.stderr for r in results if r.status != 0]
    assert failures == []


@pytest.mark.slow
def test_thirty_plugins_registered_at_once_are_all_listed(fake: FakeGitHub, tmp_path: Path) -> None:
    ids = [f"plugin-{n:02d}" for n in range(30)]
    run_many(fake, tmp_path, dict.fromkeys(ids, "1.0.0"))
    document = assert_consistent(fake)
    assert sorted(p["id"] for p in document["plugins"]) == ids
    assert all(manifest(fake, plugin_id) is not None for plugin_id in ids)


@pytest.mark.slow
def test_thirty_plugins_survive_injected_faults(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.inject(method="PUT", path_regex=r"registry\.json$", fault=faults.branch_race(), times=5)
    fake.inject(
        method="PUT", path_regex=r"registry\.json$", fault=faults.status(502, apply=True), times=3
    )
    fake.inject(
        method="PUT", path_regex=r"/plugins/", fault=faults.status(502, apply=True), times=3
    )
    fake.inject(method="GET", fault=faults.status(503), times=5)
    fake.inject(method="GET", fault=faults.reset(), times=3)
    fake.inject(method="GET", fault=faults.secondary_rate_limit(retry_after=1), times=2)
    ids = [f"plugin-{n:02d}" for n in range(30)]
    run_many(fake, tmp_path, dict.fromkeys(ids, "1.0.0"))
    assert len(fake.fired) >= 21
    document = assert_consistent(fake)
    assert sorted(p["id"] for p in document["plugins"]) == ids


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
