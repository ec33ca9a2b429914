"""The fake's whole-tree answers against GitHub's OpenAPI description, and the store's reading
of a file that GitHub's GraphQL API cuts."""

from __future__ import annotations

import requests

from fake_github import FakeGitHub
from harness import REGISTRY, WRITE_TOKEN
from recordings import response_problems
from registry_action.store.github.contents import GitHubStore, make_client
from registry_action.store.interface import Deadline

AUTH = {"Authorization": f"token {WRITE_TOKEN}"}


def test_the_fakes_tree_answers_are_what_github_describes(fake: FakeGitHub) -> None:
    fake.put_files(REGISTRY, {f"plugins/p{n}.json": b"{}\n" for n in range(30)})
    fake.tree_limit = 10
    path = f"/repos/{REGISTRY}/git/trees/main"
    for query in ({"recursive": "1"}, {}):
        answer = requests.get(fake.api_url + path, params=query, headers=AUTH, timeout=10)
        document = answer.json()
        assert response_problems("GET", path, answer.status_code, document) == []
        assert document["truncated"] is bool(query)  # 31 entries past a limit of 10
    unknown = f"{fake.api_url}/repos/{REGISTRY}/git/trees/{'0' * 40}"
    missing = requests.get(unknown, headers=AUTH, timeout=10)
    assert missing.status_code == 404


def test_a_manifest_graphql_cuts_is_read_whole_through_the_blob_api(fake: FakeGitHub) -> None:
    big = b'{"description": "' + b"x" * 600_000 + b'"}\n'  # GraphQL's text stops at 512,000
    fake.put_files(REGISTRY, {"plugins/big.json": big, "plugins/small.json": b"{}\n"})
    fake.reset_log()
    store = GitHubStore(
        make_client(WRITE_TOKEN, fake.api_url, deadline=Deadline(600)), REGISTRY, "main"
    )
    files = store.read_folder("plugins")
    assert {path: f.content for path, f in files.items()} == {
        "plugins/big.json": big,
        "plugins/small.json": b"{}\n",
    }
    blobs = [r.path.rsplit("/", 1)[-1] for r in fake.requests if "/git/blobs/" in r.path]
    assert blobs == [files["plugins/big.json"].version]  # only the cut one, on its own
