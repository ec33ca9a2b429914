"""`timeout` is the run's real limit: every request to GitHub, whole, and the health gate.

Each server here holds a request open in a way a per-read timeout never notices: headers or a
body sent a byte at a time, an answer that never comes. The run ends at its deadline with one
line, writes nothing, and memory stays bounded whatever a compressed answer inflates to.
"""

from __future__ import annotations

import re
import resource
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from console import terminal
from fake_github import FakeGitHub, faults
from harness import REGISTRY, WRITE_TOKEN, Action
from resolver import Resolver
from stalling_servers import trickling_deployment, unaccepting
from strict_checks import assert_failed_cleanly

# A registration's first request: the branch's head, the index and its manifest in one query.
INDEX = r"/graphql$"
READ = "POST /graphql"
EMPTY = b'{"version": "1.0.0", "lastUpdated": "2024-01-20T12:00:00.000Z", "plugins": []}\n'
SEEDED = frozenset({"registry.json"})


def late(seconds: int, where: str = READ, *, name: str = "`timeout`") -> str:
    return (
        f"the answer to {where} did not arrive in time (1 try in {seconds} s); the run's "
        f"deadline is {name} ({seconds} s): raise it, or re-run later"
    )


def timed(run: Callable[[], object]) -> float:
    started = time.monotonic()
    run()
    return time.monotonic() - started


@pytest.mark.parametrize(
    "fault",
    [faults.trickle_headers(0.5), faults.trickle_body(0.2), faults.hang(60)],
    ids=["headers a byte at a time", "body a byte at a time", "no answer"],
)
def test_timeout_bounds_every_request_whole(
    github: FakeGitHub, action: Action, fault: faults.Fault
) -> None:
    github.put_file(REGISTRY, "registry.json", EMPTY)
    github.inject(method="POST", path_regex=INDEX, fault=fault, times=None)
    runs = []
    inputs = {"version": "1.2.3", "timeout": "3", "registry-branch": "main"}
    took = timed(lambda: runs.append(action.run(inputs)))
    assert_failed_cleanly(
        runs[0], f"::error title=Gave up after retries::{late(3)}", github, SEEDED
    )
    # Three seconds of run, and the start of the console script.
    assert 3 <= took < 6, took
    assert len(github.requests) == 1


def test_a_command_line_timeout_holds_against_a_slow_server(
    github: FakeGitHub, tmp_path: Path
) -> None:
    github.latency = 5
    args = ["register", "--registry-repository", REGISTRY, "--registry-branch", "main"]
    args += ["--api-url", github.api_url, "--version", "1.2.3", "--plugin-id", "cal"]
    started = time.monotonic()
    done = terminal(*args, "--timeout", "2", cwd=tmp_path, env={"GITHUB_TOKEN": WRITE_TOKEN})
    took = time.monotonic() - started
    assert done.status == 1, done.stderr
    assert done.stderr == f"error: {late(2, name='`--timeout`')}\n"
    assert 2 <= took < 5, took
    assert github.writes == [] and github.list_files(REGISTRY) == []


def test_a_connection_never_accepted_ends_at_the_deadline(tmp_path: Path) -> None:
    with unaccepting() as port:
        args = ["register", "--registry-repository", REGISTRY, "--registry-branch", "main"]
        args += ["--api-url", f"http://127.0.0.1:{port}", "--version", "1.2.3", "--timeout", "3"]
        args += ["--plugin-id", "cal"]
        started = time.monotonic()
        done = terminal(*args, cwd=tmp_path, env={"GITHUB_TOKEN": WRITE_TOKEN})
        took = time.monotonic() - started
    assert done.status == 1, done.stderr
    assert done.stderr == f"error: {late(3, name='`--timeout`')}\n"
    assert 3 <= took < 6, took


def test_a_gzip_bomb_is_one_line_in_bounded_memory(github: FakeGitHub, action: Action) -> None:
    # A few KB on the wire, 4 GiB once inflated.
    github.inject(method="POST", path_regex=INDEX, fault=faults.gzip_bomb(4096))
    run = action.run({"version": "1.2.3"})
    assert_failed_cleanly(
        run,
        f"::error title=GitHub refused the request::the answer to {READ} is larger than 160 MB "
        "once decompressed, more than GitHub ever sends; check `api-url` (a proxy in the way?)",
        github,
    )
    # The largest of this process's children so far, this run included (in KiB on Linux).
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 600 * 1024


@pytest.fixture
def trickling() -> Iterator[str]:
    """A deployment that sends its status line and headers one byte every half second."""
    with trickling_deployment() as url:
        yield url


def gated(url: str, **inputs: str) -> dict[str, str]:
    return {
        "version": "1.2.3",
        "health-check": "true",
        "server-deployment-url": url,
        "ui-remote-entry": f"{url}/assets/remoteEntry.js",
        **inputs,
    }


def unhealthy(url: str, seconds: int, limit: str) -> str:
    return (
        "::error title=Deployment not healthy::the deployment is not healthy: the health "
        f"endpoint {url}/api/health did not answer within {seconds}s (expected 2xx) after "
        f"{seconds}s of waiting; nothing was registered. Check the deployment, or raise "
        f"`{limit}` if it needs longer to go live"
    )


@pytest.mark.parametrize(
    ("inputs", "limit"),
    [({"health-check-timeout": "3"}, "health-check-timeout"), ({"timeout": "3"}, "timeout")],
    ids=["health-check-timeout", "the run's timeout"],
)
def test_the_health_gate_ends_in_its_window_against_trickling_headers(
    github: FakeGitHub, action: Action, trickling: str, inputs: dict[str, str], limit: str
) -> None:
    runs = []
    took = timed(lambda: runs.append(action.run(gated(trickling, **inputs))))
    [error] = runs[0].errors
    # With the run's timeout, the gate has what is left of it: a busy machine leaves less than 3 s.
    expected = unhealthy(trickling, 3, limit)
    if limit == "timeout":
        window = re.search(r"did not answer within ([0-9.]+)s .* after ([0-9.]+)s of", error)
        assert window is not None, error
        tried, waited = window.groups()
        assert 2 <= float(tried) <= 3 and 2 <= float(waited) <= 3, error
        expected = expected.replace("within 3s", f"within {tried}s")
        expected = expected.replace("after 3s", f"after {waited}s")
    assert_failed_cleanly(runs[0], expected, github)
    assert 3 <= took < 6, took


# -- host name lookups ------------------------------------------------------------------------
# A resolver whose name servers do not answer holds getaddrinfo for as long as it keeps trying,
# before any socket exists for a timer to cut: the run's deadline bounds the lookup too.

# What a busy machine may add to a deadline: the console script's start and its last line.
MARGIN = 2


def named(url: str, name: str) -> str:
    """``url`` with its host, 127.0.0.1, called ``name``."""
    return url.replace("127.0.0.1", name, 1)


def test_a_lookup_that_hangs_ends_a_request_to_github_at_the_deadline(
    github: FakeGitHub, action: Action, resolver: Resolver
) -> None:
    resolver.hanging.add("github.test")
    inputs = {"version": "1.2.3", "timeout": "3", "registry-branch": "main"}
    inputs["api-url"] = named(github.api_url, "github.test")
    runs = []
    took = timed(lambda: runs.append(action.run(inputs)))
    assert_failed_cleanly(runs[0], f"::error title=Gave up after retries::{late(3)}", github)
    assert 3 <= took < 3 + MARGIN, took
    assert github.requests == []
    # Still in the resolver, and no reason for the process to wait at its end.
    assert resolver.stuck and all(thread.daemon for thread in resolver.stuck)


def test_a_lookup_in_time_reaches_github(
    github: FakeGitHub, action: Action, resolver: Resolver
) -> None:
    resolver.here["github.test"] = 0.3
    inputs = {"version": "1.2.3", "timeout": "20", "api-url": named(github.api_url, "github.test")}
    run = action.run(inputs)
    assert run.status == 0, run.stdout + run.stderr
    assert "github.test" in resolver.asked
    assert github.list_files(REGISTRY) == ["plugins/calendar2.json", "registry.json"]


def test_a_name_that_does_not_exist_is_not_taken_for_the_deadline(
    github: FakeGitHub, action: Action, resolver: Resolver
) -> None:
    # A deadline shorter than a request's connect timeout bounds the connection; a name not
    # found still says so, at once: the resolver said it does not exist.
    resolver.missing.add("github.test")
    inputs = {"version": "1.2.3", "timeout": "2", "api-url": named(github.api_url, "github.test")}
    run = action.run(inputs)
    assert run.status == 1
    [error] = run.errors
    expected = (
        "::error title=Gave up after retries::could not read the repository in "
        "org/plugin-registry: the name github.test was not found (DNS) after 1 try in 0 s; "
        "check `api-url` and the network, then re-run"
    )
    assert re.fullmatch(re.escape(expected).replace("\\#", "[0-9]+"), error), error


def test_a_resolver_that_fails_for_now_is_asked_again(
    github: FakeGitHub, action: Action, resolver: Resolver
) -> None:
    # EAI_AGAIN says the name servers failed for now, not that the name does not exist.
    resolver.here["github.test"] = 0.0
    resolver.failing["github.test"] = 2
    inputs = {"version": "1.2.3", "timeout": "20", "api-url": named(github.api_url, "github.test")}
    run = action.run(inputs)
    assert run.status == 0, run.stdout + run.stderr
    assert resolver.asked.count("github.test") >= 3
    assert github.list_files(REGISTRY) == ["plugins/calendar2.json", "registry.json"]


def test_a_lookup_that_hangs_ends_the_health_gate_in_its_window(
    github: FakeGitHub, action: Action, resolver: Resolver
) -> None:
    resolver.hanging.add("deploy.test")
    runs = []
    took = timed(lambda: runs.append(action.run(gated("http://deploy.test", timeout="3"))))
    [error] = runs[0].errors
    window = re.search(r"did not answer within ([0-9.]+)s .* after ([0-9.]+)s of", error)
    assert window is not None, error
    tried, waited = window.groups()
    assert 2 <= float(tried) <= 3 and 2 <= float(waited) <= 3, error
    expected = unhealthy("http://deploy.test", 3, "timeout")
    expected = expected.replace("within 3s", f"within {tried}s").replace(
        "after 3s", f"after {waited}s"
    )
    assert_failed_cleanly(runs[0], expected, github)
    assert 3 <= took < 3 + MARGIN, took
    assert resolver.stuck and all(thread.daemon for thread in resolver.stuck)
