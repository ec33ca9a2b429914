"""Parked registrations: a manifest on a branch of its own, for one run to commit with others.

Part of the GitHub store (store/github): contents.py calls it for ``RegistryStore.park``,
``read_parked`` and ``unpark``. Racing registrations all need the one registry branch, where
GitHub refuses every write another commit overtook. A run overtaken there parks its manifest
instead: one GraphQL request whose first mutation, ``createRef``, makes the branch
``registry-parked/<registry branch>/<plugin id>`` at the head the run read, and whose second,
``createCommitOnBranch``, commits the manifest on it. Top-level mutation fields run one after
another, each seeing what the ones before it did (the GraphQL specification, "Mutation"), and
GitHub runs each whatever the others' outcome, so a refused ``createRef`` (the branch exists:
another run of this plugin parked) leaves the second to fail on its ``expectedHeadOid``.

A parked branch touches nothing the registry's readers see. The run first in line commits
every parked manifest with the index (engine/entries.py) and removes their branches with one
request of ``updateRefs`` mutations, each conditional on the commit it read (``beforeOid``), so
a branch parked again meanwhile is kept. ``updateRefs`` is atomic over its updates ("if one of
them is rejected, no other ref will be modified", GitHub's schema), so each branch has its own.

A parked manifest is read by revision expression: the file at the parked commit, and at its
parent (``<commit>^``), the registry as the run read it, so that the run committing it can
tell that nothing changed the file since; and the parked commit's message, whose trailer names
the workflow run that registered it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from github import GithubException
from github.Requester import Requester

from registry_action.core.documents import plugin_id_of
from registry_action.store.github.commits import commit_input
from registry_action.store.github.texts import post_query
from registry_action.store.interface import FileWrite

# The parked branches one snapshot lists (Repository.refs, at most 100 a page); more wait for
# the next fold.
LISTED = 100
# ``updateRefs``'s value for "no such ref": as ``afterOid`` it deletes one.
NO_REF = "0" * 40

PARK_MUTATION = """
mutation($ref: CreateRefInput!, $commit: CreateCommitOnBranchInput!) {
  createRef(input: $ref) { ref { name } }
  createCommitOnBranch(input: $commit) { commit { oid } }
}
"""

Send = Callable[[dict[str, Any]], dict[str, Any] | None]


def parked_prefix(branch: str) -> str:
    """The prefix of the branches registrations park on beside ``branch``."""
    return f"refs/heads/registry-parked/{branch}/"


def unpark_mutation(count: int) -> str:
    """``count`` ``updateRefs`` mutations, ``u{i}`` taking ``$u{i}``."""
    declared = ", ".join(f"$u{i}: UpdateRefsInput!" for i in range(count))
    fields = "".join(
        f"\n  u{i}: updateRefs(input: $u{i}) {{ clientMutationId }}" for i in range(count)
    )
    return f"mutation({declared}) {{{fields}\n}}\n"


def sender(requester: Requester) -> Send:
    """Sends one GraphQL document; None when GitHub's answer failed (a 5xx, or a 502/504 for a
    request it cut: whether the mutations ran is unknown). A rate limit answered with status
    200 is waited out first, as for any query."""

    def send(body: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return post_query(requester, body)
        except GithubException as exc:
            if exc.status >= 500:
                return None
            raise

    return send


def park(
    send: Send,
    where: tuple[str, str, str],
    write: FileWrite,
    head: str,
    message: str,
) -> tuple[str | None, str | None]:
    """Park ``write`` (its content at its path) on ``head``; ``where`` is the repository's
    name, node id and registry branch. Returns the parked commit (None: not parked) and the
    branch left behind with no commit on it (to remove), if any. A request whose answer
    failed is taken as not parked: if it did park, the manifest is committed by the run that
    folds it, or this run's own write finds it in place."""
    repository, node_id, branch = where
    name = parked_prefix(branch) + plugin_id_of(write.path)
    variables = {
        "ref": {"repositoryId": node_id, "name": name, "oid": head},
        "commit": commit_input(
            repository, name.removeprefix("refs/heads/"), head, [write], message
        ),
    }
    data = send({"query": PARK_MUTATION, "variables": variables})
    if data is None:
        return None, None
    answered = data.get("data") or {}
    made = (answered.get("createCommitOnBranch") or {}).get("commit") or {}
    oid = made.get("oid")
    created = answered.get("createRef") is not None
    if isinstance(oid, str) and created:
        return oid, None
    return None, name if created else None


def unpark(send: Send, node_id: str, refs: Mapping[str, str]) -> None:
    """Remove each branch of ``refs`` (commit by full name) still at that commit; one moved or
    gone meanwhile is left as it is, as is any a refusal keeps (the next fold tries again)."""
    names = sorted(refs)
    for start in range(0, len(names), LISTED):
        batch = names[start : start + LISTED]
        variables = {
            f"u{i}": {
                "repositoryId": node_id,
                "refUpdates": [{"name": name, "beforeOid": refs[name], "afterOid": NO_REF}],
            }
            for i, name in enumerate(batch)
        }
        send({"query": unpark_mutation(len(batch)), "variables": variables})


def messages_query(count: int) -> str:
    """A query for the messages of ``count`` commits: ``c{i}`` takes ``$c{i}``."""
    declared = "".join(f", $c{i}: GitObjectID!" for i in range(count))
    fields = "".join(
        f"\n    c{i}: object(oid: $c{i}) {{ ... on Commit {{ message }} }}" for i in range(count)
    )
    return (
        f"query($owner: String!, $name: String!{declared}) {{\n"
        f"  repository(owner: $owner, name: $name) {{{fields}\n  }}\n}}\n"
    )


def messages(send: Send, repository: str, commits: Sequence[str]) -> list[str]:
    """The message of each commit ("" where GitHub gave none), in one query."""
    owner, _, name = repository.partition("/")
    variables = {"owner": owner, "name": name}
    variables.update({f"c{i}": commit for i, commit in enumerate(commits)})
    data = send({"query": messages_query(len(commits)), "variables": variables}) or {}
    found = (data.get("data") or {}).get("repository") or {}
    said = [(found.get(f"c{i}") or {}).get("message") for i in range(len(commits))]
    return [text if isinstance(text, str) else "" for text in said]


def parked_ref(branch: str, path: str) -> str:
    """The full name of the branch the manifest at ``path`` parks on."""
    return parked_prefix(branch) + plugin_id_of(path)


def expressions(parked: Mapping[str, str]) -> Sequence[tuple[str, str]]:
    """For each parked manifest (commit by path): the file at the commit, and at its parent."""
    pairs: list[tuple[str, str]] = []
    for path, commit in parked.items():
        pairs += [(path, commit), (path, f"{commit}^")]
    return pairs
