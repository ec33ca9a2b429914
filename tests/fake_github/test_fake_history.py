"""The fake's list-commits paging and GraphQL's blobs by revision expression, as GitHub documents
them: what the store's history reads."""

from __future__ import annotations

import requests

from fake_github import FakeGitHub
from harness import REGISTRY, WRITE_TOKEN

AUTH = {"Authorization": f"token {WRITE_TOKEN}"}
PATH = "plugins/calendar.json"


def commits_page(fake: FakeGitHub, **query: str) -> requests.Response:
    url = f"{fake.api_url}/repos/{REGISTRY}/commits"
    return requests.get(url, params={"path": PATH, **query}, headers=AUTH, timeout=30)


def test_list_commits_pages_by_path_with_a_link_header(fake: FakeGitHub) -> None:
    shas = [fake.put_file(REGISTRY, PATH, f'{{"n": {n}}}\n') for n in range(5)]
    fake.put_file(REGISTRY, "other.json", "{}\n")  # not this path's: never listed
    base = f"{fake.api_url}/repos/{REGISTRY}/commits"

    first = commits_page(fake, per_page="2")
    middle = commits_page(fake, per_page="2", page="2")
    last = commits_page(fake, per_page="2", page="3")
    whole = commits_page(fake, per_page="100")

    assert [c["sha"] for c in first.json()] == shas[::-1][:2]
    assert [c["sha"] for c in middle.json()] == shas[::-1][2:4]
    assert [c["sha"] for c in last.json()] == shas[:1]
    assert first.headers["link"] == (
        f'<{base}?path=plugins%2Fcalendar.json&per_page=2&page=2>; rel="next", '
        f'<{base}?path=plugins%2Fcalendar.json&per_page=2&page=3>; rel="last"'
    )
    assert 'rel="next"' in middle.headers["link"] and 'rel="prev"' in middle.headers["link"]
    assert 'rel="next"' not in last.headers["link"]
    # One page holds everything: GitHub sends no Link header at all.
    assert "link" not in whole.headers
    assert [c["sha"] for c in whole.json()] == shas[::-1]


def test_per_page_stops_at_100(fake: FakeGitHub) -> None:
    for n in range(101):
        fake.put_file(REGISTRY, PATH, f'{{"n": {n}}}\n')
    assert len(commits_page(fake, per_page="500").json()) == 100


def graphql(fake: FakeGitHub, expressions: list[str]) -> dict[str, object]:
    from registry_action.store.github.history import query_for

    variables = {"owner": "org", "name": "plugin-registry"}
    variables |= {f"e{i}": e for i, e in enumerate(expressions)}
    body = {"query": query_for(len(expressions)), "variables": variables}
    answer = requests.post(f"{fake.api_url}/graphql", json=body, headers=AUTH, timeout=30)
    assert answer.status_code == 200
    found: dict[str, object] = answer.json()["data"]["repository"]
    return found


def test_graphql_gives_the_blob_a_revision_expression_names(fake: FakeGitHub) -> None:
    first = fake.put_file(REGISTRY, PATH, '{"n": 1}\n')
    second = fake.put_file(REGISTRY, PATH, '{"n": 2}\n')
    gone = fake.remove_file(REGISTRY, PATH)

    found = graphql(fake, [f"{first}:{PATH}", f"{second}:{PATH}", f"{gone}:{PATH}", "main:x"])

    assert found["f0"] == {
        "oid": "19ba8a5d21ce3901a05f9f51cc15a4952588dce0",
        "byteSize": 9,
        "isBinary": False,
        "isTruncated": False,
        "text": '{"n": 1}\n',
    }
    assert isinstance(found["f1"], dict) and found["f1"]["text"] == '{"n": 2}\n'
    # A file the commit does not have resolves to null, as any object GitHub cannot find.
    assert found["f2"] is None
    assert found["f3"] is None
