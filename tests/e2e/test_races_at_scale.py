"""Organisation-scale races with the default inputs: every registration lands, in two commits.

GitHub is the fake with latency on every request and reads that lag writes for a moment. The
backoff is the shipped one (REGISTRY_ACTION_RETRY_BASE_DELAY is not set).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from fake_github import FakeGitHub, faults
from harness import (
    REGISTRY,
    Run,
    assert_consistent,
    docker_env,
    finish,
    manifest,
    read_outputs,
    start,
    start_fake,
)
from registry_action import cli


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = start_fake()
    server.latency = 0.05
    server.stale_read_seconds = 0.2
    try:
        yield server
    finally:
        server.stop()


def default_env(fake: FakeGitHub, workdir: Path, **inputs: str) -> dict[str, str]:
    """The environment of a Docker action with the default inputs and the shipped backoff."""
    env = docker_env(fake, workdir, **inputs)
    del env["REGISTRY_ACTION_RETRY_BASE_DELAY"]
    del env["REGISTRY_ACTION_TRANSPORT_BACKOFF"]
    return env


def run_all(envs: list[dict[str, str]]) -> list[Run]:
    """One console-script process per environment, all started at once."""
    processes = [start(env) for env in envs]
    return [finish(process, env, timeout=600) for process, env in zip(processes, envs, strict=True)]


def new_commits(fake: FakeGitHub) -> list[tuple[str, bool]]:
    """(message, empty) of every commit after the repository's initial one."""
    return [(c.message, c.empty) for c in fake.commits(REGISTRY)[1:]]


def listed_once(fake: FakeGitHub, ids: list[str]) -> None:
    document = assert_consistent(fake)
    assert sorted(p["id"] for p in document["plugins"]) == sorted(ids)
    for plugin_id in ids:
        found = manifest(fake, plugin_id)
        assert found is not None and found["id"] == plugin_id


@pytest.mark.slow
def test_a_hundred_plugins_at_once_land_in_at_most_two_commits_each(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    ids = [f"plugin-{n:03d}" for n in range(100)]
    runs = run_all([default_env(fake, tmp_path / i, PLUGIN_ID=i) for i in ids])
    assert [r.stdout + r.stderr for r in runs if r.status != 0] == []
    listed_once(fake, ids)
    commits = new_commits(fake)
    assert len(commits) <= 200
    assert [message for message, empty in commits if empty] == []


def _waits(runs: list[Run]) -> list[tuple[float, float]]:
    """(applied, asked) of every rate-limit wait the runs logged."""
    found = []
    for run in runs:
        for line in run.stdout.splitlines():
            match = re.match(
                r"GitHub's secondary rate limit \((403|429)\) on PUT \S+: waiting ([\d.]+) s "
                r"\((?:its retry-after header: (\d+) s|GitHub named no time: at least ([\d.]+) s)",
                line,
            )
            if match:
                asked = float(match.group(3) or match.group(4))
                found.append((float(match.group(2)), asked))
    return found


@pytest.mark.slow
def test_forty_at_once_under_one_shared_secondary_limit_all_land(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    # GitHub's 80 writes a minute, scaled down in time; the one-minute wait GitHub asks for
    # when it names no time is scaled the same way.
    fake.limit_content_creation(20, 4.0, style="mixed")
    fake.latency, fake.stale_read_seconds, fake.stale_read_count = 0.02, 0.0, 1
    ids = [f"plugin-{n:02d}" for n in range(40)]
    envs = [
        default_env(fake, tmp_path / i, PLUGIN_ID=i) | {"REGISTRY_ACTION_SECONDARY_WAIT": "1"}
        for i in ids
    ]
    runs = run_all(envs)
    assert [r.stdout + r.stderr for r in runs if r.status != 0] == []
    listed_once(fake, ids)
    limit = fake.secondary
    assert limit is not None and limit.refused > 0
    waits = _waits(runs)
    # Every refusal was met by one logged wait, at least as long as GitHub asked.
    assert len(waits) == limit.refused
    assert all(applied >= asked for applied, asked in waits)
    assert {asked for _, asked in waits} >= {1.0}  # some named no time: the minimum applied
    assert [message for message, empty in new_commits(fake) if empty] == []


def _main(env: Mapping[str, str], statuses: list[int]) -> None:
    statuses.append(cli.main([], env))


def _round(fake: FakeGitHub, workdir: Path, ids: list[str]) -> list[int]:
    """Thirty registrations at once, each the program's entry point on its own thread.

    The conflict backoff starts at 0.05 s instead of 0.5 s, so that ten rounds stay short.
    """
    envs = [docker_env(fake, workdir / i, PLUGIN_ID=i) for i in ids]
    statuses: list[int] = []
    threads = [threading.Thread(target=_main, args=(env, statuses)) for env in envs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert all(read_outputs(Path(env["GITHUB_OUTPUT"])).get("changed") == "true" for env in envs)
    return statuses


@pytest.mark.slow
def test_thirty_at_once_with_injected_faults_lose_nothing_ten_times_running(
    tmp_path: Path,
) -> None:
    for round_number in range(10):
        fake = start_fake()
        fake.latency, fake.stale_read_count = 0.02, 1
        try:
            index, manifests = r"registry\.json$", r"/plugins/"
            fake.inject(method="PUT", path_regex=index, fault=faults.branch_race(), times=5)
            fake.inject(
                method="PUT", path_regex=index, fault=faults.status(502, apply=True), times=3
            )
            fake.inject(
                method="PUT", path_regex=manifests, fault=faults.status(502, apply=True), times=3
            )
            fake.inject(method="GET", fault=faults.secondary_rate_limit(retry_after=1), times=2)
            fake.inject(method="PUT", fault=faults.too_many_requests(retry_after=1), times=2)
            fake.inject(method="GET", fault=faults.status(503), times=3)
            ids = [f"plugin-{n:02d}" for n in range(30)]
            statuses = _round(fake, tmp_path / str(round_number), ids)
            assert statuses == [0] * 30, f"round {round_number}"
            assert len(fake.fired) >= 18
            listed_once(fake, ids)
        finally:
            fake.stop()


def test_register_racing_unregister_ends_with_both_files_or_neither(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    for number in range(1, 7):
        # calendar is registered; one pipeline re-registers a new version while another removes
        # it. Either may come last, but the index and the manifest must agree.
        seed = default_env(fake, tmp_path / f"seed{number}", VERSION=f"{number}.0.0")
        assert run_all([seed])[0].status == 0
        workdir = tmp_path / str(number)
        envs = [
            default_env(fake, workdir / "r", VERSION=f"{number}.5.0"),
            default_env(fake, workdir / "u", COMMAND="unregister"),
        ]
        runs = run_all(envs)
        assert [r.stdout + r.stderr for r in runs if r.status != 0] == []
        document = assert_consistent(fake)
        listed = [p for p in document["plugins"] if p["id"] == "calendar"]
        found = manifest(fake, "calendar")
        assert (listed == []) == (found is None)
        if found is not None:
            assert listed[0]["version"] == found["version"] == f"{number}.5.0"
        assert [message for message, empty in new_commits(fake) if empty] == []


def test_five_versions_of_one_plugin_at_once_end_in_agreement(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    versions = [f"1.{n}.0" for n in range(5)]
    envs = [default_env(fake, tmp_path / v, VERSION=v, ALLOW_DOWNGRADE="true") for v in versions]
    runs = run_all(envs)
    assert [r.stdout + r.stderr for r in runs if r.status != 0] == []
    document = assert_consistent(fake)
    [entry] = document["plugins"]
    found = manifest(fake, "calendar")
    assert found is not None and entry["version"] == found["version"] in versions
    manifest_commits = [c for c in fake.commits(REGISTRY) if "plugins/calendar.json" in c.paths]
    assert len(manifest_commits) <= 5  # each run commits the manifest at most once
    assert [message for message, empty in new_commits(fake) if empty] == []
