"""Reading every manifest through GraphQL within GitHub's limits, against the fake's.

The fake answers a query past 500 texts or 4 MB of text with GitHub's timeout, a 502; the
store sends batches of at most 250 texts and 2 MB, halves a batch GitHub stopped, keeps what a
partial answer verified, and waits out rate limits answered with status 200. The client's
sleep is injected: a wait is recorded, not slept.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fake_github import FakeGitHub, RequestRecord, faults
from harness import REGISTRY, WRITE_TOKEN, docker_env, run_action
from registry_action.errors import GaveUpError
from registry_action.store.github.contents import GitHubStore, make_client
from registry_action.store.github.texts import Blob, batches
from registry_action.store.interface import Deadline, blob_sha
from registry_files import manifest, registry_files

GRAPHQL = r"^/graphql$"


def seed(fake: FakeGitHub, count: int, **files: bytes) -> dict[str, bytes]:
    """``count`` manifests (and ``files`` by name) in plugins/; the log starts empty."""
    documents = registry_files(*(manifest(f"plugin-{n:05d}") for n in range(count)))
    seeded = {path: content for path, content in documents.items() if path.startswith("plugins/")}
    seeded.update({f"plugins/{name}": content for name, content in files.items()})
    fake.put_files(REGISTRY, seeded)
    fake.reset_log()
    return seeded


def store(
    fake: FakeGitHub, slept: list[float] | None = None, log: list[str] | None = None, **kw: Any
) -> GitHubStore:
    kw.setdefault("deadline", Deadline(600))
    client = make_client(
        WRITE_TOKEN,
        fake.api_url,
        sleep=(slept if slept is not None else []).append,
        log=(log if log is not None else []).append,
        **kw,
    )
    return GitHubStore(client, REGISTRY, "main")


def read_all(fake: FakeGitHub, **kw: Any) -> dict[str, bytes]:
    return {path: f.content for path, f in store(fake, **kw).read_folder("plugins").items()}


def queries(fake: FakeGitHub) -> list[RequestRecord]:
    return [r for r in fake.requests if r.path == "/graphql"]


def asked(record: RequestRecord) -> list[str]:
    """The blob shas one GraphQL query asked for, in order."""
    variables = json.loads(record.body)["variables"]
    return [variables[f"o{i}"] for i in range(len(variables) - 2)]


def blob_reads(fake: FakeGitHub) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in fake.requests if "/git/blobs/" in r.path]


def test_batches_hold_at_most_250_texts_and_2_mb_and_skip_what_graphql_cuts() -> None:
    small = [Blob(f"{n:040x}", 400) for n in range(600)]
    assert [len(b) for b in batches(small)] == [250, 250, 100]
    large = [Blob(f"{n:040x}", 500_000) for n in range(9)]
    assert [len(b) for b in batches(large)] == [4, 4, 1]  # 2,000,000 bytes at most
    cut = Blob("f" * 40, 512_001)
    assert batches([cut, *small[:2]]) == [small[:2]]


def test_1100_manifests_are_read_in_five_queries_none_stopped(fake: FakeGitHub) -> None:
    seeded = seed(fake, 1_100)
    assert read_all(fake) == seeded
    assert [r.status for r in queries(fake)] == [200] * 5
    assert sorted(sha for r in queries(fake) for sha in asked(r)) == sorted(
        blob_sha(content) for content in seeded.values()
    )
    assert blob_reads(fake) == []


def test_megabytes_of_text_are_read_in_batches_of_2_mb(fake: FakeGitHub) -> None:
    # Nine texts of 500,000 bytes: 4.5 MB, past the 4 MB the fake answers in time.
    big = {f"big-{n}.json": b'{"x": "' + bytes([97 + n]) * 499_990 + b'"}\n' for n in range(9)}
    seeded = seed(fake, 0, **big)
    assert read_all(fake) == seeded
    assert sorted(len(asked(r)) for r in queries(fake)) == [1, 4, 4]
    assert blob_reads(fake) == []


def test_a_text_graphql_would_cut_is_read_through_the_blob_api_only(fake: FakeGitHub) -> None:
    huge = b'{"description": "' + b"x" * 600_000 + b'"}\n'
    seeded = seed(fake, 3, **{"huge.json": huge})
    assert read_all(fake) == seeded
    assert blob_sha(huge) not in [sha for r in queries(fake) for sha in asked(r)]
    assert blob_reads(fake) == [blob_sha(huge)]


def test_a_stopped_query_is_halved_until_github_answers(fake: FakeGitHub) -> None:
    fake.graphql_limits = (100, 4_000_000)  # GitHub gives up sooner here
    seeded = seed(fake, 300)
    assert read_all(fake) == seeded
    sizes = sorted((len(asked(r)), r.status) for r in queries(fake))
    answered = [(50, 200), (62, 200), (62, 200), (63, 200), (63, 200)]
    assert sizes == [*answered, (125, 502), (125, 502), (250, 502)]
    assert blob_reads(fake) == []


@pytest.mark.parametrize("status", [502, 504])
def test_a_timeout_answer_is_not_sent_again_as_it_was(fake: FakeGitHub, status: int) -> None:
    fake.inject(method="POST", path_regex=GRAPHQL, fault=faults.status(status))
    seeded = seed(fake, 4)
    slept: list[float] = []
    assert read_all(fake, slept=slept) == seeded
    assert sorted(len(asked(r)) for r in queries(fake)) == [2, 2, 4]
    assert slept == []  # asked for less at once, not after a backoff


def test_single_texts_github_keeps_stopping_are_read_through_the_blob_api(
    fake: FakeGitHub,
) -> None:
    fake.graphql_limits = (0, 0)  # every text is too much
    seeded = seed(fake, 3)
    assert read_all(fake) == seeded
    assert sorted(len(asked(r)) for r in queries(fake)) == [1, 1, 1, 2, 3]
    assert sorted(blob_reads(fake)) == sorted(blob_sha(c) for c in seeded.values())


def test_a_partial_answer_keeps_its_texts_and_asks_again_for_the_rest(fake: FakeGitHub) -> None:
    fake.inject(method="POST", path_regex=GRAPHQL, fault=faults.graphql_partial())
    seeded = seed(fake, 4)
    assert read_all(fake) == seeded
    first, second = queries(fake)
    assert asked(second) == asked(first)[1::2]  # only those the first answer left out
    assert blob_reads(fake) == []


def test_what_a_second_partial_answer_leaves_out_comes_from_the_blob_api(
    fake: FakeGitHub,
) -> None:
    fake.inject(method="POST", path_regex=GRAPHQL, fault=faults.graphql_partial(), times=2)
    seeded = seed(fake, 4)
    assert read_all(fake) == seeded
    first, second = queries(fake)
    assert blob_reads(fake) == [asked(first)[3]]  # left out twice: asked for once again only
    assert asked(second) == [asked(first)[1], asked(first)[3]]


WAITED = (
    r"GitHub's primary rate limit \(200\) on POST /graphql: waiting (?P<pause>[\d.]+) s "
    r"\((?P<source>.*), plus jitter\)"
)


@pytest.mark.parametrize(
    ("fault", "source", "least"),
    [
        (faults.graphql_rate_limited(reset_in=30), r"its x-ratelimit-reset: \S+ UTC", 29),
        (faults.graphql_rate_limited(None, retry_after=7), r"its retry-after header: 7 s", 7),
        (faults.graphql_rate_limited(None), r"GitHub named no time: at least 60 s", 60),
    ],
)
def test_a_rate_limit_answered_with_200_is_waited_out_as_rest_ones_are(
    fake: FakeGitHub, fault: faults.Fault, source: str, least: float
) -> None:
    fake.inject(method="POST", path_regex=GRAPHQL, fault=fault)
    seeded = seed(fake, 3)
    slept: list[float] = []
    log: list[str] = []
    assert read_all(fake, slept=slept, log=log) == seeded
    assert [r.status for r in queries(fake)] == [200, 200]  # the same query, after the wait
    assert asked(queries(fake)[0]) == asked(queries(fake)[1])
    (line,) = log
    match = re.fullmatch(WAITED, line)
    assert match is not None, line
    assert re.fullmatch(source, match["source"]), line
    assert slept == [float(match["pause"])] or abs(slept[0] - float(match["pause"])) < 0.05
    assert least <= slept[0] <= (least + 2) * 1.1


def test_a_rate_limit_without_a_time_waits_longer_each_time(fake: FakeGitHub) -> None:
    fake.inject(method="POST", path_regex=GRAPHQL, fault=faults.graphql_rate_limited(None), times=2)
    seed(fake, 2)
    slept: list[float] = []
    log: list[str] = []
    read_all(fake, slept=slept, log=log)
    assert 60 <= slept[0] <= 66 and 120 <= slept[1] <= 132
    assert "at least 60 s, doubled for repeat 1, plus jitter" in log[1]


def test_a_secondary_limit_on_graphql_answered_403_is_waited_out(fake: FakeGitHub) -> None:
    fake.inject(method="POST", path_regex=GRAPHQL, fault=faults.secondary_rate_limit(3))
    seeded = seed(fake, 2)
    slept: list[float] = []
    log: list[str] = []
    assert read_all(fake, slept=slept, log=log) == seeded
    assert 3 <= slept[0] <= 3.3
    assert "secondary rate limit (403) on POST /graphql" in log[0]


def test_a_rate_limit_past_the_deadline_is_one_line_and_no_wait(fake: FakeGitHub) -> None:
    fake.inject(
        method="POST", path_regex=GRAPHQL, fault=faults.graphql_rate_limited(reset_in=3_000)
    )
    seed(fake, 2)
    slept: list[float] = []
    with pytest.raises(GaveUpError) as caught:
        read_all(fake, slept=slept, deadline=Deadline(50))
    assert slept == []
    assert re.fullmatch(
        r"could not read the manifests: the token's primary rate limit is used up \(200 API "
        r"rate limit exceeded for installation ID 1\.\); it asks to wait 300\d s \(its "
        r"x-ratelimit-reset: \d\d:\d\d:\d\d UTC\), more than the \d\d s left after 1 try in 0 "
        r"s: the run's deadline is `timeout` \(50 s\): raise it, or re-run later",
        str(caught.value),
    ), str(caught.value)


def test_another_graphql_error_is_one_line_naming_it(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.put_files(REGISTRY, registry_files(manifest("calendar"), listed=True))
    fake.inject(
        method="POST",
        path_regex=GRAPHQL,
        fault=faults.graphql_error("FORBIDDEN", "Resource not accessible by integration"),
    )
    fake.reset_log()
    run = run_action(docker_env(fake, tmp_path, COMMAND="validate"))
    assert run.status == 1
    assert run.errors == [
        "::error title=GitHub refused the request::could not read the manifests of "
        "org/plugin-registry: GitHub's GraphQL API "
        "answered FORBIDDEN: Resource not accessible by integration"
    ]
    assert fake.writes == []


def test_a_renamed_repository_is_listed_whole_under_its_new_name(fake: FakeGitHub) -> None:
    seeded = seed(fake, 1_200)
    fake.rename_repo(REGISTRY, "org/plugins")
    fake.reset_log()
    moved = store(fake)  # the branch given: no look-up until an answer shows the move
    assert moved.read_folder("plugins").keys() == seeded.keys()
    assert moved.notices == (
        "org/plugin-registry has been renamed or transferred to org/plugins: GitHub redirects "
        "the old name for now, set `registry-repository: org/plugins` in the workflow",
    )
    listing = [r for r in fake.requests if "/git/trees/" in r.path]
    assert listing[-1].path.startswith("/repos/org/plugins/git/trees/")
    assert listing[-1].query == {"recursive": "1"}
    assert moved.list_dir("plugins") == sorted(seeded)


def test_35000_manifests_past_the_7_mb_tree_are_listed_folder_by_folder(
    fake: FakeGitHub,
) -> None:
    seeded = seed(fake, 35_000)
    assert read_all(fake) == seeded
    trees = [r for r in fake.requests if "/git/trees/" in r.path]
    # The recursive listing, cut at 7 MB well before 100,000 entries, then plugins/ alone.
    assert [r.query for r in trees] == [{"recursive": "1"}, {}]
    assert len(queries(fake)) == 140 and blob_reads(fake) == []


def test_when_a_file_last_changed_takes_one_commit_from_github(fake: FakeGitHub) -> None:
    fake.put_file(REGISTRY, "plugins/a.json", "{}\n", date="2024-01-05T07:30:00Z")
    fake.put_file(REGISTRY, "plugins/b.json", "{}\n")  # a later commit of another file
    fake.reset_log()
    history = store(fake)
    assert history.last_changed("plugins/a.json") == datetime(2024, 1, 5, 7, 30, tzinfo=UTC)
    assert history.last_changed("plugins/never.json") is None
    asked_for = [r.query for r in fake.requests if r.path.endswith("/commits")]
    assert asked_for == [
        {"sha": "main", "path": "plugins/a.json", "per_page": "1"},
        {"sha": "main", "path": "plugins/never.json", "per_page": "1"},
    ]
