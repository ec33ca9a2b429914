"""The GitHub store against real recorded api.github.com answers, and its request bodies
against GitHub's OpenAPI description (see tests/recordings.py for where both come from)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fake_github import FakeGitHub
from harness import REGISTRY, WRITE_TOKEN, Action
from recordings import Replay, body_problems, scenario
from registry_action.store.github.contents import GitHubStore, make_client
from registry_action.store.github.proposals import GitHubProposals
from registry_action.store.interface import Deadline

ORG = "octokit-fixture-org"


@pytest.fixture
def exchanges() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def replay(exchanges: list[dict[str, Any]]) -> Iterator[Replay]:
    server = Replay(exchanges)
    try:
        yield server
    finally:
        server.stop()
        assert server.unanswered == [], "requests with no recorded answer"
        for sent in server.sent:
            assert body_problems(sent.method, sent.path, sent.body) == []


def client(replay: Replay) -> Any:
    return make_client(WRITE_TOKEN, replay.url, deadline=Deadline(600))


def lookup_of(name: str) -> dict[str, Any]:
    """The recorded repository lookup (get-repository), as the answer for ``ORG/name``."""
    exchange = copy.deepcopy(scenario("get-repository")[0])
    exchange["path"] = f"/repos/{ORG}/{name}"
    exchange["response"].update(name=name, full_name=f"{ORG}/{name}")
    return exchange


def test_the_repository_lookup_reads_the_recorded_answer(
    replay: Replay, exchanges: list[dict[str, Any]]
) -> None:
    recorded = scenario("get-repository")
    exchanges.extend(recorded)
    store = GitHubStore(client(replay), f"{ORG}/hello-world", None)
    assert store.branch == recorded[0]["response"]["default_branch"]
    assert store.repository == recorded[0]["response"]["full_name"]
    assert store.notices == ()


def test_a_renamed_repository_is_found_under_its_recorded_new_name(
    replay: Replay, exchanges: list[dict[str, Any]]
) -> None:
    recorded = [e for e in scenario("rename-repository") if e["method"] == "get"]
    assert [e["status"] for e in recorded] == [301, 200]
    exchanges.extend(recorded)
    # No branch given: the repository is looked up for its default branch, and found renamed.
    store = GitHubStore(client(replay), f"{ORG}/rename-repository", None)
    new, branch = recorded[1]["response"]["full_name"], recorded[1]["response"]["default_branch"]
    assert store.repository == new != f"{ORG}/rename-repository"
    assert store.description == f"{new}@{branch}"
    assert store.notices == (
        f"{ORG}/rename-repository has been renamed or transferred to {new}: GitHub redirects "
        f"the old name for now, set `registry-repository: {new}` in the workflow",
    )
    sent = [s.path for s in replay.sent]
    assert sent == [f"/repos/{ORG}/rename-repository", "/repositories/1000"]


def test_a_created_file_is_read_from_the_recorded_answer(
    replay: Replay, exchanges: list[dict[str, Any]]
) -> None:
    recorded = scenario("create-file")[0]
    exchanges.extend([lookup_of("create-file"), recorded])
    store = GitHubStore(client(replay), f"{ORG}/create-file", "main")
    result = store.write("test.txt", b"Test content", None, "create test.txt")
    assert result.version == recorded["response"]["content"]["sha"]
    assert result.commit_sha == recorded["response"]["commit"]["sha"]
    assert result.commit_url == recorded["response"]["commit"]["html_url"]
    sent = json.loads(replay.sent[-1].body)
    assert sent == {**recorded["body"], "branch": "main"}


def _single_refs(listing: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
    """GET git/ref/heads/{name} answers: the element of a recorded git/refs listing (the same
    ``git-ref`` schema in GitHub's OpenAPI description), or 404 for a ref it does not list."""
    answers = []
    for name in names:
        found = [r for r in listing["response"] if r["ref"] == f"refs/heads/{name}"]
        answers.append(
            {
                "method": "get",
                "path": listing["path"].replace("git/refs/", f"git/ref/heads/{name}"),
                "status": 200 if found else 404,
                "headers": {"content-type": "application/json; charset=utf-8"},
                "response": found[0] if found else {"message": "Not Found"},
            }
        )
    return answers


def test_proposal_branches_use_the_recorded_ref_answers_behind_a_proxy(
    replay: Replay, exchanges: list[dict[str, Any]]
) -> None:
    # The recorded answers name api.github.com, not the replay: every request must still go to
    # the replay, as it must go to `api-url` when a proxy stands in front of GitHub.
    first, create, update, second, _ = scenario("git-refs")
    exchanges.extend([*_single_refs(first, ["main", "test"]), create])
    exchanges.extend([*_single_refs(second, ["main", "test"]), update])
    proposals = GitHubProposals(client(replay), f"{ORG}/git-refs", "main")
    main_sha = first["response"][0]["object"]["sha"]
    proposals.start_branch("test")  # created
    proposals.start_branch("test")  # reset to main's head
    writes = [(s.method, s.path, json.loads(s.body)) for s in replay.sent if s.body]
    assert writes == [
        ("POST", f"/repos/{ORG}/git-refs/git/refs", {"ref": "refs/heads/test", "sha": main_sha}),
        ("PATCH", update["path"], {"sha": main_sha, "force": True}),
    ]


def test_the_openapi_check_refuses_a_body_github_does_not_describe() -> None:
    path = "/repos/org/registry/contents/plugins/x.json"
    good = b'{"message": "m", "content": "e30K", "branch": "main", "sha": "abc"}'
    assert body_problems("PUT", path, good) == []
    assert body_problems("PUT", path, b'{"message": "m", "content": 1, "shaa": "1"}') == [
        "PUT /repos/{owner}/{repo}/contents/{path}: 1 is not of type 'string'",
        "PUT /repos/{owner}/{repo}/contents/{path}: Additional properties are not allowed "
        "('shaa' was unexpected)",
    ]


def test_every_body_a_run_sends_is_one_github_describes(
    github: FakeGitHub, action: Action, tmp_path: Path
) -> None:
    for inputs in (
        {"version": "1.0.0"},
        {"version": "1.1.0", "committer-name": "Bot", "committer-email": "bot@example.com"},
        {"command": "unregister"},
        {"command": "reindex"},
    ):
        assert action.run(inputs).status == 0
    github.protect_branch(REGISTRY, "main")
    for version in ("2.0.0", "2.0.1"):  # opens, then updates, the pull request
        assert action.run({"version": version, "pull-request": "true"}).status == 0
    sent = [r for r in github.requests if r.body and r.path != "/graphql"]
    # An unregistration is one GraphQL commit: no run sends a DELETE.
    assert {r.method for r in sent} >= {"PUT", "POST", "PATCH"}
    for request in sent:
        assert body_problems(request.method, request.path, request.body) == []
