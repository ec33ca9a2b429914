"""A registration's first read, the snapshot query, against odd registries and odd answers.

Each ends the run with one line naming the cause, exit status 1 and nothing written; a text
that does not hash to its entry's oid (a proxy that rewrote it) is read through the blob API.
"""

from __future__ import annotations

import json

from fake_github import FakeGitHub, faults
from harness import REGISTRY, Action
from registry_action.store.interface import blob_sha
from strict_checks import assert_failed_cleanly

GRAPHQL = r"/graphql$"
EMPTY = b'{"version": "1.0.0", "lastUpdated": "2024-01-20T12:00:00.000Z", "plugins": []}\n'


def one_error(github: FakeGitHub, action: Action) -> str:
    run = action.run({"version": "1.2.3", "registry-branch": "main"})
    assert run.status == 1 and len(run.errors) == 1, run.stdout + run.stderr
    assert_failed_cleanly(run, run.errors[0], github, frozenset(github.list_files(REGISTRY)))
    return run.errors[0]


def test_a_registry_json_that_is_a_folder_is_one_line(github: FakeGitHub, action: Action) -> None:
    github.put_file(REGISTRY, "registry.json/inside.json", b"{}\n")
    assert one_error(github, action).endswith("registry.json is a folder, not a file")


def test_a_plugins_that_is_a_file_is_one_line(github: FakeGitHub, action: Action) -> None:
    github.put_file(REGISTRY, "registry.json", EMPTY)
    github.put_file(REGISTRY, "plugins", b"not a folder\n")
    assert one_error(github, action).endswith("plugins is a file, not a folder")


def test_an_html_page_for_the_query_is_one_line(github: FakeGitHub, action: Action) -> None:
    github.put_file(REGISTRY, "registry.json", EMPTY)
    github.inject(
        method="POST",
        path_regex=GRAPHQL,
        fault=faults.answer(
            200, "<html><body>Sign in to the proxy</body></html>", content_type="text/html"
        ),
        times=None,
    )
    line = one_error(github, action)
    assert "answered POST /graphql with 200 and a text/html page" in line, line


def test_a_query_github_refuses_is_one_line_naming_its_error(
    github: FakeGitHub, action: Action
) -> None:
    github.put_file(REGISTRY, "registry.json", EMPTY)
    fault = faults.graphql_error("FORBIDDEN", "Resource not accessible by integration")
    github.inject(method="POST", path_regex=GRAPHQL, fault=fault, times=None)
    line = one_error(github, action)
    assert "FORBIDDEN: Resource not accessible by integration" in line, line


def test_a_rewritten_text_is_read_again_through_the_blob_api(
    github: FakeGitHub, action: Action
) -> None:
    # A proxy that changes the index's text in the answer, but not its oid: the text does not
    # hash to the oid, so it is not believed, and the blob the oid names is read instead.
    github.put_file(REGISTRY, "registry.json", EMPTY)
    evil = {"id": "evil", "name": "Evil", "version": "9.9.9", "manifestUrl": "https://e.example/x"}
    text = json.dumps({**json.loads(EMPTY), "plugins": [evil]})
    index = {"oid": blob_sha(EMPTY), "object": {"text": text, "isTruncated": False}}
    target = {"oid": github.head(REGISTRY), "f0": index, "f1": None, "folder": None}
    ref = {"name": "main", "prefix": "refs/heads/", "target": target}
    body = json.dumps({"data": {"repository": {"nameWithOwner": REGISTRY, "ref": ref}}})
    github.inject(method="POST", path_regex=GRAPHQL, fault=faults.answer(200, body), times=1)
    run = action.run({"version": "1.2.3", "registry-branch": "main"})
    assert run.status == 0, run.stdout + run.stderr
    assert github.fired and any(
        r.path.endswith(f"/git/blobs/{blob_sha(EMPTY)}") for r in github.requests
    )
    listed = json.loads(github.get_file(REGISTRY, "registry.json") or b"")
    assert [entry["id"] for entry in listed["plugins"]] == ["calendar2"]
