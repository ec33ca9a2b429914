"""Requests, responses, errors and the JSON shapes shared by the fake's GitHub endpoints."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .faults import Fired
from .model import Commit, Repo, State, Token, iso_date

DOCS = "https://docs.github.com/rest"
JSON_TYPE = "application/json; charset=utf-8"
RAW_TYPES = ("application/vnd.github.raw", "application/vnd.github.v3.raw")


@dataclass
class ApiRequest:
    """One API request, its path stripped of the server's prefix."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    token: Token | None = None
    stale_reads: int | None = None
    client: str = "127.0.0.1"
    # A Contents API write: the head of its branch when it arrived (contents.put_contents).
    seen_head: str | None = None

    @property
    def wants_raw(self) -> bool:
        accept = self.headers.get("accept", "")
        return any(t in accept for t in RAW_TYPES)

    def json(self) -> dict[str, Any]:
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except ValueError:
            raise ApiError(400, "Problems parsing JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "Problems parsing JSON")
        return data


@dataclass
class ApiResponse:
    """Status, body and headers; JSON unless a handler says otherwise."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # ("headers" or "body", seconds): that part is sent one byte at a time (faults.trickle_*).
    trickle: tuple[str, float] | None = None

    @classmethod
    def json(cls, status: int, data: Any, headers: Mapping[str, str] | None = None) -> ApiResponse:
        body = json.dumps(data, ensure_ascii=False).encode()
        return cls(status, body, {"content-type": JSON_TYPE, **(headers or {})})


class ApiError(Exception):
    """An error answered as GitHub does: ``{"message", "documentation_url", "status"}``."""

    def __init__(
        self,
        status: int,
        message: str,
        doc: str = "",
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.doc = doc
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def response(self) -> ApiResponse:
        body: dict[str, Any] = {"message": self.message, **self.extra}
        body["documentation_url"] = f"{DOCS}/{self.doc}" if self.doc else DOCS
        body["status"] = str(self.status)
        return ApiResponse.json(self.status, body, self.headers)


def not_found(doc: str = "") -> ApiError:
    return ApiError(404, "Not Found", doc)


class Api:
    """The state plus the server's URLs; builds the JSON every handler returns."""

    def __init__(self, state: State, record_fired: Callable[[Fired], None]) -> None:
        self.state = state
        self.record_fired = record_fired
        self.api_base = ""
        self.web_base = ""

    # -- access -------------------------------------------------------------------------------

    def repo(self, req: ApiRequest, owner: str, name: str, *, write: bool = False) -> Repo:
        """The repository if the request's token may see it (and write to it), else the error."""
        repo = self.state.repo(f"{owner}/{name}")
        token = req.token
        visible = repo is not None and (not repo.private or (token and token.reaches(repo)))
        if repo is None or not visible:
            raise not_found("repos/repos#get-a-repository")
        if write:
            if token is None:
                raise ApiError(
                    401, "Requires authentication", "overview/authenticating-to-the-rest-api"
                )
            if token.permission != "write" or not token.reaches(repo):
                who = "integration" if token.kind == "app" else "personal access token"
                raise ApiError(403, f"Resource not accessible by {who}", "repos/contents")
        return repo

    def branch(self, repo: Repo, name: str | None) -> str:
        branch = name or repo.default_branch
        if branch not in repo.branches:
            raise ApiError(404, f"Branch {branch} not found", "repos/contents")
        return branch

    # -- urls ---------------------------------------------------------------------------------

    def repo_url(self, repo: Repo) -> str:
        return f"{self.api_base}/repos/{repo.full_name}"

    def html_url(self, repo: Repo) -> str:
        return f"{self.web_base}/{repo.full_name}"

    # -- json shapes --------------------------------------------------------------------------

    def owner_json(self, login: str) -> dict[str, Any]:
        return {
            "login": login,
            "id": zlib.crc32(login.encode()) % 10_000_000,
            "type": "Organization",
            "url": f"{self.api_base}/users/{login}",
            "html_url": f"{self.web_base}/{login}",
        }

    def repo_json(self, repo: Repo, token: Token | None) -> dict[str, Any]:
        push = bool(token and token.permission == "write" and token.reaches(repo))
        return {
            "id": repo.id,
            "node_id": f"R_{repo.id}",
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": self.owner_json(repo.owner),
            "private": repo.private,
            "visibility": "private" if repo.private else "public",
            "html_url": self.html_url(repo),
            "description": repo.description,
            "fork": False,
            "url": self.repo_url(repo),
            "contents_url": f"{self.repo_url(repo)}/contents/{{+path}}",
            "default_branch": repo.default_branch,
            "archived": False,
            "disabled": False,
            "created_at": iso_date(repo.created_at),
            "updated_at": iso_date(repo.created_at),
            "permissions": {
                "admin": False,
                "maintain": False,
                "push": push,
                "triage": push,
                "pull": True,
            },
        }

    def commit_json(self, repo: Repo, commit: Commit) -> dict[str, Any]:
        url = f"{self.repo_url(repo)}/git/commits/{commit.sha}"
        return {
            "sha": commit.sha,
            "node_id": f"C_{commit.sha[:16]}",
            "url": url,
            "html_url": f"{self.html_url(repo)}/commit/{commit.sha}",
            "author": dict(commit.author),
            "committer": dict(commit.committer),
            "message": commit.message,
            "tree": {
                "sha": commit.tree_sha,
                "url": f"{self.repo_url(repo)}/git/trees/{commit.tree_sha}",
            },
            "parents": [
                {
                    "sha": p,
                    "url": f"{self.repo_url(repo)}/git/commits/{p}",
                    "html_url": f"{self.html_url(repo)}/commit/{p}",
                }
                for p in commit.parents
            ],
            "verification": {
                "verified": commit.verified,
                "reason": "valid" if commit.verified else "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": commit.committer["date"] if commit.verified else None,
            },
        }

    def file_json(self, repo: Repo, path: str, sha: str, ref: str) -> dict[str, Any]:
        """A file entry without ``content``: the shape of directory listings and PUT replies."""
        quoted = quote(path)
        url = f"{self.repo_url(repo)}/contents/{quoted}?ref={quote(ref, safe='')}"
        git_url = f"{self.repo_url(repo)}/git/blobs/{sha}"
        html_url = f"{self.html_url(repo)}/blob/{ref}/{quoted}"
        return {
            "type": "file",
            "size": len(repo.blobs[sha]),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "url": url,
            "git_url": git_url,
            "html_url": html_url,
            "download_url": f"{self.html_url(repo)}/raw/{ref}/{quoted}",
            "_links": {"self": url, "git": git_url, "html": html_url},
        }

    def dir_json(self, repo: Repo, path: str, sha: str, ref: str) -> dict[str, Any]:
        quoted = quote(path)
        url = f"{self.repo_url(repo)}/contents/{quoted}?ref={quote(ref, safe='')}"
        git_url = f"{self.repo_url(repo)}/git/trees/{sha}"
        html_url = f"{self.html_url(repo)}/tree/{ref}/{quoted}"
        return {
            "type": "dir",
            "size": 0,
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "url": url,
            "git_url": git_url,
            "html_url": html_url,
            "download_url": None,
            "_links": {"self": url, "git": git_url, "html": html_url},
        }
