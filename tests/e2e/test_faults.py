"""Each fault GitHub can throw at a registration, end to end through the console script."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from fake_github import FakeGitHub, faults
from harness import (
    READ_TOKEN,
    REGISTRY,
    assert_consistent,
    docker_env,
    manifest,
    registry,
    run_action,
)

INDEX = r"/contents/registry\.json$"
MANIFEST = r"/contents/plugins/calendar\.json$"
# A registration reads the branch in one GraphQL query (store/github/snapshot.py).
SNAPSHOT = r"/graphql$"


def snapshots(fake: FakeGitHub) -> list[str]:
    return [r.path for r in fake.requests if r.method == "POST" and r.path.endswith("/graphql")]


def commits_touching(fake: FakeGitHub, path: str) -> int:
    return sum(path in commit.paths for commit in fake.commits(REGISTRY))


def registered(fake: FakeGitHub, version: str = "1.0.0") -> None:
    """calendar is registered at ``version``, the registry is consistent, no duplicate commit."""
    document = assert_consistent(fake)
    assert [(p["id"], p["version"]) for p in document["plugins"]] == [("calendar", version)]
    assert commits_touching(fake, "registry.json") == 1


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (faults.branch_race(), "but expected"),
        (faults.status(409, "registry.json does not match 0123456789abcdef"), "does not match"),
        (faults.status(422, 'Invalid request.\n\n"sha" wasn\'t supplied.'), "wasn't supplied"),
    ],
)
def test_a_conflict_is_re_read_and_retried(
    fake: FakeGitHub, tmp_path: Path, fault: faults.Fault, reason: str
) -> None:
    fake.inject(method="PUT", path_regex=INDEX, fault=fault)
    run = run_action(docker_env(fake, tmp_path))
    assert run.status == 0, run.stdout + run.stderr
    retries = [line for line in run.stdout.splitlines() if line.startswith("Attempt 1 met")]
    assert len(retries) == 1 and reason in retries[0] and "retrying in" in retries[0]
    assert run.outputs["changed"] == "true"
    registered(fake)


def test_a_rule_violation_is_not_a_conflict(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.protect_branch(REGISTRY, "main")
    run = run_action(docker_env(fake, tmp_path))
    assert run.status == 1
    assert len(run.errors) == 1 and "Repository rule violations found" in run.errors[0]
    assert "Attempt" not in run.stdout
    assert len(fake.writes) == 1  # the manifest PUT, refused once, never repeated


def test_a_write_applied_behind_a_502_is_not_committed_twice(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    fake.inject(method="PUT", path_regex=INDEX, fault=faults.status(502, apply=True))
    run = run_action(docker_env(fake, tmp_path))
    assert run.status == 0, run.stdout + run.stderr
    assert run.outputs["changed"] == "true"
    registered(fake)
    assert commits_touching(fake, "plugins/calendar.json") == 1


def test_a_manifest_applied_behind_a_502_still_gets_its_index(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    fake.inject(method="PUT", path_regex=MANIFEST, fault=faults.status(502, apply=True))
    run = run_action(docker_env(fake, tmp_path))
    assert run.status == 0, run.stdout + run.stderr
    registered(fake)


def test_a_reset_after_a_write_was_applied_converges(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.inject(method="PUT", path_regex=INDEX, fault=faults.reset(apply=True))
    run = run_action(docker_env(fake, tmp_path))
    assert run.status == 0, run.stdout + run.stderr
    registered(fake)


@pytest.mark.parametrize(
    "fault",
    [
        faults.status(503),
        faults.reset(),
        faults.secondary_rate_limit(retry_after=1),
        faults.too_many_requests(retry_after=1),
        faults.primary_rate_limit(reset_in=1),
    ],
    ids=["503", "reset", "403-secondary", "429", "403-primary"],
)
def test_a_transient_fault_is_retried(
    fake: FakeGitHub, tmp_path: Path, fault: faults.Fault
) -> None:
    fake.inject(method="POST", path_regex=SNAPSHOT, fault=fault, times=2)
    run = run_action(docker_env(fake, tmp_path))
    assert run.status == 0, run.stdout + run.stderr
    assert len(fake.fired) == 2
    assert len(snapshots(fake)) == 3
    registered(fake)


def test_a_read_github_stopped_is_made_again_through_rest(fake: FakeGitHub, tmp_path: Path) -> None:
    # GraphQL's answer to a query past its 10 s: asking the same again would stop again.
    fake.inject(method="POST", path_regex=SNAPSHOT, fault=faults.status(502))
    run = run_action(docker_env(fake, tmp_path))
    assert run.status == 0, run.stdout + run.stderr
    assert [f.status for f in fake.fired] == [502] and len(snapshots(fake)) == 1
    reads = [r.path.split("/", 4)[-1] for r in fake.requests if r.method == "GET"]
    assert reads[0] == "git/ref/heads/main" and "contents/registry.json" in reads
    registered(fake)


def test_a_server_that_keeps_failing_gives_one_line(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.inject(method="POST", path_regex=SNAPSHOT, fault=faults.status(503), times=None)
    run = run_action(docker_env(fake, tmp_path, TIMEOUT="4"))
    assert run.status == 1
    assert len(run.errors) == 1
    assert len(snapshots(fake)) >= 2 and fake.writes == []
    tries = re.search(
        r"GitHub kept failing \(503 Service Unavailable\) after (\d+) tries in \d+ s", run.errors[0]
    )
    # A busy machine may reach the deadline during the last try, whose answer is then cut.
    cut = re.search(r"did not arrive in time \((\d+) tries in \d+ s\)", run.errors[0])
    assert (tries or cut) is not None, run.errors[0]
    if tries is not None:
        assert int(tries.group(1)) == len(snapshots(fake))  # the true number, not a configured one
    elif cut is not None:
        assert int(cut.group(1)) - len(snapshots(fake)) in (0, 1), run.errors[0]
    assert "Traceback" not in run.stdout + run.stderr


def test_an_unreachable_api_gives_one_line(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.inject(method="POST", path_regex=SNAPSHOT, fault=faults.reset(), times=None)
    run = run_action(docker_env(fake, tmp_path, TIMEOUT="4"))
    assert run.status == 1
    assert len(run.errors) == 1
    expected = f"the connection failed or was reset after {len(snapshots(fake))} tries in"
    assert expected in run.errors[0] and len(snapshots(fake)) >= 2
    assert "unexpected error" not in run.stdout and "Traceback" not in run.stderr
    assert fake.writes == []


def test_a_rate_limit_that_resets_too_late_stops_with_the_reset_time(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    fake.inject(fault=faults.primary_rate_limit(reset_in=3600))
    run = run_action(docker_env(fake, tmp_path))
    assert run.status == 1
    assert len(run.errors) == 1
    assert (
        "the token's primary rate limit is used up (403 API rate limit exceeded" in (run.errors[0])
    )
    assert re.search(
        r"it asks to wait 360[01] s \(its x-ratelimit-reset: \d\d:\d\d:\d\d UTC\), more "
        r"than the (599|600) s left after 1 try in 0 s: the run's deadline is `timeout` "
        r"\(600 s\): raise it, or re-run later$",
        run.errors[0],
    ), run.errors[0]
    assert len(fake.requests) == 1 and fake.writes == []


@pytest.mark.parametrize("status", [403, 429])
def test_a_retry_after_too_long_is_not_slept_through(
    fake: FakeGitHub, tmp_path: Path, status: int
) -> None:
    fault = (
        faults.too_many_requests(retry_after=3600)
        if status == 429
        else faults.secondary_rate_limit(retry_after=3600)
    )
    fake.inject(fault=fault)
    run = run_action(docker_env(fake, tmp_path))
    assert run.status == 1
    [error] = run.errors
    what = "GitHub's secondary rate limit (shared by everything that uses this token or App "
    assert f"{what}installation) was hit ({status} You have exceeded a secondary" in error
    assert "it asks to wait 3600 s (its retry-after header: 3600 s)" in error
    assert "used up" not in error
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("change", "status", "expected"),
    [
        ({"INPUT_TOKEN": "ghs_wrong"}, 401, "GitHub rejected the token (401 Bad credentials)"),
        ({"INPUT_TOKEN": READ_TOKEN}, 403, "the token cannot write plugins/calendar.json"),
        ({"INPUT_REGISTRY-REPOSITORY": "org/missing"}, 404, "org/missing was not found (404)"),
    ],
    ids=["401", "403", "404"],
)
def test_a_permanent_error_is_never_retried(
    fake: FakeGitHub, tmp_path: Path, change: dict[str, str], status: int, expected: str
) -> None:
    env = docker_env(fake, tmp_path) | change
    run = run_action(env)
    assert run.status == 1
    assert len(run.errors) == 1 and expected in run.errors[0]
    asked = [(r.method, r.path) for r in fake.requests]
    assert len(asked) == len(set(asked)) <= 4  # no request was repeated
    assert fake.requests[-1].status == status
    assert fake.get_file(REGISTRY, "registry.json") is None


DAMAGED = {
    "invalid JSON": (b'{"version": "1.0.0",\n  "plugins": [}\n', "is not valid JSON"),
    "schema": (b'{"version": "1.0.0", "lastUpdated": "x", "plugins": [{"id": 1}]}\n', "damaged"),
    "duplicate id": (
        json.dumps(
            {
                "version": "1.0.0",
                "lastUpdated": "2024-01-20T12:00:00.000Z",
                "plugins": [
                    {"id": "a", "name": "a", "version": "1.0.0", "manifestUrl": "https://x/a"},
                    {"id": "a", "name": "a", "version": "1.0.1", "manifestUrl": "https://x/a"},
                ],
            }
        ).encode(),
        "listed more than once",
    ),
    "not UTF-8": (b'{"version": "1.0.0", "plugins": ["\xff"]}', "is not UTF-8"),
}


@pytest.mark.parametrize("kind", DAMAGED)
def test_a_damaged_registry_is_never_overwritten(
    fake: FakeGitHub, tmp_path: Path, kind: str
) -> None:
    content, problem = DAMAGED[kind]
    fake.put_file(REGISTRY, "registry.json", content)
    fake.reset_log()
    run = run_action(docker_env(fake, tmp_path))
    assert run.status == 1
    assert len(run.errors) == 1
    assert "registry.json" in run.errors[0] and problem in run.errors[0]
    assert fake.writes == []
    assert fake.get_file(REGISTRY, "registry.json") == content


def test_a_run_that_dies_between_the_writes_is_completed_by_the_next(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    refusal = faults.status(403, "Resource not accessible by integration")
    fake.inject(method="PUT", path_regex=INDEX, fault=refusal)
    first = run_action(docker_env(fake, tmp_path / "first"))
    assert first.status == 1
    assert manifest(fake, "calendar") is not None
    assert fake.get_file(REGISTRY, "registry.json") is None  # never lists what is not there

    second = run_action(docker_env(fake, tmp_path / "second"))
    assert second.status == 0, second.stdout + second.stderr
    assert second.outputs["changed"] == "true"
    registered(fake)


def test_a_killed_run_is_completed_by_the_next(fake: FakeGitHub, tmp_path: Path) -> None:
    from harness import start

    seed_other(fake)
    fake.inject(method="PUT", path_regex=INDEX, fault=faults.hang(30))
    env = docker_env(fake, tmp_path / "killed")
    process = start(env)
    try:
        while not any(r.method == "PUT" and "registry" in r.path for r in fake.requests):
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
    finally:
        process.kill()
        process.communicate()
    assert [p["id"] for p in registry(fake)["plugins"]] == ["other"]
    fake.clear_faults()

    run = run_action(docker_env(fake, tmp_path / "next"))
    assert run.status == 0, run.stdout + run.stderr
    assert [p["id"] for p in assert_consistent(fake)["plugins"]] == ["other", "calendar"]


def seed_other(fake: FakeGitHub) -> None:
    """A registry that already lists a plugin ``other``, with its manifest."""
    from registry_action.core.strictjson import dumps

    url = "https://raw.githubusercontent.com/org/plugin-registry/main/plugins/other.json"
    entry = {"id": "other", "name": "other", "version": "2.0.0", "manifestUrl": url}
    other = {
        **entry,
        "description": "",
        "ui": {"remoteEntry": "https://other-ui.pages.dev/assets/remoteEntry.js", "expose": "./P"},
        "server": {
            "routeBase": "/api/integrations/other",
            "deploymentUrl": "https://other.fly.dev",
            "healthCheck": "/api/health",
        },
        "lastUpdated": "2024-01-20T12:00:00.000Z",
    }
    other["manifestUrl"] = other.pop("manifestUrl")
    other["lastUpdated"] = other.pop("lastUpdated")
    fake.put_file(REGISTRY, "plugins/other.json", dumps(other))
    index = {"version": "1.0.0", "lastUpdated": "2024-01-20T12:00:00.000Z", "plugins": [entry]}
    fake.put_file(REGISTRY, "registry.json", dumps(index))
