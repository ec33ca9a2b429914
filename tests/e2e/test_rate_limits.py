"""GitHub's documented rate-limit rules, through the GitHub store against the fake.

The client's sleep is injected: a minute-long wait is recorded, not slept.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fake_github import FakeGitHub, faults
from harness import REGISTRY, WRITE_TOKEN, start_fake
from registry_action.errors import GaveUpError
from registry_action.store.github.contents import GitHubStore, make_client
from registry_action.store.interface import ConflictError, Deadline

INDEX = r"registry\.json$"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = start_fake()
    server.put_file(REGISTRY, "registry.json", b"{}\n")
    try:
        yield server
    finally:
        server.stop()


def store(fake: FakeGitHub, slept: list[float], log: list[str], **options: object) -> GitHubStore:
    options.setdefault("deadline", Deadline(600))
    client = make_client(
        WRITE_TOKEN,
        fake.api_url,
        sleep=slept.append,
        log=log.append,
        **options,
    )  # type: ignore[arg-type]
    return GitHubStore(client, REGISTRY, "main")


def test_no_time_named_waits_a_minute_then_longer_on_each_repeat(fake: FakeGitHub) -> None:
    fake.inject(method="GET", path_regex=INDEX, fault=faults.secondary_rate_limit(None), times=2)
    slept: list[float] = []
    log: list[str] = []
    assert store(fake, slept, log).read("registry.json") is not None
    assert 60 <= slept[0] <= 66 and 120 <= slept[1] <= 132
    assert re.fullmatch(
        r"GitHub's secondary rate limit \(403\) on GET /repos/org/plugin-registry/contents/"
        r"registry.json: waiting 6\d\.\d s \(GitHub named no time: at least 60 s, plus jitter\)",
        log[0],
    )
    assert "at least 60 s, doubled for repeat 1, plus jitter" in log[1]


def test_retry_after_comes_first_and_429_is_a_secondary_limit(fake: FakeGitHub) -> None:
    fake.inject(method="GET", path_regex=INDEX, fault=faults.too_many_requests(7))
    slept: list[float] = []
    log: list[str] = []
    store(fake, slept, log).read("registry.json")
    assert 7 <= slept[0] <= 7.7
    assert "secondary rate limit (429)" in log[0] and "its retry-after header: 7 s" in log[0]


def test_a_write_a_secondary_limit_refused_spreads_its_retry_and_later_writes(
    fake: FakeGitHub,
) -> None:
    fake.inject(method="PUT", path_regex=INDEX, fault=faults.secondary_rate_limit(7))
    slept: list[float] = []
    log: list[str] = []
    github = store(fake, slept, log)
    found = github.read("registry.json")
    assert found is not None
    written = github.write("registry.json", b"[]\n", found.version, "m")
    # The retry waits what GitHub asked, then a random share of four times that: the runs
    # sharing the limit do not all come back when their waits end.
    assert 7 <= slept[0] <= 7.7 + 28
    assert (
        "(its retry-after header: 7 s, plus jitter spreading this run's writes over 28 s)"
        in (log[0])
    )
    github.read("registry.json")  # reads are not slowed
    assert len(slept) == 1
    github.write("registry.json", b"[1]\n", written.version, "m")
    assert len(slept) == 2 and 0 <= slept[1] <= 28  # every later write is
    assert log[1].startswith("Spreading this run's writes after GitHub's secondary rate limit: ")
    assert [r.status for r in fake.writes] == [403, 200, 200]


def test_a_write_that_would_be_stale_after_the_wait_is_handed_back(fake: FakeGitHub) -> None:
    fake.inject(method="PUT", path_regex=INDEX, fault=faults.too_many_requests(7))
    slept: list[float] = []
    log: list[str] = []
    github = store(fake, slept, log)
    found = github.read("registry.json")
    assert found is not None
    with pytest.raises(ConflictError) as refused:
        github.write("registry.json", b"[]\n", found.version, "m", retry_limits=False)
    assert slept == [] and len(fake.writes) == 1  # not made again: its caller reads first
    assert refused.value.least is not None and 7 <= refused.value.least <= 7.7 + 28
    assert str(refused.value).startswith(
        "could not write registry.json: GitHub's secondary rate limit refused it (429 "
    )
    assert f"waiting {refused.value.least:.1f} s (its retry-after header: 7 s" in log[0]
    github.pace()  # the read before its next write waits instead
    assert len(slept) == 1 and 0 <= slept[0] <= 28


def test_the_primary_limit_waits_for_its_reset(fake: FakeGitHub) -> None:
    fake.inject(method="GET", path_regex=INDEX, fault=faults.primary_rate_limit(reset_in=30))
    slept: list[float] = []
    log: list[str] = []
    store(fake, slept, log).read("registry.json")
    assert 29 <= slept[0] <= 34.1  # until x-ratelimit-reset, plus its second and jitter
    assert "primary rate limit (403)" in log[0] and "its x-ratelimit-reset: " in log[0]


def test_a_wait_past_the_deadline_is_not_started(fake: FakeGitHub) -> None:
    fake.inject(method="GET", path_regex=INDEX, fault=faults.secondary_rate_limit(None))
    slept: list[float] = []
    deadline = Deadline(50)
    with pytest.raises(GaveUpError) as caught:
        store(fake, slept, [], deadline=deadline).read("registry.json")
    assert slept == []
    message = str(caught.value)
    assert "GitHub's secondary rate limit (shared by everything that uses" in message
    assert "it asks to wait 60 s (GitHub named no time: at least 60 s)" in message
    assert "used up" not in message
    assert message.endswith("the run's deadline is `timeout` (50 s): raise it, or re-run later")


def test_a_permission_403_is_not_a_rate_limit(fake: FakeGitHub) -> None:
    fake.inject(method="GET", path_regex=INDEX, fault=faults.status(403, "Resource not accessible"))
    slept: list[float] = []
    with pytest.raises(Exception, match="give it `contents: write`"):
        store(fake, slept, []).read("registry.json")
    assert slept == [] and len(fake.requests) == 1


def test_patch_is_retried_after_a_5xx(fake: FakeGitHub) -> None:
    fake.create_branch(REGISTRY, "registry/calendar")
    fake.inject(method="PATCH", fault=faults.status(502), times=1)
    slept: list[float] = []
    client = make_client(
        WRITE_TOKEN, fake.api_url, deadline=Deadline(600), sleep=slept.append, log=lambda _: None
    )
    ref = client.get_repo(REGISTRY).get_git_ref("heads/registry/calendar")
    assert ref.object.sha  # read first: the answer names the URL the ref is updated at
    ref.edit(fake.head(REGISTRY), force=True)
    patches = [r.status for r in fake.requests if r.method == "PATCH"]
    assert patches == [502, 200] and len(slept) == 1


def test_a_compressed_rate_limit_answer_is_read() -> None:
    # GitHub compresses its answers for a client that accepts gzip, as requests does.
    message = "You have exceeded a secondary rate limit. Please wait a few minutes."
    answers = [(403, {"message": message}), (404, {"message": "Not Found"})]

    class Compressing(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, document = answers.pop(0)
            body = gzip.compress(json.dumps(document).encode())
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Compressing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    slept: list[float] = []
    log: list[str] = []
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        client = make_client(
            WRITE_TOKEN, url, deadline=Deadline(600), sleep=slept.append, log=log.append
        )
        assert GitHubStore(client, REGISTRY, "main").read("registry.json") is None
    finally:
        server.shutdown()
        server.server_close()
    assert 60 <= slept[0] <= 66 and answers == []
    assert "secondary rate limit (403)" in log[0] and "GitHub named no time" in log[0]
