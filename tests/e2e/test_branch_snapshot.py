"""The GitHub store's snapshot: a branch's head, files and a folder listing in one query.

A registration starts from one (store/github/snapshot.py): ``Repository.ref`` and the head
commit's ``file(path:)`` entries, so the files read agree with each other and with the head.
"""

from __future__ import annotations

import pytest

from fake_github import FakeGitHub
from harness import REGISTRY, WRITE_TOKEN
from registry_action.errors import GitHubError
from registry_action.store.github.contents import GitHubStore, make_client
from registry_action.store.interface import Deadline, blob_sha

NEW = "platform/dashboard-plugins"


def store_of(fake: FakeGitHub, branch: str = "main", repository: str = REGISTRY) -> GitHubStore:
    return GitHubStore(
        make_client(WRITE_TOKEN, fake.api_url, deadline=Deadline(60)), repository, branch
    )


def test_one_query_gives_the_head_the_files_and_the_folders_versions(fake: FakeGitHub) -> None:
    files = {
        "registry.json": b'{"plugins": []}\n',
        "plugins/a.json": b'{"id": "a"}\n',
        "plugins/b.json": b'{"id": "b"}\n',
        "plugins/deeper/c.json": b"{}\n",
    }
    head = fake.put_files(REGISTRY, files)
    fake.reset_log()
    found = store_of(fake).snapshot(
        ["registry.json", "plugins/a.json", "plugins/x.json"], "plugins"
    )
    assert [(r.method, r.path) for r in fake.requests] == [("POST", "/graphql")]
    assert found.head == head
    assert {path: f.content if f else None for path, f in found.files.items()} == {
        "registry.json": files["registry.json"],
        "plugins/a.json": files["plugins/a.json"],
        "plugins/x.json": None,
    }
    assert found.files["plugins/a.json"].version == blob_sha(files["plugins/a.json"])  # type: ignore[union-attr]
    # Only the folder's own files: not the ones of a folder inside it.
    assert found.folder == {
        "plugins/a.json": blob_sha(files["plugins/a.json"]),
        "plugins/b.json": blob_sha(files["plugins/b.json"]),
    }


def test_a_text_graphql_cuts_is_read_through_the_blob_api(fake: FakeGitHub) -> None:
    big = b'{"plugins": [], "note": "' + b"x" * 600_000 + b'"}\n'  # GraphQL stops at 512,000
    fake.put_files(REGISTRY, {"registry.json": big})
    fake.reset_log()
    found = store_of(fake).snapshot(["registry.json"], "plugins")
    assert found.files["registry.json"] is not None
    assert found.files["registry.json"].content == big
    assert found.folder == {}
    assert [r.path.rsplit("/", 2)[-2] for r in fake.requests[1:]] == ["blobs"]


def test_a_branch_that_does_not_exist_is_named(fake: FakeGitHub) -> None:
    with pytest.raises(GitHubError) as raised:
        store_of(fake, branch="nope").snapshot(["registry.json"], "plugins")
    assert str(raised.value) == (
        f"the branch 'nope' does not exist in {REGISTRY}: create it or set `registry-branch` to "
        "an existing branch"
    )


def test_a_renamed_repository_is_looked_up_and_read_under_its_new_name(fake: FakeGitHub) -> None:
    fake.put_file(REGISTRY, "registry.json", b"{}\n")
    fake.rename_repo(REGISTRY, NEW)
    fake.reset_log()
    store = store_of(fake)
    found = store.snapshot(["registry.json"], "plugins")
    assert found.files["registry.json"] is not None
    assert store.repository == NEW
    assert [(r.method, r.path) for r in fake.requests] == [
        ("POST", "/graphql"),  # GraphQL does not follow the old name
        ("GET", f"/repos/{REGISTRY}"),  # the lookup, redirected by the repository's id
        ("GET", "/repositories/1001"),
        ("POST", "/graphql"),
    ]


def test_a_repository_that_is_nowhere_is_the_lookups_refusal(fake: FakeGitHub) -> None:
    with pytest.raises(GitHubError, match=r"org/missing was not found \(404\)"):
        store_of(fake, repository="org/missing").snapshot(["registry.json"], "plugins")


def test_versions_are_read_by_their_blob_shas(fake: FakeGitHub) -> None:
    fake.put_files(REGISTRY, {"plugins/a.json": b"1\n", "plugins/b.json": b"2\n"})
    store = store_of(fake)
    wanted = {"plugins/a.json": blob_sha(b"1\n"), "plugins/b.json": blob_sha(b"2\n")}
    fake.put_file(REGISTRY, "plugins/a.json", b"3\n")  # the version asked for is still a blob
    fake.reset_log()
    found = store.read_versions(wanted)
    assert {path: f.content for path, f in found.items()} == {
        "plugins/a.json": b"1\n",
        "plugins/b.json": b"2\n",
    }
    assert [(r.method, r.path) for r in fake.requests] == [("POST", "/graphql")]
