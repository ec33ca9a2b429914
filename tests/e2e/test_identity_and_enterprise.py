"""Who the commits are by, and GitHub Enterprise Server under its /api/v3 prefix."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from fake_github import FakeGitHub
from harness import REGISTRY, WRITE_TOKEN, Action

COMMITTER = {"committer-name": "Registry Bot", "committer-email": "registry@example.com"}
# GitHub Enterprise Server's raw files with subdomain isolation, the default ("Enabling
# subdomain isolation" in the GHES admin docs); without it, https://HOSTNAME/raw/OWNER/REPO/REF.
GHE_RAW = "https://raw.ghe.example.com/org/plugin-registry/main"


def test_commits_carry_no_committer_by_default_so_github_signs_them(
    github: FakeGitHub, action: Action
) -> None:
    run = action.run({"version": "1.2.3"})
    assert run.status == 0, run.stdout + run.stderr
    made = github.commits(REGISTRY)[1:]
    assert [c.paths for c in made] == [("plugins/calendar2.json",), ("registry.json",)]
    assert all(c.committer is None and c.author is None and c.verified for c in made)
    assert all(b"committer" not in r.body and b"author" not in r.body for r in github.writes)


def test_committer_inputs_set_the_committer_of_every_commit(
    github: FakeGitHub, action: Action
) -> None:
    run = action.run({"version": "1.2.3", **COMMITTER})
    assert run.status == 0, run.stdout + run.stderr
    made = github.commits(REGISTRY)[1:]
    assert len(made) == 2
    for commit in made:
        assert commit.committer == {"name": "Registry Bot", "email": "registry@example.com"}
        assert not commit.verified


def test_committer_inputs_apply_to_pull_request_commits(github: FakeGitHub, action: Action) -> None:
    run = action.run({"version": "1.2.3", "pull-request": "true", **COMMITTER})
    assert run.status == 0, run.stdout + run.stderr
    head = github.commits(REGISTRY, branch="registry/calendar2")[-1]
    assert head.committer == {"name": "Registry Bot", "email": "registry@example.com"}
    assert not head.verified


@pytest.mark.parametrize(("given", "missing"), [("name", "email"), ("email", "name")])
def test_half_a_committer_is_refused_before_any_request(
    github: FakeGitHub, action: Action, given: str, missing: str
) -> None:
    run = action.run({"version": "1.2.3", f"committer-{given}": COMMITTER[f"committer-{given}"]})
    assert run.status == 1
    assert run.errors == [
        f"::error title=Invalid input::input `committer-{given}` is set but "
        f"`committer-{missing}` is not: set both to choose the committer (which makes the "
        "commits unverified), or neither"
    ]
    assert github.requests == []


@pytest.fixture
def enterprise() -> Iterator[FakeGitHub]:
    """A GitHub Enterprise Server: the REST API under /api/v3."""
    with FakeGitHub(prefix="/api/v3") as fake:
        fake.add_repo(REGISTRY, default_branch="main")
        fake.add_token(WRITE_TOKEN, permission="write")
        yield fake


def on_enterprise(action: Action, enterprise: FakeGitHub, inputs: dict[str, str]) -> dict[str, str]:
    """Inputs and runner variables as a workflow on the Enterprise server gives them."""
    action.env.update(
        GITHUB_SERVER_URL="https://ghe.example.com",
        GITHUB_API_URL=enterprise.api_url,  # what the runner sets there: {server}/api/v3
    )
    return {"api-url": "", **inputs}


def test_enterprise_server_api_prefix_and_raw_urls(
    github: FakeGitHub, action: Action, enterprise: FakeGitHub
) -> None:
    run = action.run(on_enterprise(action, enterprise, {"version": "1.2.3"}))
    assert run.status == 0, run.stdout + run.stderr
    assert enterprise.api_url.endswith("/api/v3")
    assert enterprise.requests, "no request reached the Enterprise server"
    prefix = "/api/v3/repos/org/plugin-registry"
    # REST under /api/v3, GraphQL (the registry's snapshot) at /api/graphql.
    assert {r.target for r in enterprise.requests if not r.target.startswith(prefix)} == {
        "/api/graphql"
    }
    assert github.requests == []  # nothing went to the default API
    assert run.outputs["manifest-url"] == f"{GHE_RAW}/plugins/calendar2.json"
    assert run.outputs["registry-url"] == f"{GHE_RAW}/registry.json"
    manifest = json.loads(enterprise.get_file(REGISTRY, "plugins/calendar2.json") or b"{}")
    assert manifest["manifestUrl"] == f"{GHE_RAW}/plugins/calendar2.json"
    registry = json.loads(enterprise.get_file(REGISTRY, "registry.json") or b"{}")
    assert [p["manifestUrl"] for p in registry["plugins"]] == [f"{GHE_RAW}/plugins/calendar2.json"]


def test_enterprise_server_with_the_api_url_input_and_pull_requests(
    github: FakeGitHub, action: Action, enterprise: FakeGitHub
) -> None:
    inputs = {"version": "1.2.3", "pull-request": "true", "api-url": enterprise.api_url}
    run = action.run(on_enterprise(action, enterprise, inputs))
    assert run.status == 0, run.stdout + run.stderr
    assert all(r.target.startswith("/api/v3/") for r in enterprise.requests)
    assert {r.path for r in enterprise.writes} == {
        "/repos/org/plugin-registry/git/refs",
        "/repos/org/plugin-registry/contents/plugins/calendar2.json",
        "/repos/org/plugin-registry/pulls",
    }
    assert run.outputs["pull-request-url"] == f"{enterprise.root_url}/org/plugin-registry/pull/1"
    assert run.outputs["manifest-url"] == f"{GHE_RAW}/plugins/calendar2.json"


def test_enterprise_server_without_subdomain_isolation_uses_the_raw_path(
    github: FakeGitHub, action: Action, enterprise: FakeGitHub
) -> None:
    inputs = {"version": "1.2.3", "subdomain-isolation": "false"}
    run = action.run(on_enterprise(action, enterprise, inputs))
    assert run.status == 0, run.stdout + run.stderr
    raw = "https://ghe.example.com/raw/org/plugin-registry/main"
    assert run.outputs["manifest-url"] == f"{raw}/plugins/calendar2.json"
    manifest = json.loads(enterprise.get_file(REGISTRY, "plugins/calendar2.json") or b"{}")
    assert manifest["manifestUrl"] == f"{raw}/plugins/calendar2.json"


def test_enterprise_server_reindex_reads_manifests_through_its_graphql_endpoint(
    github: FakeGitHub, action: Action, enterprise: FakeGitHub
) -> None:
    assert action.run(on_enterprise(action, enterprise, {"version": "1.2.3"})).status == 0
    empty = {"version": "1.0.0", "lastUpdated": "2024-01-20T12:00:00.000Z", "plugins": []}
    enterprise.put_file(REGISTRY, "registry.json", json.dumps(empty))
    enterprise.reset_log()
    run = action.run(on_enterprise(action, enterprise, {"command": "reindex"}))
    assert run.status == 0, run.stdout + run.stderr
    # GitHub Enterprise Server: REST under /api/v3, GraphQL at /api/graphql.
    assert "/api/graphql" in [r.target for r in enterprise.requests]
    registry = json.loads(enterprise.get_file(REGISTRY, "registry.json") or b"{}")
    assert [p["id"] for p in registry["plugins"]] == ["calendar2"]
