"""The commit that last changed each of many files, through GraphQL's ``Commit.history``.

Part of the GitHub store (store/github): contents.py calls it for ``last_commits``; history.py
is the other reading of history, a file's revisions. ``history(first: 1, path: ...)`` of a
commit is the newest commit, from that one back, that changed the path
(https://docs.github.com/en/graphql/reference/objects#commit: "The linear commit history
starting from (and including) this commit, in the same order as git log"; ``path``: "If
non-null, filters history to only show commits touching files under this path"). One query
asks for many paths, each under an alias, from one commit; a query GitHub stops after 10 s
(502 or 504) is asked again in halves, down to single paths, as texts.py does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from github.Requester import Requester

from registry_action.errors import GitHubError
from registry_action.store.github.texts import post_query

# A history lookup walks commits until it meets one that changed the path: far fewer lookups
# than blob texts fit in GitHub's 10 s.
PATHS_PER_QUERY = 50

Call = Callable[[str, Callable[[], Any]], Any]


def query_for(count: int) -> str:
    """A query for ``count`` paths' newest commit: ``h{i}`` takes the path in ``p{i}``."""
    declared = "".join(f", $p{i}: String!" for i in range(count))
    fields = "".join(
        f"\n        h{i}: history(first: 1, path: $p{i}) {{ nodes {{ oid }} }}"
        for i in range(count)
    )
    return (
        f"query($owner: String!, $name: String!, $ref: String!{declared}) {{\n"
        "  repository(owner: $owner, name: $name) {\n"
        f"    object(expression: $ref) {{\n      ... on Commit {{{fields}\n      }}\n    }}\n"
        "  }\n}\n"
    )


def last_commits(
    requester: Requester, repository: str, ref: str, paths: Sequence[str], call: Call
) -> dict[str, str | None]:
    """The newest commit from ``ref`` (a commit sha or a branch) that changed each path."""
    found: dict[str, str | None] = dict.fromkeys(paths)
    pending = [list(paths[i : i + PATHS_PER_QUERY]) for i in range(0, len(paths), PATHS_PER_QUERY)]
    while pending:
        batch = pending.pop()
        answer = call(
            "read the history of the manifests",
            partial(_ask, requester, repository, ref, batch),
        )
        if answer is None:  # stopped after 10 s: ask for less
            if len(batch) == 1:
                raise GitHubError(
                    f"GitHub's GraphQL API could not find the last commit of {batch[0]} in "
                    f"{repository} within its 10 s limit"
                )
            half = (len(batch) + 1) // 2
            pending += [batch[:half], batch[half:]]
            continue
        found.update(answer)
    return found


def _ask(
    requester: Requester, repository: str, ref: str, batch: list[str]
) -> dict[str, str | None] | None:
    owner, _, name = repository.partition("/")
    variables = {"owner": owner, "name": name, "ref": ref}
    variables.update({f"p{i}": path for i, path in enumerate(batch)})
    body = {"query": query_for(len(batch)), "variables": variables}
    data = post_query(requester, body)
    return None if data is None else _commits(repository, ref, batch, data)


def _commits(
    repository: str, ref: str, batch: list[str], data: dict[str, Any]
) -> dict[str, str | None]:
    commit = ((data.get("data") or {}).get("repository") or {}).get("object")
    if not isinstance(commit, dict):
        said = "; ".join(
            " ".join(str(e.get("message") or "").split())
            for e in data.get("errors") or []
            if isinstance(e, dict)
        )
        raise GitHubError(
            f"could not read the history of the manifests of {repository} at {ref}: GitHub's "
            f"GraphQL API answered {said or 'no commit'}"
        )
    found: dict[str, str | None] = {}
    for i, path in enumerate(batch):
        nodes = (commit.get(f"h{i}") or {}).get("nodes") or []
        oid = nodes[0].get("oid") if nodes and isinstance(nodes[0], dict) else None
        found[path] = oid if isinstance(oid, str) else None
    return found
