"""Whole-tree reads (Git Trees API, tarballs) and renamed repositories' redirects."""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from .core import Api, ApiRequest, ApiResponse, not_found
from .gitobjects import tree_sha
from .model import Repo
from .selections import DocumentError, operation

TREES_DOC = "git/trees#get-a-tree"
MOVED_DOC = "https://docs.github.com/v3/#http-redirects"
_REPO_PATH = re.compile(r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)(?P<rest>/.*)?")
_ID_PATH = re.compile(r"/repositories/(?P<id>\d+)(?P<rest>/.*)?")


def snapshot(api: Api, repo: Repo, sha: str) -> tuple[Mapping[str, str], str] | None:
    """The files of a commit and the folder whose tree is ``sha`` (or a ref's root tree)."""
    commit = repo.resolve(sha)
    if commit is not None:
        return commit.files, ""
    known = api.state.trees.get(sha)
    if known is not None:
        return known
    for head in list(repo.branches):
        files = repo.head(head).files
        for folder in _folders(files, ""):
            api.state.trees[tree_sha(files, folder)] = (files, folder)
    return api.state.trees.get(sha)


def _folders(files: Mapping[str, str], under: str) -> set[str]:
    prefix = f"{under}/" if under else ""
    found = {under}
    for path in files:
        if path.startswith(prefix):
            parts = path.split("/")
            found.update("/".join(parts[:i]) for i in range(1, len(parts)))
    return {f for f in found if f == under or f.startswith(prefix)}


def tree_entries(
    api: Api, repo: Repo, files: Mapping[str, str], folder: str, recursive: bool
) -> list[dict[str, Any]]:
    prefix = f"{folder}/" if folder else ""
    blobs: list[dict[str, Any]] = []
    subtrees: set[str] = set()
    for path in files:
        if not path.startswith(prefix):
            continue
        relative = path[len(prefix) :]
        parts = relative.split("/")
        if recursive:
            subtrees.update("/".join(parts[:i]) for i in range(1, len(parts)))
        elif len(parts) > 1:
            subtrees.add(parts[0])
        if recursive or len(parts) == 1:
            sha = files[path]
            blobs.append(
                {"path": relative, "mode": "100644", "type": "blob", "sha": sha,
                 "size": len(repo.blobs[sha]), "url": f"{api.repo_url(repo)}/git/blobs/{sha}"}
            )  # fmt: skip
    trees = []
    for relative in subtrees:
        sha = tree_sha(files, prefix + relative)
        api.state.trees[sha] = (files, prefix + relative)
        trees.append(
            {"path": relative, "mode": "040000", "type": "tree", "sha": sha,
             "url": f"{api.repo_url(repo)}/git/trees/{sha}"}
        )  # fmt: skip
    return sorted(blobs + trees, key=lambda entry: str(entry["path"]))


def get_tree(api: Api, req: ApiRequest, owner: str, name: str, sha: str) -> ApiResponse:
    """Get a tree.

    https://docs.github.com/en/rest/git/trees#get-a-tree

    ``tree_sha`` is a tree sha or a ref name. With ``recursive`` the whole tree below, cut at
    ``state.tree_limit`` entries or ``state.tree_bytes`` bytes of entries, whichever comes
    first (GitHub: "100,000 entries with a maximum size of 7 MB when using the recursive
    parameter"), and then ``truncated: true``; "If you need to fetch more items, use the
    non-recursive method of fetching trees, and fetch one sub-tree at a time." 404 for an
    unknown sha or ref.
    """
    repo = api.repo(req, owner, name)
    found = snapshot(api, repo, sha)
    if found is None:
        raise not_found(TREES_DOC)
    files, folder = found
    recursive = req.query.get("recursive", "") not in ("", "0", "false")
    entries = tree_entries(api, repo, files, folder, recursive)
    shown = _cut(entries, api.state.tree_limit, api.state.tree_bytes) if recursive else entries
    own = tree_sha(files, folder)
    return ApiResponse.json(
        200,
        {
            "sha": own,
            "url": f"{api.repo_url(repo)}/git/trees/{own}",
            "tree": shown,
            "truncated": len(shown) < len(entries),
        },
    )


def _cut(entries: list[dict[str, Any]], count: int, size: int) -> list[dict[str, Any]]:
    """The first entries that fit ``count`` entries and ``size`` bytes, as the fake sends them."""
    used = 0
    for index, entry in enumerate(entries[:count]):
        used += len(json.dumps(entry, ensure_ascii=False).encode()) + 2  # and ", "
        if used > size:
            return entries[:index]
    return entries[:count]


def moved(api: Api, req: ApiRequest) -> ApiResponse | None:
    """The redirect GitHub answers for a renamed or transferred repository, if this is one.

    Recorded in @octokit/fixtures, scenarios/api.github.com/rename-repository: a GET of the old
    name is 301, a PATCH 307, each to ``/repositories/{id}`` with ``{"message": "Moved
    Permanently", "url": ..., "documentation_url": "https://docs.github.com/v3/#http-redirects"}``.
    The rest of the path and the query follow the repository's id in the Location.
    """
    match = _REPO_PATH.fullmatch(req.path)
    if match is None:
        return None
    old = f"{match['owner']}/{match['name']}".lower()
    if old in api.state.repos or old not in api.state.moved:
        return None
    location = f"{api.api_base}/repositories/{api.state.moved[old]}{match['rest'] or ''}"
    if req.query:
        location += "?" + urlencode(req.query)
    status = 301 if req.method in ("GET", "HEAD") else 307
    body = {"message": "Moved Permanently", "url": location, "documentation_url": MOVED_DOC}
    return ApiResponse(status, json.dumps(body).encode(), {"location": location})


def by_id(api: Api, req: ApiRequest) -> ApiRequest | None:
    """``/repositories/{id}/...`` as the ``/repos/{owner}/{name}/...`` request it stands for."""
    match = _ID_PATH.fullmatch(req.path)
    if match is None:
        return None
    for repo in api.state.repos.values():
        if str(repo.id) == match["id"]:
            req.path = f"/repos/{repo.full_name}{match['rest'] or ''}"
            return req
    return None


def vanish(api: Api, req: ApiRequest) -> None:
    """Commit the removal of the contents path ``req`` names (or the paths each
    ``createCommitOnBranch`` of a mutation deletes), as another writer would."""
    if req.path.endswith("/graphql"):
        _vanish_deletions(api, req)
        return
    match = re.fullmatch(r"/repos/([^/]+/[^/]+)/contents/(.+)", req.path)
    repo = api.state.repo(match[1]) if match else None
    if match is None or repo is None:
        return
    branch = (req.json().get("branch") if req.body else None) or req.query.get("ref")
    name = branch or repo.default_branch
    if name in repo.branches and match[2] in repo.head(name).files:
        repo.commit(name, {match[2]: None}, f"Remove {match[2]}")


def _vanish_deletions(api: Api, req: ApiRequest) -> None:
    body = req.json()
    query, variables = body.get("query"), body.get("variables") or {}
    try:
        _, fields = operation(query if isinstance(query, str) else "")
    except DocumentError:
        return
    for field in fields:
        given = field.argument("input", variables) if field.name == "createCommitOnBranch" else 0
        if isinstance(given, dict):
            _vanish_commit_deletions(api, given)


def _vanish_commit_deletions(api: Api, given: dict[str, Any]) -> None:
    branch = given.get("branch") or {}
    repo = api.state.repo(str(branch.get("repositoryNameWithOwner")))
    name = str(branch.get("branchName"))
    if repo is None or name not in repo.branches:
        return
    files = repo.head(name).files
    gone = [d["path"] for d in (given.get("fileChanges") or {}).get("deletions") or []]
    present = {path: None for path in gone if path in files}
    if present:
        repo.commit(name, present, "Remove " + ", ".join(present))


def get_tarball(api: Api, req: ApiRequest, owner: str, name: str, ref: str) -> ApiResponse:
    """Download a repository archive (tar).

    https://docs.github.com/en/rest/repos/contents#download-a-repository-archive-tar: 302 to a
    codeload URL (recorded in @octokit/fixtures, scenario get-archive: ``Location:
    https://codeload.github.com/{owner}/{repo}/legacy.tar.gz/refs/heads/{ref}``). Here codeload
    is the fake's ``/_codeload/`` at the web root.
    """
    repo = api.repo(req, owner, name)
    commit = repo.resolve(ref)
    if commit is None:
        raise not_found("repos/contents#download-a-repository-archive-tar")
    location = f"{api.web_base}/_codeload/{repo.full_name}/legacy.tar.gz/{commit.sha}"
    return ApiResponse(302, b"", {"location": location, "content-type": "text/html"})


def codeload(api: Api, req: ApiRequest) -> ApiResponse | None:
    """The archive a tarball redirect points at: one top folder ``{owner}-{repo}-{sha7}/``
    (as in the get-archive recording), gzip-compressed."""
    match = re.fullmatch(r"/_codeload/([^/]+)/([^/]+)/legacy\.tar\.gz/([0-9a-f]{40})", req.path)
    repo = api.state.repo(f"{match[1]}/{match[2]}") if match else None
    commit = repo.commits.get(match[3]) if repo and match else None
    if repo is None or commit is None:
        return None
    top = f"{repo.owner}-{repo.name}-{commit.sha[:7]}"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as archive:
        for path, sha in sorted(commit.files.items()):
            data = repo.blobs[sha]
            info = tarfile.TarInfo(f"{top}/{path}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return ApiResponse(200, buffer.getvalue(), {"content-type": "application/x-gzip"})
