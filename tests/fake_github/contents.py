"""Repository contents and git blobs: the endpoints the registry reads and writes through."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

from .core import Api, ApiError, ApiRequest, ApiResponse, not_found
from .faults import Fired
from .gitobjects import base64_lines, tree_sha
from .model import Repo, StaleEntry, directory_entries, is_directory

MAX_INLINE = 1024 * 1024
MAX_BLOB = 100 * 1024 * 1024
RAW_TYPE = "application/vnd.github.raw; charset=utf-8"
CONTENTS_DOC = "repos/contents#create-or-update-file-contents"


def _read_stale(
    api: Api, req: ApiRequest, repo: Repo, ref: str | None, path: str
) -> tuple[bool, str | None]:
    """Serve the previous version if a recent write left this path's reads behind."""
    branch = (ref or repo.default_branch).removeprefix("refs/").removeprefix("heads/")
    entry = api.state.stale.get((repo.full_name.lower(), branch, path))
    if entry is None or not entry.lagging(time.time()):
        return False, None
    entry.remaining = max(0, entry.remaining - 1)
    api.record_fired(Fired("stale_read", req.method, req.path, None, None, time.time()))
    return True, entry.previous


def _too_large() -> ApiError:
    return ApiError(
        403,
        "This API returns blobs up to 100 MB in size. The requested blob is too large to fetch "
        "via the API, but you can always clone the repository via Git to obtain it.",
        "repos/contents#get-repository-content",
        extra={"errors": [{"resource": "Blob", "field": "data", "code": "too_large"}]},
    )


def get_contents(api: Api, req: ApiRequest, owner: str, name: str, path: str = "") -> ApiResponse:
    """Get repository content.

    https://docs.github.com/en/rest/repos/contents#get-repository-content

    ``ref`` may be a branch or a commit sha (default: the default branch); an unknown ref is
    404 "No commit found for the ref X". A file is an object with its content in base64 lines
    of 60 characters. Files over 1 MB come with ``content: ""`` and ``encoding: "none"``; the raw
    media type (``application/vnd.github.raw+json``) returns the bytes of any file up to
    100 MB. A directory is an array of entries without content.
    """
    repo = api.repo(req, owner, name)
    path = path.strip("/")
    ref = req.query.get("ref") or None
    commit = repo.resolve(ref)
    if commit is None:
        raise ApiError(
            404, f"No commit found for the ref {ref}", "repos/contents#get-repository-content"
        )
    ref_name = ref or repo.default_branch
    stale, sha = _read_stale(api, req, repo, ref, path) if commit.sha != ref else (False, None)
    if not stale:
        sha = commit.files.get(path)
    if sha is None:
        if not stale and is_directory(commit.files, path):
            return ApiResponse.json(200, _listing(api, repo, commit.files, path, ref_name))
        raise not_found("repos/contents#get-repository-content")
    data = repo.blobs[sha]
    if len(data) > MAX_BLOB:
        raise _too_large()
    if req.wants_raw:
        return ApiResponse(200, data, {"content-type": RAW_TYPE})
    body: dict[str, Any] = api.file_json(repo, path, sha, ref_name)
    inline = len(data) <= MAX_INLINE
    body["encoding"] = "base64" if inline else "none"
    body["content"] = base64_lines(data) if inline else ""
    return ApiResponse.json(200, body)


def _listing(api: Api, repo: Repo, files: dict[str, str] | Any, path: str, ref: str) -> list[Any]:
    # https://docs.github.com/en/rest/repos/contents#get-repository-content (and the OpenAPI
    # description): "This API has an upper limit of 1,000 files for a directory. If you need to
    # retrieve more files, use the Git Trees API." The rest is left out without a word.
    out = []
    for _, child, kind in directory_entries(files, path)[: api.state.listing_limit]:
        if kind == "file":
            out.append(api.file_json(repo, child, files[child], ref))
        else:
            out.append(api.dir_json(repo, child, tree_sha(files, child), ref))
    return out


def _identity(body: dict[str, Any], key: str) -> dict[str, str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ApiError(
            422, f"Invalid request.\n\nFor 'properties/{key}', {value!r} is not an object."
        )
    for field in ("name", "email"):
        if not value.get(field):
            raise ApiError(422, f'Invalid request.\n\n"{field}" wasn\'t supplied.', CONTENTS_DOC)
    return {k: str(v) for k, v in value.items() if k in ("name", "email", "date")}


def _require(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if value is None:
        raise ApiError(422, f'Invalid request.\n\n"{field}" wasn\'t supplied.', CONTENTS_DOC)
    if not isinstance(value, str):
        raise ApiError(
            422, f"Invalid request.\n\nFor 'properties/{field}', {value!r} is not a string."
        )
    return value


def _check_write(api: Api, repo: Repo, branch: str, path: str, sha: str | None) -> str | None:
    """Check the optimistic-concurrency ``sha`` and branch rules; the current blob sha."""
    current = repo.head(branch).files.get(path)
    if current is not None:
        if not sha:
            raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.', CONTENTS_DOC)
        if sha != current:
            raise ApiError(409, f"{path} does not match {sha}", CONTENTS_DOC)
    if branch in repo.protected:
        raise ApiError(
            409,
            "Repository rule violations found\n\nChanges must be made through a pull request.\n\n",
            CONTENTS_DOC,
        )
    return current


def _check_head(repo: Repo, branch: str, req: ApiRequest) -> None:
    """409 ``is at X but expected Y`` when another commit moved the branch since this write
    arrived: GitHub builds each Contents API write on the head it saw and moves the branch only
    if it still points there. Its docs: PUT and DELETE "in parallel ... will conflict ... use
    these endpoints serially"; seen for writes of different files in PyGithub/PyGithub#1787,
    octokit/octokit.net#2365, octokit/octokit.js#1653 and
    integrations/terraform-provider-github#2909."""
    head = repo.head(branch).sha
    if req.seen_head is not None and head != req.seen_head:
        raise ApiError(409, f"is at {head} but expected {req.seen_head}", CONTENTS_DOC)


def _mark_stale(
    api: Api, req: ApiRequest, repo: Repo, branch: str, path: str, previous: str | None
) -> None:
    count = req.stale_reads if req.stale_reads is not None else api.state.stale_read_count
    seconds = api.state.stale_read_seconds
    key = (repo.full_name.lower(), branch, path)
    if count > 0 or seconds > 0:
        api.state.stale[key] = StaleEntry(previous, count, time.time() + seconds)
    else:
        api.state.stale.pop(key, None)


def put_contents(api: Api, req: ApiRequest, owner: str, name: str, path: str) -> ApiResponse:
    """Create or update file contents.

    https://docs.github.com/en/rest/repos/contents#create-or-update-file-contents

    201 on create, 200 on update, each a new commit that moves the branch head. Errors, with
    GitHub's texts: 422 ``Invalid request.\\n\\n"sha" wasn't supplied.`` when the file exists and
    no sha is given; 409 ``{path} does not match {sha}`` for a stale sha (both as measured
    against github.com, see pome-sh/digital-twins#400 and PyGithub/PyGithub#1815); 404
    ``Branch X not found``; 403 ``Resource not accessible by integration`` for a read-only
    token; 409 ``Repository rule violations found\\n\\nChanges must be made through a pull
    request.\\n\\n`` on a protected branch.
    """
    repo = api.repo(req, owner, name, write=True)
    path = path.strip("/")
    body = req.json()
    message = _require(body, "message")
    encoded = _require(body, "content")
    try:
        data = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "content is not valid Base64", CONTENTS_DOC) from None
    author, committer = _identity(body, "author"), _identity(body, "committer")
    branch = api.branch(repo, body.get("branch"))
    current = _check_write(api, repo, branch, path, body.get("sha"))
    _check_head(repo, branch, req)
    commit = repo.commit(branch, {path: data}, message, author=author, committer=committer)
    _mark_stale(api, req, repo, branch, path, current)
    content = api.file_json(repo, path, commit.files[path], branch)
    reply = {"content": content, "commit": api.commit_json(repo, commit)}
    return ApiResponse.json(200 if current else 201, reply)


def delete_contents(api: Api, req: ApiRequest, owner: str, name: str, path: str) -> ApiResponse:
    """Delete a file.

    https://docs.github.com/en/rest/repos/contents#delete-a-file

    200 with ``{"content": null, "commit": ...}``; 404 when the file is missing, 422 when the sha
    is missing, 409 ``{path} does not match {sha}`` when it is stale.
    """
    repo = api.repo(req, owner, name, write=True)
    path = path.strip("/")
    body = req.json()
    message = _require(body, "message")
    author, committer = _identity(body, "author"), _identity(body, "committer")
    branch = api.branch(repo, body.get("branch"))
    if path not in repo.head(branch).files:
        raise not_found("repos/contents#delete-a-file")
    if not body.get("sha"):
        raise ApiError(
            422, 'Invalid request.\n\n"sha" wasn\'t supplied.', "repos/contents#delete-a-file"
        )
    current = _check_write(api, repo, branch, path, body.get("sha"))
    _check_head(repo, branch, req)
    commit = repo.commit(branch, {path: None}, message, author=author, committer=committer)
    _mark_stale(api, req, repo, branch, path, current)
    return ApiResponse.json(200, {"content": None, "commit": api.commit_json(repo, commit)})


def get_blob(api: Api, req: ApiRequest, owner: str, name: str, sha: str) -> ApiResponse:
    """Get a blob.

    https://docs.github.com/en/rest/git/blobs#get-a-blob

    ``{sha, node_id, size, url, content, encoding: "base64"}`` for blobs up to 100 MB; the raw
    media type returns the bytes.
    """
    repo = api.repo(req, owner, name)
    data = repo.blobs.get(sha)
    if data is None:
        raise not_found("git/blobs#get-a-blob")
    if len(data) > MAX_BLOB:
        raise _too_large()
    if req.wants_raw:
        return ApiResponse(200, data, {"content-type": RAW_TYPE})
    return ApiResponse.json(
        200,
        {
            "sha": sha,
            "node_id": f"B_{sha[:16]}",
            "size": len(data),
            "url": f"{api.repo_url(repo)}/git/blobs/{sha}",
            "content": base64_lines(data),
            "encoding": "base64",
        },
    )


def get_raw(api: Api, req: ApiRequest, owner: str, name: str, ref: str, path: str) -> ApiResponse:
    """Raw file download at the web root, the ``download_url`` of a file.

    https://docs.github.com/en/repositories/working-with-files/using-files/viewing-and-understanding-files
    """
    repo = api.repo(req, owner, name)
    commit = repo.resolve(ref)
    sha = commit.files.get(path) if commit else None
    if sha is None:
        raise not_found()
    return ApiResponse(200, repo.blobs[sha], {"content-type": "text/plain; charset=utf-8"})
