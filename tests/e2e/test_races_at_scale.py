"""Organisation-scale races: every registration lands, in at most two commits, none empty.

Each registration is the program's entry point on a thread of its own, with the environment a
Docker action receives, all started at once. GitHub is the fake with latency on every request
and reads that lag writes. Unless a test says otherwise, the inputs are the defaults and the
backoff is the shipped one (REGISTRY_ACTION_RETRY_BASE_DELAY is not set).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_github import FakeGitHub, faults
from harness import (
    REGISTRY,
    Run,
    assert_consistent,
    docker_env,
    manifest,
    run_at_once,
    start_fake,
)


def lagging_fake() -> FakeGitHub:
    """A running fake where every request takes a moment and reads lag writes by more."""
    server = start_fake()
    server.latency = 0.05
    server.stale_read_seconds = 0.2
    return server


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = lagging_fake()
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


def new_commits(fake: FakeGitHub) -> list[tuple[str, bool]]:
    """(message, empty) of every commit after the repository's initial one."""
    return [(c.message, c.empty) for c in fake.commits(REGISTRY)[1:]]


def listed_once(fake: FakeGitHub, ids: list[str]) -> None:
    document = assert_consistent(fake)
    assert sorted(p["id"] for p in document["plugins"]) == sorted(ids)
    for plugin_id in ids:
        found = manifest(fake, plugin_id)
        assert found is not None and found["id"] == plugin_id


def all_succeeded(runs: list[Run], *, each_changed: bool = True) -> None:
    assert [r.stdout + r.stderr for r in runs if r.status != 0] == []
    if each_changed:
        assert all(r.outputs.get("changed") == "true" for r in runs)


@pytest.mark.slow
def test_a_hundred_plugins_at_once_land_in_at_most_two_commits_each(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    ids = [f"plugin-{n:03d}" for n in range(100)]
    runs = run_at_once([default_env(fake, tmp_path / i, PLUGIN_ID=i) for i in ids])
    all_succeeded(runs)
    listed_once(fake, ids)
    # Each names the commit that carried its manifest, a run that committed parked ones for
    # it included; no parked branch is left.
    paths = {c.sha: c.paths for c in fake.commits(REGISTRY)}
    for plugin_id, run in zip(ids, runs, strict=True):
        made = paths.get(run.outputs.get("commit-sha", ""), ())
        assert f"plugins/{plugin_id}.json" in made or "registry.json" in made
    assert fake.branches(REGISTRY) == ["main"]
    commits = new_commits(fake)
    assert len(commits) <= 200
    assert [message for message, empty in commits if empty] == []


def _waits(runs: list[Run]) -> list[tuple[float, float]]:
    """(applied, asked) of every rate-limit wait the runs logged."""
    found = []
    for run in runs:
        for line in run.stdout.splitlines():
            match = re.match(
                r"GitHub's secondary rate limit \((403|429)\) on (?:PUT|POST) \S+: "
                r"waiting ([\d.]+) s "
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
    # One limit for every run, which the forty exceed at once (GitHub's 80 writes a minute,
    # scaled down in time); the one-minute wait GitHub asks for when it names no time is
    # scaled further. The conflict backoff starts at 0.05 s: the waits here are the point.
    fake.limit_content_creation(40, 2.0, style="mixed")
    fake.latency, fake.stale_read_seconds, fake.stale_read_count = 0.02, 0.0, 1
    ids = [f"plugin-{n:02d}" for n in range(40)]
    envs = [
        docker_env(fake, tmp_path / i, PLUGIN_ID=i) | {"REGISTRY_ACTION_SECONDARY_WAIT": "0.25"}
        for i in ids
    ]
    runs = run_at_once(envs)
    all_succeeded(runs)
    listed_once(fake, ids)
    limit = fake.secondary
    assert limit is not None and limit.refused > 0
    waits = _waits(runs)
    # Every refusal was met by one logged wait, at least as long as GitHub asked.
    assert len(waits) == limit.refused
    assert all(applied >= asked for applied, asked in waits)
    assert {asked for _, asked in waits} >= {0.25}  # some named no time: the minimum applied
    assert [message for message, empty in new_commits(fake) if empty] == []


MANIFESTS, ANY, GRAPHQL = r"/plugins/", ".*", r"/graphql$"
# Each kind of fault GitHub throws at a write or a read, with how many times it fires in a row,
# how many matching requests pass before it fires again, and whether it hits GraphQL requests
# that carry a mutation (True), that do not (False), or any request (None).
FAULTS = (
    # A run first writes its manifest with the Contents API (a PUT), unless it sees others
    # parked already: a few PUTs in a race.
    ("PUT", MANIFESTS, faults.status(502, apply=True), 1, 2, None),  # written, then a 502
    ("PUT", ANY, faults.too_many_requests(retry_after=1), 1, 2, None),  # 429
    # Overtaken, runs park their manifests, and one commits them with the index: mutations.
    ("POST", GRAPHQL, faults.status(502, apply=True), 1, 4, True),  # made, then a 502
    ("POST", GRAPHQL, faults.status(503), 1, 4, True),
    ("POST", GRAPHQL, faults.secondary_rate_limit(retry_after=1), 1, 4, True),
    # A registration reads the branch in one GraphQL query.
    ("POST", GRAPHQL, faults.secondary_rate_limit(retry_after=1), 2, 30, False),  # 403
    ("POST", GRAPHQL, faults.status(503), 3, 30, False),
    ("POST", GRAPHQL, faults.reset(), 3, 30, False),  # the connection closed with no answer
)


def _faulty_fake() -> FakeGitHub:
    """A fake that lags one read behind each write and throws every kind of fault, in 3 waves."""
    fake = start_fake()
    fake.latency, fake.stale_read_count = 0.02, 1
    for wave in range(3):
        for method, path, fault, times, gap, mutation in FAULTS:
            fake.inject(
                method=method,
                path_regex=path,
                fault=fault,
                times=times,
                skip=wave * gap,
                mutation=mutation,
            )
    return fake


@pytest.mark.slow
def test_thirty_at_once_with_injected_faults_lose_nothing_three_times_over(
    tmp_path: Path,
) -> None:
    # Three independent races at once, each of thirty registrations against a fake of its own;
    # the conflict backoff starts at 0.05 s instead of 0.5 s, and thirty attempts must do.
    fakes = [_faulty_fake() for _ in range(3)]
    ids = [f"plugin-{n:02d}" for n in range(30)]
    try:
        envs = [
            docker_env(fake, tmp_path / str(number) / i, PLUGIN_ID=i, MAX_ATTEMPTS="30")
            for number, fake in enumerate(fakes)
            for i in ids
        ]
        runs = run_at_once(envs)
        # A write GitHub applied but answered 502 is found in place on the retry: that run
        # reports nothing changed, though its plugin is listed (checked below).
        all_succeeded(runs, each_changed=False)
        for number, fake in enumerate(fakes):
            unfired = [i.fault.kind for i in fake.injections if not i.exhausted]
            assert unfired == [], f"race {number}: faults that never fired"
            listed_once(fake, ids)
            commits = new_commits(fake)
            assert len(commits) <= 60
            assert [message for message, empty in commits if empty] == []
    finally:
        for fake in fakes:
            fake.stop()


def test_register_racing_unregister_ends_with_both_files_or_neither(tmp_path: Path) -> None:
    # calendar is registered; one pipeline re-registers a new version while another removes it.
    # Either may come last, but the index and the manifest must agree. Six such races at once,
    # each against a fake of its own.
    fakes = [lagging_fake() for _ in range(6)]
    try:
        seeds = [default_env(fake, tmp_path / f"seed{n}") for n, fake in enumerate(fakes)]
        assert [r.status for r in run_at_once(seeds)] == [0] * len(fakes)
        envs = []
        for number, fake in enumerate(fakes):
            workdir = tmp_path / str(number)
            envs.append(default_env(fake, workdir / "r", VERSION="1.5.0"))
            envs.append(default_env(fake, workdir / "u", COMMAND="unregister"))
        runs = run_at_once(envs)
        assert [r.stdout + r.stderr for r in runs if r.status != 0] == []
        for fake in fakes:
            document = assert_consistent(fake)
            listed = [p for p in document["plugins"] if p["id"] == "calendar"]
            found = manifest(fake, "calendar")
            assert (listed == []) == (found is None)
            if found is not None:
                assert listed[0]["version"] == found["version"] == "1.5.0"
            assert [message for message, empty in new_commits(fake) if empty] == []
    finally:
        for fake in fakes:
            fake.stop()


def test_five_versions_of_one_plugin_at_once_end_in_agreement(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    versions = [f"1.{n}.0" for n in range(5)]
    envs = [default_env(fake, tmp_path / v, VERSION=v, ALLOW_DOWNGRADE="true") for v in versions]
    runs = run_at_once(envs)
    assert [r.stdout + r.stderr for r in runs if r.status != 0] == []
    document = assert_consistent(fake)
    [entry] = document["plugins"]
    found = manifest(fake, "calendar")
    assert found is not None and entry["version"] == found["version"] in versions
    manifest_commits = [c for c in fake.commits(REGISTRY) if "plugins/calendar.json" in c.paths]
    assert len(manifest_commits) <= 5  # each run commits the manifest at most once
    assert [message for message, empty in new_commits(fake) if empty] == []
