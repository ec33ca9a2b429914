"""The fake's refs over GraphQL: createRef and updateRefs beside createCommitOnBranch in one
request, the repository's node id and ``refs(refPrefix:)``, and ``<rev>^`` expressions."""

from __future__ import annotations

import base64
from typing import Any

import requests

from fake_github import FakeGitHub
from harness import READ_TOKEN, REGISTRY, WRITE_TOKEN

AUTH = {"Authorization": f"token {WRITE_TOKEN}"}
NO_REF = "0" * 40
PARK = """
mutation($ref: CreateRefInput!, $commit: CreateCommitOnBranchInput!) {
  createRef(input: $ref) { ref { name } }
  createCommitOnBranch(input: $commit) { commit { oid } }
}
"""
LISTING = """
query($owner: String!, $name: String!, $prefix: String!) {
  repository(owner: $owner, name: $name) {
    id
    parked: refs(refPrefix: $prefix, first: 2) { totalCount nodes { name target { oid } } }
  }
}
"""


def post(fake: FakeGitHub, query: str, variables: dict[str, Any], token: str = WRITE_TOKEN) -> Any:
    body = {"query": query, "variables": variables}
    headers = {"Authorization": f"token {token}"}
    answer = requests.post(f"{fake.api_url}/graphql", json=body, headers=headers, timeout=30)
    assert answer.status_code == 200
    return answer.json()


def node_id(fake: FakeGitHub) -> str:
    owner, _, name = REGISTRY.partition("/")
    found = post(fake, LISTING, {"owner": owner, "name": name, "prefix": "refs/heads/"})
    rest = requests.get(f"{fake.api_url}/repos/{REGISTRY}", headers=AUTH, timeout=30).json()
    assert found["data"]["repository"]["id"] == rest["node_id"]
    return str(rest["node_id"])


def park_variables(fake: FakeGitHub, branch: str, head: str, path: str) -> dict[str, Any]:
    return {
        "ref": {"repositoryId": node_id(fake), "name": f"refs/heads/{branch}", "oid": head},
        "commit": {
            "branch": {"repositoryNameWithOwner": REGISTRY, "branchName": branch},
            "expectedHeadOid": head,
            "message": {"headline": f"Park {path}"},
            "fileChanges": {
                "additions": [{"path": path, "contents": base64.b64encode(b"{}\n").decode()}]
            },
        },
    }


def unpark(count: int) -> str:
    declared = ", ".join(f"$u{i}: UpdateRefsInput!" for i in range(count))
    fields = "".join(
        f" u{i}: updateRefs(input: $u{i}) {{ clientMutationId }}" for i in range(count)
    )
    return f"mutation({declared}) {{{fields} }}"


def deletion(repository: str, *updates: tuple[str, str]) -> dict[str, Any]:
    """An UpdateRefsInput deleting each branch of ``updates`` if at its commit."""
    refs = [{"name": f"refs/heads/{b}", "beforeOid": at, "afterOid": NO_REF} for b, at in updates]
    return {"repositoryId": repository, "refUpdates": refs}


def test_a_branch_made_and_committed_to_in_one_request(fake: FakeGitHub) -> None:
    head = fake.head(REGISTRY)
    variables = park_variables(fake, "parked/a", head, "plugins/a.json")
    answer = post(fake, PARK, variables)
    assert "errors" not in answer
    made = answer["data"]["createCommitOnBranch"]["commit"]["oid"]
    assert answer["data"]["createRef"]["ref"]["name"] == "parked/a"
    assert fake.head(REGISTRY, "parked/a") == made
    assert fake.get_file(REGISTRY, "plugins/a.json", branch="parked/a") == b"{}\n"
    assert fake.get_file(REGISTRY, "plugins/a.json") is None  # main did not move
    assert fake.head(REGISTRY) == head
    assert [r.is_write for r in fake.requests[-1:]] == [True]  # one request, one write


def test_a_refused_create_ref_leaves_the_next_mutation_to_run(fake: FakeGitHub) -> None:
    head = fake.head(REGISTRY)
    assert "errors" not in post(fake, PARK, park_variables(fake, "parked/a", head, "a.json"))
    moved = fake.head(REGISTRY, "parked/a")
    # Again from main's head: the branch exists, and the commit runs all the same, refused on
    # its expectedHeadOid (the branch is at the parked commit).
    again = post(fake, PARK, park_variables(fake, "parked/a", head, "b.json"))
    assert again["data"] == {"createRef": None, "createCommitOnBranch": None}
    assert [(e["type"], e["path"]) for e in again["errors"]] == [
        ("UNPROCESSABLE", ["createRef"]),
        ("STALE_DATA", ["createCommitOnBranch"]),
    ]
    assert again["errors"][0]["message"] == "Reference already exists"
    assert fake.head(REGISTRY, "parked/a") == moved
    # At the branch's own head the second still commits though the first is refused.
    third = post(fake, PARK, park_variables(fake, "parked/a", moved, "c.json"))
    assert third["data"]["createRef"] is None
    assert third["data"]["createCommitOnBranch"]["commit"]["oid"] == fake.head(REGISTRY, "parked/a")
    assert fake.get_file(REGISTRY, "c.json", branch="parked/a") == b"{}\n"
    assert fake.requests[-1].refused  # an error in the answer marks the request


def test_create_ref_refuses_a_folder_clash_an_unknown_commit_and_a_reader(
    fake: FakeGitHub,
) -> None:
    head = fake.head(REGISTRY)
    query = "mutation($r: CreateRefInput!) { made: createRef(input: $r) { ref { name } } }"

    def create(name: str, oid: str = head, token: str = WRITE_TOKEN) -> Any:
        ref = {"repositoryId": node_id(fake), "name": name, "oid": oid}
        return post(fake, query, {"r": ref}, token)

    assert "errors" not in create("refs/heads/parked/a")
    refused = {
        "refs/heads/parked": "Reference update failed",  # a folder of parked/a
        "refs/heads/parked/a/b": "Reference update failed",  # inside the branch parked/a
        "heads/x": "Reference name is invalid",
        "refs/heads/a..b": "Reference name is invalid",
    }
    for name, message in refused.items():
        answer = create(name)
        assert answer["data"] == {"made": None}
        assert answer["errors"] == [{"type": "UNPROCESSABLE", "path": ["made"], "message": message}]
    assert create("refs/heads/y", "1" * 40)["errors"][0]["message"] == "Object does not exist"
    assert create("refs/heads/y", token=READ_TOKEN)["errors"][0]["type"] == "FORBIDDEN"
    gone = post(fake, query, {"r": {"repositoryId": "R_1", "name": "refs/heads/y", "oid": head}})
    assert gone["errors"][0]["type"] == "NOT_FOUND"
    assert fake.branches(REGISTRY) == ["main", "parked/a"]


def test_update_refs_deletes_only_a_branch_still_where_it_was_read(fake: FakeGitHub) -> None:
    repository = node_id(fake)
    old = fake.create_branch(REGISTRY, "parked/a")
    fake.create_branch(REGISTRY, "parked/b")
    new = fake.put_file(REGISTRY, "x.json", b"{}\n", branch="parked/a")
    stale = post(fake, unpark(1), {"u0": deletion(repository, ("parked/a", old))})
    assert stale["data"] == {"u0": None}
    assert stale["errors"] == [
        {
            "type": "UNPROCESSABLE",
            "path": ["u0"],
            "message": f"Expected refs/heads/parked/a to point to {old}, but it points to {new}",
        }
    ]
    assert "parked/a" in fake.branches(REGISTRY)
    # Two updates in one mutation: one refused, so neither applies (atomic).
    both = deletion(repository, ("parked/a", new), ("parked/b", new))
    assert post(fake, unpark(1), {"u0": both})["data"] == {"u0": None}
    assert fake.branches(REGISTRY) == ["main", "parked/a", "parked/b"]
    done = post(fake, unpark(1), {"u0": deletion(repository, ("parked/a", new))})
    assert done == {"data": {"u0": {"clientMutationId": None}}}
    assert fake.branches(REGISTRY) == ["main", "parked/b"]


def test_aliased_update_refs_are_each_their_own(fake: FakeGitHub) -> None:
    repository = node_id(fake)
    heads = {name: fake.create_branch(REGISTRY, name) for name in ("p/a", "p/b", "p/c")}
    variables = {
        "u0": deletion(repository, ("p/a", heads["p/a"])),
        "u1": deletion(repository, ("p/b", "1" * 40)),  # read elsewhere: kept
        "u2": deletion(repository, ("p/c", heads["p/c"])),
    }
    answer = post(fake, unpark(3), variables)
    assert answer["data"] == {
        "u0": {"clientMutationId": None},
        "u1": None,
        "u2": {"clientMutationId": None},
    }
    assert [e["path"] for e in answer["errors"]] == [["u1"]]
    assert fake.branches(REGISTRY) == ["main", "p/b"]


def test_update_refs_moves_fast_forward_only_and_never_a_protected_branch(
    fake: FakeGitHub,
) -> None:
    repository = node_id(fake)
    base = fake.create_branch(REGISTRY, "side")
    ahead = fake.put_file(REGISTRY, "y.json", b"{}\n", branch="side")
    query = "mutation($u: UpdateRefsInput!) { updateRefs(input: $u) { clientMutationId } }"

    def move(branch: str, to: str, *, force: bool = False) -> Any:
        update = {"name": f"refs/heads/{branch}", "afterOid": to, "force": force}
        return post(fake, query, {"u": {"repositoryId": repository, "refUpdates": [update]}})

    back = move("side", base)
    assert back["errors"][0]["message"] == "Update is not a fast forward"
    assert fake.head(REGISTRY, "side") == ahead
    assert "errors" not in move("side", base, force=True)
    assert fake.head(REGISTRY, "side") == base
    fake.protect_branch(REGISTRY, "main")
    assert move("main", ahead)["errors"][0]["message"].startswith("Repository rule violations")
    assert move("main", NO_REF)["errors"][0]["type"] == "UNPROCESSABLE"
    assert fake.head(REGISTRY) == base


def test_refs_lists_names_below_the_prefix_in_order_and_first_of_them(fake: FakeGitHub) -> None:
    heads = {name: fake.create_branch(REGISTRY, name) for name in ("p/main/c", "p/main/a", "p/x")}
    fake.create_branch(REGISTRY, "p/main/b")
    heads["p/main/b"] = fake.put_file(REGISTRY, "b.json", b"{}\n", branch="p/main/b")
    owner, _, name = REGISTRY.partition("/")
    found = post(fake, LISTING, {"owner": owner, "name": name, "prefix": "refs/heads/p/main/"})
    parked = found["data"]["repository"]["parked"]
    assert parked == {
        "totalCount": 3,
        "nodes": [
            {"name": "a", "target": {"oid": heads["p/main/a"]}},
            {"name": "b", "target": {"oid": heads["p/main/b"]}},
        ],
    }
    none = post(fake, LISTING, {"owner": owner, "name": name, "prefix": "refs/tags/"})
    assert none["data"]["repository"]["parked"] == {"totalCount": 0, "nodes": []}
    too_many = LISTING.replace("first: 2", "first: 101")
    past = post(fake, too_many, {"owner": owner, "name": name, "prefix": "refs/heads/"})
    assert past["data"]["repository"]["parked"] is None
    assert past["errors"][0]["type"] == "EXCESSIVE_PAGINATION"


def test_refs_and_id_come_with_the_ref_query(fake: FakeGitHub) -> None:
    fake.create_branch(REGISTRY, "p/a")
    query = """
    query($owner: String!, $name: String!, $ref: String!, $parked: String!) {
      repository(owner: $owner, name: $name) {
        nameWithOwner
        id
        parked: refs(refPrefix: $parked, first: 100) { nodes { name target { oid } } }
        ref(qualifiedName: $ref) { target { oid } }
      }
    }
    """
    owner, _, name = REGISTRY.partition("/")
    variables = {"owner": owner, "name": name, "ref": "refs/heads/main", "parked": "refs/heads/p/"}
    repository = post(fake, query, variables)["data"]["repository"]
    assert repository["id"] == node_id(fake)
    assert repository["parked"] == {
        "nodes": [{"name": "a", "target": {"oid": fake.head(REGISTRY)}}]
    }
    assert repository["ref"]["target"]["oid"] == fake.head(REGISTRY)


def test_a_parent_expression_reads_the_blob_before_the_commit(fake: FakeGitHub) -> None:
    first = fake.put_file(REGISTRY, "plugins/a.json", b"1\n")
    second = fake.put_file(REGISTRY, "plugins/a.json", b"2\n")
    root = fake.commits(REGISTRY)[0].sha
    query = """
    query($owner: String!, $name: String!, $e0: String!, $e1: String!, $e2: String!,
          $e3: String!) {
      repository(owner: $owner, name: $name) {
        f0: object(expression: $e0) { ... on Blob { oid text isTruncated } }
        f1: object(expression: $e1) { ... on Blob { oid text isTruncated } }
        f2: object(expression: $e2) { ... on Blob { oid text isTruncated } }
        f3: object(expression: $e3) { ... on Blob { oid text isTruncated } }
      }
    }
    """
    owner, _, name = REGISTRY.partition("/")
    variables = {
        "owner": owner,
        "name": name,
        "e0": f"{second}^:plugins/a.json",
        "e1": "main^:plugins/a.json",
        "e2": f"{first}^:plugins/a.json",  # the commit before the file
        "e3": f"{root}^:plugins/a.json",  # the root commit has no parent
    }
    found = post(fake, query, variables)["data"]["repository"]
    assert found["f0"]["text"] == "1\n"
    assert found["f1"]["text"] == "1\n"
    assert found["f2"] is None
    assert found["f3"] is None
