"""The fake's whole-registry limits: GraphQL's timeout and rate limits, the 7 MB tree."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from fake_github import FakeGitHub, faults
from fake_github.gitobjects import blob_sha

REPO = "org/plugin-registry"
TOKEN = "t0ken-write"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        fake.add_repo(REPO)
        fake.add_token(TOKEN)
        yield fake


def seed(gh: FakeGitHub, count: int, size: int = 10) -> list[str]:
    """``count`` files of ``size`` bytes in plugins/; their blob shas, in path order."""
    contents = [f"{n:0{size}d}".encode() for n in range(count)]
    gh.put_files(REPO, {f"plugins/p{n:05d}.json": data for n, data in enumerate(contents)})
    return [blob_sha(data) for data in contents]


def ask(gh: FakeGitHub, shas: list[str]) -> requests.Response:
    declared = "".join(f", $o{i}: GitObjectID!" for i in range(len(shas)))
    fields = "".join(
        f" b{i}: object(oid: $o{i}) {{ ... on Blob {{ text }} }}" for i in range(len(shas))
    )
    query = (
        f"query($owner: String!, $name: String!{declared}) "
        f"{{ repository(owner: $owner, name: $name) {{{fields} }} }}"
    )
    variables: dict[str, Any] = {"owner": "org", "name": "plugin-registry"}
    variables |= {f"o{i}": sha for i, sha in enumerate(shas)}
    body = {"query": query, "variables": variables}
    return requests.post(f"{gh.api_url}/graphql", json=body, headers=AUTH, timeout=30)


def test_blobs_are_answered_by_alias_up_to_500_texts(gh: FakeGitHub) -> None:
    shas = seed(gh, 501)
    answer = ask(gh, shas[:500])
    assert answer.status_code == 200
    found = answer.json()["data"]["repository"]
    assert found["b0"]["text"] == "0" * 10 and found["b499"]["text"] == f"{499:010d}"
    past = ask(gh, shas)
    assert past.status_code == 502  # GitHub's answer to a query it stopped after 10 s
    assert past.json()["message"].startswith("We couldn't respond to your request in time.")


def test_an_answer_past_4_mb_of_text_is_a_timeout(gh: FakeGitHub) -> None:
    shas = seed(gh, 9, size=500_000)
    assert ask(gh, shas[:8]).status_code == 200  # 4,000,000 bytes
    assert ask(gh, shas).status_code == 502


def test_graphql_rate_limits_answer_200_with_rate_limited(gh: FakeGitHub) -> None:
    shas = seed(gh, 1)
    gh.inject(method="POST", path_regex="/graphql", fault=faults.graphql_rate_limited(30))
    answer = ask(gh, shas)
    assert answer.status_code == 200
    assert answer.json() == {
        "errors": [
            {"type": "RATE_LIMITED", "message": "API rate limit exceeded for installation ID 1."}
        ]
    }
    assert answer.headers["x-ratelimit-remaining"] == "0"
    assert int(answer.headers["x-ratelimit-reset"]) - time.time() == pytest.approx(30, abs=2)
    assert ask(gh, shas).status_code == 200 and "errors" not in ask(gh, shas).json()


def test_graphql_has_a_budget_of_its_own_that_it_refuses_with_200(gh: FakeGitHub) -> None:
    shas = seed(gh, 1)
    gh.rate_limit = 2
    assert [ask(gh, shas).status_code for _ in range(2)] == [200, 200]
    limited = ask(gh, shas)
    assert limited.status_code == 200 and limited.json()["errors"][0]["type"] == "RATE_LIMITED"
    assert limited.headers["x-ratelimit-resource"] == "graphql"
    rest = requests.get(f"{gh.api_url}/repos/{REPO}", headers=AUTH, timeout=10)
    assert rest.status_code == 200  # REST's budget is untouched


def test_a_graphql_query_creates_no_content(gh: FakeGitHub) -> None:
    shas = seed(gh, 1)
    gh.limit_content_creation(1, 60)
    assert [ask(gh, shas).status_code for _ in range(3)] == [200, 200, 200]


def test_a_partial_answer_leaves_every_second_blob_out(gh: FakeGitHub) -> None:
    shas = seed(gh, 3)
    gh.inject(method="POST", path_regex="/graphql", fault=faults.graphql_partial())
    document = ask(gh, shas).json()
    assert [k for k, v in document["data"]["repository"].items() if v is None] == ["b1"]
    assert [e["path"] for e in document["errors"]] == [["repository", "b1"]]


def test_the_recursive_tree_is_cut_at_7_mb_before_100000_entries(gh: FakeGitHub) -> None:
    gh.put_files(REPO, {f"plugins/plugin-{n:05d}.json": b"{}\n" for n in range(35_000)})
    url = f"{gh.api_url}/repos/{REPO}/git/trees/main"
    whole = requests.get(url, params={"recursive": "1"}, headers=AUTH, timeout=60)
    listed = whole.json()
    assert listed["truncated"] is True
    assert 25_000 < len(listed["tree"]) < 35_000
    assert len(json.dumps(listed["tree"], ensure_ascii=False).encode()) <= 7 * 1024 * 1024
    folder = next(e["sha"] for e in listed["tree"] if e["path"] == "plugins")
    own = requests.get(f"{gh.api_url}/repos/{REPO}/git/trees/{folder}", headers=AUTH, timeout=60)
    assert own.json()["truncated"] is False and len(own.json()["tree"]) == 35_000


def test_commits_of_a_path_come_one_page_at_a_time(gh: FakeGitHub) -> None:
    for n in range(3):
        gh.put_file(REPO, "plugins/a.json", f"{n}\n")
    url = f"{gh.api_url}/repos/{REPO}/commits"
    newest = requests.get(
        url, params={"path": "plugins/a.json", "per_page": "1"}, headers=AUTH, timeout=10
    )
    assert len(newest.json()) == 1
    assert newest.json()[0]["sha"] == gh.head(REPO)
    every = requests.get(url, params={"path": "plugins/a.json"}, headers=AUTH, timeout=10)
    assert len(every.json()) == 3
