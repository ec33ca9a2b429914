"""Parking against the fake GitHub, and the documents it sends against GitHub's schema.

A registration overtaken on the registry branch parks its manifest on a branch of its own
(store/github/parking.py): one request of ``createRef`` and ``createCommitOnBranch``; the run
that commits the parked manifests reads them by revision expression and removes their branches
with ``updateRefs`` mutations, each conditional on the commit it read.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_graphql_mutation import problems

from fake_github import FakeGitHub
from harness import REGISTRY, WRITE_TOKEN
from registry_action.store.github.contents import GitHubStore, make_client
from registry_action.store.github.parking import (
    PARK_MUTATION,
    messages_query,
    park,
    unpark_mutation,
)
from registry_action.store.interface import Deadline, FileWrite

PATH = "plugins/calendar.json"
OLD, NEW = b'{"id": "calendar", "v": 1}\n', b'{"id": "calendar", "v": 2}\n'


@pytest.fixture
def store(fake: FakeGitHub) -> GitHubStore:
    fake.put_files(REGISTRY, {PATH: OLD})
    return GitHubStore(
        make_client(WRITE_TOKEN, fake.api_url, deadline=Deadline(600)), REGISTRY, "main"
    )


def sent(fake: FakeGitHub, name: str) -> list[dict[str, Any]]:
    bodies = [json.loads(r.body) for r in fake.requests if r.is_write]
    return [body for body in bodies if name in body["query"]]


def test_a_parked_manifest_is_listed_read_and_removed(fake: FakeGitHub, store: GitHubStore) -> None:
    head = store.snapshot([PATH], "plugins").head
    assert head is not None
    parked = store.park(PATH, NEW, head, "Register calendar")
    assert parked is not None
    # The registry branch is untouched; the parked branch holds the manifest on that head.
    assert fake.branches(REGISTRY) == ["main", "registry-parked/main/calendar"]
    assert fake.head(REGISTRY) == head
    found = store.snapshot([PATH], "plugins")
    assert found.parked == {PATH: parked}
    [read] = store.read_parked(found.parked)
    assert (read.path, read.commit, read.content) == (PATH, parked, NEW)
    assert read.base == found.folder[PATH]  # the file as the run read it: unchanged since
    assert read.message == "Register calendar"  # whose trailer names the run that parked it
    store.unpark(found.parked)
    assert fake.branches(REGISTRY) == ["main"]
    for name, query in (("createRef", PARK_MUTATION), ("updateRefs", unpark_mutation(1))):
        [body] = sent(fake, name)
        assert body["query"] == query and problems(query, body["variables"]) == []


def test_a_branch_parked_again_meanwhile_is_kept(fake: FakeGitHub, store: GitHubStore) -> None:
    head = store.snapshot([PATH], "plugins").head or ""
    first = store.park(PATH, NEW, head, "Register calendar") or ""
    # Another run commits a newer manifest on the same parked branch after this one read it.
    fake.put_files(REGISTRY, {PATH: b'{"v": 3}\n'}, branch="registry-parked/main/calendar")
    store.unpark({PATH: first})
    assert "registry-parked/main/calendar" in fake.branches(REGISTRY)


def test_a_plugin_parked_by_another_run_is_not_parked_again(store: GitHubStore) -> None:
    head = store.snapshot([PATH], "plugins").head or ""
    assert store.park(PATH, NEW, head, "Register calendar") is not None
    # The branch exists: GitHub refuses createRef, and the commit on it is refused too (it
    # is not at the head this run read), so nothing of this run lands there.
    assert store.park(PATH, b'{"v": 4}\n', head, "Register calendar") is None
    [read] = store.read_parked(store.snapshot([PATH], "plugins").parked)
    assert read.content == NEW


def test_a_branch_made_without_its_commit_is_reported_for_removal() -> None:
    # GitHub ran createRef and refused the commit on the new branch (each mutation of a
    # request runs whatever the others' outcome): the branch is left to remove.
    answer = {
        "data": {"createRef": {"ref": {"name": "calendar"}}, "createCommitOnBranch": None},
        "errors": [{"type": "FORBIDDEN", "path": ["createCommitOnBranch"], "message": "no"}],
    }
    where = (REGISTRY, "R_1", "main")
    write = FileWrite(PATH, NEW, None)
    assert park(lambda body: answer, where, write, "a" * 40, "m") == (
        None,
        "refs/heads/registry-parked/main/calendar",
    )
    # Refused createRef: nothing of this run's is left; an answer that failed: none known.
    answer = {"data": {"createRef": None, "createCommitOnBranch": None}, "errors": []}
    assert park(lambda body: answer, where, write, "a" * 40, "m") == (None, None)
    assert park(lambda body: None, where, write, "a" * 40, "m") == (None, None)


def test_the_query_for_parked_commits_messages_is_one_github_answers() -> None:
    variables = {"owner": "org", "name": "registry", "c0": "a" * 40, "c1": "b" * 40}
    assert problems(messages_query(2), variables) == []


def test_the_unpark_document_for_many_branches_is_one_github_answers() -> None:
    variables = {
        f"u{i}": {
            "repositoryId": "R_1",
            "refUpdates": [
                {"name": f"refs/heads/x/{i}", "beforeOid": "a" * 40, "afterOid": "0" * 40}
            ],
        }
        for i in range(3)
    }
    assert problems(unpark_mutation(3), variables) == []


def test_a_snapshot_names_the_commit_that_last_changed_a_path(
    fake: FakeGitHub, store: GitHubStore
) -> None:
    made = fake.put_files(REGISTRY, {PATH: NEW})
    fake.put_files(REGISTRY, {"plugins/other.json": b"{}\n"})
    fake.reset_log()
    found = store.snapshot([PATH], "plugins", [PATH, "plugins/none.json"])
    # In the snapshot's one query: a parked run learns the commit that carried its manifest.
    assert found.last_commits == {PATH: made, "plugins/none.json": None}
    assert len(fake.requests) == 1
