"""A branch's head, some files and a folder's listing, all as of one commit, in one GraphQL query.

Part of the GitHub store (store/github): contents.py answers ``RegistryStore.snapshot`` with it.
``Repository.ref`` gives the branch's head commit, and that commit's ``file(path:)`` the tree
entry at each path (https://docs.github.com/en/graphql/reference/objects#commit): the files'
texts and the folder's entries come from the commit whose ``oid`` is returned, so they agree
with each other, where separate REST reads of a branch may each see another moment. The same
query lists the registrations parked beside the branch (parking.py) and the repository's node
id, which the mutations that park and unpark name it by.

A text GraphQL cut (``isTruncated``, past 512,000 bytes), or one that does not hash to its
entry's ``oid``, is read through the blob API. A query GitHub stopped (502/504) is answered
with None, for the caller to read the same files through REST.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from github.Requester import Requester

from registry_action.core.documents import manifest_path
from registry_action.errors import GitHubError
from registry_action.store.github.parking import LISTED, parked_prefix
from registry_action.store.github.texts import named_errors, post_query, verified_text
from registry_action.store.interface import Snapshot, StoredFile

Call = Callable[[str, Callable[[], Any]], Any]
Blob = Callable[[str, str], bytes]  # (path, sha) -> content, through the blob API


class Moved(Exception):
    """GitHub's GraphQL API did not find the repository under the name asked for, or found it
    under another: it may have been renamed, so the store looks it up again."""


def snapshot_query(count: int, histories: int = 0) -> str:
    """The query for the head of ``$ref``, ``count`` files (``f{i}`` at ``$p{i}``), the
    entries of the folder at ``$folder``, and the last commit that changed each of
    ``histories`` paths (``h{i}`` at ``$h{i}``)."""
    declared = "".join(f", $p{i}: String!" for i in range(count))
    declared += "".join(f", $h{i}: String!" for i in range(histories))
    text = "object { ... on Blob { text isTruncated } }"
    files = "".join(f"\n          f{i}: file(path: $p{i}) {{ oid {text} }}" for i in range(count))
    files += "".join(
        f"\n          h{i}: history(first: 1, path: $h{i}) {{ nodes {{ oid }} }}"
        for i in range(histories)
    )
    return (
        "query($owner: String!, $name: String!, $ref: String!, $folder: String!, "
        f"$parked: String!{declared}) {{\n"
        "  repository(owner: $owner, name: $name) {\n"
        "    nameWithOwner\n"
        "    id\n"
        f"    parked: refs(refPrefix: $parked, first: {LISTED}) {{\n"
        "      totalCount nodes { name target { oid } }\n"
        "    }\n"
        "    ref(qualifiedName: $ref) {\n"
        "      target {\n"
        "        oid\n"
        f"        ... on Commit {{{files}\n"
        "          folder: file(path: $folder) {\n"
        "            type\n"
        "            object { ... on Tree { entries { name oid type size } } }\n"
        "          }\n"
        "        }\n"
        "      }\n"
        "    }\n"
        "  }\n"
        "}\n"
    )


def read_snapshot(
    requester: Requester,
    call: Call,
    where: tuple[str, str],
    asked: tuple[Sequence[str], str, Sequence[str]],
    blob: Blob,
) -> tuple[Snapshot, str | None] | None:
    """The snapshot of branch ``where[1]`` of repository ``where[0]``: files ``asked[0]``,
    folder ``asked[1]`` and the last commits of ``asked[2]``, with the repository's node id;
    None when GitHub stopped the query. Raises Moved, or the branch's absence as GitHub's REST
    API words it (for the store to translate)."""
    (repository, branch), (paths, folder, histories) = where, asked
    owner, _, name = repository.partition("/")
    variables = {"owner": owner, "name": name, "ref": f"refs/heads/{branch}", "folder": folder}
    variables["parked"] = parked_prefix(branch)
    variables.update({f"p{i}": path for i, path in enumerate(paths)})
    variables.update({f"h{i}": path for i, path in enumerate(histories)})
    body = {"query": snapshot_query(len(paths), len(histories)), "variables": variables}
    data = call(f"read {' and '.join(paths) or folder}", lambda: post_query(requester, body))
    if data is None:
        return None
    target = _target(data, repository, branch)
    files = {path: _file(target.get(f"f{i}"), path, blob) for i, path in enumerate(paths)}
    found = data["data"]["repository"]
    node_id = found.get("id")
    parked, listed_all = _parked(found)
    last = {path: _newest(target.get(f"h{i}")) for i, path in enumerate(histories)}
    snapshot = Snapshot(
        str(target["oid"]), files, _entries(target.get("folder"), folder), parked, listed_all, last
    )
    return snapshot, node_id if isinstance(node_id, str) else None


def _newest(history: object) -> str | None:
    """The oid of the one commit of a ``history(first: 1)`` connection (None: none)."""
    nodes = history.get("nodes") if isinstance(history, dict) else None
    oid = nodes[0].get("oid") if isinstance(nodes, list) and nodes else None
    return oid if isinstance(oid, str) else None


def _parked(repository: dict[str, Any]) -> tuple[dict[str, str], bool]:
    """The parked registrations' commits by manifest path (branch names that are a plugin id),
    and whether that is all of them (a listing holds at most LISTED)."""
    listing = repository.get("parked") or {}
    nodes = listing.get("nodes") or []
    total = listing.get("totalCount")
    listed_all = not isinstance(total, int) or total <= len(nodes)
    found = {}
    for node in nodes:
        if not isinstance(node, dict) or not isinstance(node.get("target"), dict):
            continue
        name, oid = node.get("name"), node["target"].get("oid")
        if isinstance(name, str) and isinstance(oid, str) and "/" not in name:
            found[manifest_path(name)] = oid
    return found, listed_all


def _target(data: dict[str, Any], repository: str, branch: str) -> dict[str, Any]:
    """The branch's head commit in an answer; Moved, or an error, when there is none."""
    errors = [e for e in data.get("errors") or [] if isinstance(e, dict)]
    found = (data.get("data") or {}).get("repository")
    if not isinstance(found, dict):
        if any(e.get("type") == "NOT_FOUND" for e in errors):
            raise Moved(repository)
        raise GitHubError(
            f"could not read {repository}: GitHub's GraphQL API answered "
            f"{named_errors(errors) or 'no repository'}"
        )
    if str(found.get("nameWithOwner") or "").casefold() != repository.casefold():
        raise Moved(repository)
    ref = found.get("ref")
    if not isinstance(ref, dict):
        raise MissingBranch(branch)
    target = ref.get("target")
    if not isinstance(target, dict) or not isinstance(target.get("oid"), str):
        raise GitHubError(f"GitHub gave no commit for {branch} in {repository}")
    return target


class MissingBranch(Exception):
    """``Repository.ref`` is null: the branch does not exist."""

    def __init__(self, branch: str) -> None:
        super().__init__(f"No commit found for the ref {branch}")


def _file(entry: object, path: str, blob: Blob) -> StoredFile | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("oid"), str):
        return None
    sha = entry["oid"]
    node = entry.get("object")
    if isinstance(node, dict) and "text" not in node:
        raise GitHubError(f"{path} is a folder, not a file")
    content = verified_text(node, sha) if isinstance(node, dict) else None
    return StoredFile(path, blob(path, sha) if content is None else content, sha)


def _entries(entry: object, folder: str) -> dict[str, str]:
    if isinstance(entry, dict) and entry.get("type") not in (None, "tree"):
        raise GitHubError(f"{folder} is a file, not a folder")
    node = entry.get("object") if isinstance(entry, dict) else None
    listed = node.get("entries") if isinstance(node, dict) else None
    return {
        f"{folder}/{item['name']}": str(item["oid"])
        for item in listed or []
        if isinstance(item, dict) and item.get("type") == "blob"
    }
