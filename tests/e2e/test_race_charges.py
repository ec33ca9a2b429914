"""What a hundred racing registrations cost GitHub: requests, writes and commits.

Each registration is the program's entry point on its own thread, with the default inputs and
the shipped backoff, all released at once; the fake adds 50 ms to every request, and its reads
of a file at a branch lag each write by 200 ms. bench/concurrency.py measures the same (wall
time included); the figures are in docs/performance.md.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_github import FakeGitHub
from harness import REGISTRY, assert_consistent, docker_env, start_fake
from registry_action import cli

COUNT = 100


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = start_fake()
    server.latency, server.stale_read_seconds = 0.05, 0.2
    try:
        yield server
    finally:
        server.stop()


def run_at_once(envs: list[dict[str, str]]) -> list[int]:
    """``cli.main`` for each environment, each on a thread of its own, released together."""
    statuses = [-1] * len(envs)
    ready = threading.Barrier(len(envs))

    def one(number: int) -> None:
        ready.wait()
        statuses[number] = cli.main([], envs[number])

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(envs))]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
    return statuses


@pytest.mark.slow
def test_a_hundred_racing_registrations_cost_a_few_requests_each(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    ids = [f"plugin-{n:03d}" for n in range(COUNT)]
    envs = []
    for plugin_id in ids:
        env = docker_env(fake, tmp_path / plugin_id, PLUGIN_ID=plugin_id)
        del env["REGISTRY_ACTION_RETRY_BASE_DELAY"], env["REGISTRY_ACTION_TRANSPORT_BACKOFF"]
        envs.append(env)
    fake.reset_log()
    assert run_at_once(envs) == [0] * COUNT
    document = assert_consistent(fake)
    assert sorted(p["id"] for p in document["plugins"]) == ids
    commits = fake.commits(REGISTRY)[1:]
    assert len(commits) <= 2 * COUNT and not any(c.empty for c in commits)
    # Folding: far fewer index commits than registrations.
    assert sum(c.paths == ("registry.json",) for c in commits) <= COUNT // 4
    assert len(fake.requests) <= 6 * COUNT
    assert len(fake.writes) <= 2.5 * COUNT
