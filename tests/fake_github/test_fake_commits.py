"""The fake's createCommitOnBranch, as GitHub's schema describes it, and how its limits count it."""

from __future__ import annotations

import base64
from typing import Any

import requests

from fake_github import FakeGitHub
from harness import REGISTRY, WRITE_TOKEN

AUTH = {"Authorization": f"token {WRITE_TOKEN}"}
MUTATION = (
    "mutation($input: CreateCommitOnBranchInput!) "
    "{ createCommitOnBranch(input: $input) { commit { oid url } } }"
)


def commit(
    fake: FakeGitHub,
    files: dict[str, bytes | None],
    head: str | None = None,
    deletions: tuple[str, ...] = (),
) -> Any:
    additions = [
        {"path": p, "contents": base64.b64encode(c).decode()} for p, c in files.items() if c
    ]
    deleted = [{"path": p} for p in deletions]
    variables = {
        "input": {
            "branch": {"repositoryNameWithOwner": REGISTRY, "branchName": "main"},
            "expectedHeadOid": head or fake.head(REGISTRY),
            "message": {"headline": "m"},
            "fileChanges": {"additions": additions, "deletions": deleted},
        }
    }
    body = {"query": MUTATION, "variables": variables}
    return requests.post(f"{fake.api_url}/graphql", json=body, headers=AUTH, timeout=30)


def test_a_commit_past_what_github_does_in_10_seconds_is_a_502_and_commits_nothing(
    fake: FakeGitHub,
) -> None:
    made = len(fake.commits(REGISTRY))
    answer = commit(fake, {f"plugins/p{n}.json": b"{}\n" for n in range(501)})
    assert answer.status_code == 502
    assert answer.json()["errors"][0]["message"].startswith(
        "Something went wrong while executing your query. This may be the result of a timeout"
    )
    assert len(fake.commits(REGISTRY)) == made
    assert commit(fake, {f"plugins/p{n}.json": b"{}\n" for n in range(500)}).status_code == 200
    assert len(fake.commits(REGISTRY)) == made + 1


def test_a_path_twice_or_a_stale_head_commits_nothing(fake: FakeGitHub) -> None:
    old = fake.head(REGISTRY)
    fake.put_file(REGISTRY, "a.json", b"{}\n")
    made = len(fake.commits(REGISTRY))
    stale = commit(fake, {"b.json": b"{}\n"}, head=old).json()
    assert stale == {
        "data": {"createCommitOnBranch": None},
        "errors": [
            {
                "type": "STALE_DATA",
                "path": ["createCommitOnBranch"],
                "message": f'Expected branch to point to "{old}" but it did not. Pull and try '
                "again.",
            }
        ],
    }
    twice = commit(fake, {"a.json": b"[]\n"}, deletions=("a.json",)).json()
    assert twice["errors"][0]["type"] == "INVALID"
    gone = commit(fake, {}, deletions=("nothing.json",)).json()
    assert gone["errors"][0]["message"] == (
        "A path was requested for deletion which does not exist as of commit oid "
        f"`{fake.head(REGISTRY)}`"
    )
    assert len(fake.commits(REGISTRY)) == made
    # Each refusal came with status 200; the log still tells it from a commit made.
    assert [r.refused for r in fake.requests[-3:]] == [True, True, True]
    assert commit(fake, {"c.json": b"{}\n"}).status_code == 200
    assert not fake.requests[-1].refused


def test_no_file_changes_make_an_empty_commit_as_github_does(fake: FakeGitHub) -> None:
    answer = commit(fake, {})
    assert answer.status_code == 200
    assert fake.commits(REGISTRY)[-1].empty  # why the store never sends one


def test_a_graphql_query_creates_no_content_and_a_mutation_does(fake: FakeGitHub) -> None:
    fake.limit_content_creation(1, 60, "403")
    query = {"query": "query { viewer { login } }", "variables": {}}
    for _ in range(3):
        requests.post(f"{fake.api_url}/graphql", json=query, headers=AUTH, timeout=30)
    assert commit(fake, {"a.json": b"{}\n"}).status_code == 200
    assert commit(fake, {"b.json": b"{}\n"}).status_code == 403
    assert [r.is_write for r in fake.requests] == [False, False, False, True, True]
