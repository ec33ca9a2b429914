"""The ``/_fake/`` control API, for processes that cannot call ``FakeGitHub`` directly.

Always at the server root, whatever the API prefix. JSON in and out, except file bodies.

=======  ==============================================  =========================================
GET      /_fake/health                                   ``{"api_url": ...}``
GET      /_fake/requests                                 the request log
POST     /_fake/reset-log                                forget the log and fired faults
GET      /_fake/files/{owner}/{repo}/{branch}/{path}     raw bytes at the branch head, or 404
PUT      /_fake/files/{owner}/{repo}/{branch}/{path}     commit the body as the file (seeding)
GET      /_fake/commits/{owner}/{repo}[/{branch}]        commits, oldest first
POST     /_fake/repos                                    ``{"full_name", "default_branch"?,
                                                         "description"?, "private"?}``
POST     /_fake/tokens                                   ``{"token", "permission"?, "repos"?,
                                                         "kind"?}``
POST     /_fake/protect                                  ``{"repo", "branch", "protected"?}``
POST     /_fake/faults                                   ``{"method"?, "path_regex"?, "times"?,
                                                         "skip"?, "fault": {"kind", ...}}``
GET      /_fake/faults                                   ``{"injections": [...], "fired": [...]}``
DELETE   /_fake/faults                                   disarm every fault
GET      /_fake/settings                                 ``{"latency", "stale_read_count",
                                                         "rate_limit"}``
POST     /_fake/settings                                 set any of those
GET      /_fake/state                                    repositories, files and commits
=======  ==============================================  =========================================
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from .core import ApiError, ApiResponse
from .faults import Fault

if TYPE_CHECKING:
    from .server import FakeGitHub


def handle(
    fake: FakeGitHub, method: str, path: str, query: dict[str, str], body: bytes
) -> ApiResponse:
    """Answer one control request."""
    try:
        return _route(fake, method, path.removeprefix("/_fake").strip("/"), body)
    except ApiError as error:
        return error.response()
    except (KeyError, ValueError, TypeError) as error:
        return ApiResponse.json(400, {"message": str(error)})


def _json(body: bytes) -> dict[str, Any]:
    data = json.loads(body or b"{}")
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _route(fake: FakeGitHub, method: str, path: str, body: bytes) -> ApiResponse:
    head, _, rest = path.partition("/")
    key = (method, head)
    if key == ("GET", "health"):
        return ApiResponse.json(200, {"api_url": fake.api_url, "root_url": fake.root_url})
    if key == ("GET", "requests"):
        return ApiResponse.json(200, [r.to_json() for r in fake.requests])
    if key == ("POST", "reset-log"):
        fake.reset_log()
        return ApiResponse(204)
    if head == "files" and method in ("GET", "PUT"):
        return _files(fake, method, rest, body)
    if key == ("GET", "commits"):
        owner, name, *branch = rest.split("/", 2)
        commits = fake.commits(f"{owner}/{name}", branch=branch[0] if branch else None)
        return ApiResponse.json(200, [c.to_json() for c in commits])
    if key == ("GET", "state"):
        return ApiResponse.json(200, fake.snapshot())
    if method == "POST" and head in ("repos", "tokens", "protect", "faults", "settings"):
        return _post(fake, head, _json(body))
    if key == ("GET", "faults"):
        injections = [i.to_json() for i in fake.injections]
        return ApiResponse.json(
            200, {"injections": injections, "fired": [f.to_json() for f in fake.fired]}
        )
    if key == ("DELETE", "faults"):
        fake.clear_faults()
        return ApiResponse(204)
    if key == ("GET", "settings"):
        return ApiResponse.json(200, _settings(fake))
    raise ApiError(404, "Not Found")


def _settings(fake: FakeGitHub) -> dict[str, Any]:
    return {
        "latency": fake.latency,
        "stale_read_count": fake.stale_read_count,
        "rate_limit": fake.rate_limit,
    }


def _post(fake: FakeGitHub, head: str, data: dict[str, Any]) -> ApiResponse:
    if head == "repos":
        fake.add_repo(
            data["full_name"],
            default_branch=data.get("default_branch"),
            description=data.get("description", ""),
            private=bool(data.get("private", False)),
        )
    elif head == "tokens":
        fake.add_token(
            data["token"],
            permission=data.get("permission", "write"),
            repos=data.get("repos"),
            kind=data.get("kind", "app"),
        )
    elif head == "protect":
        fake.protect_branch(
            data["repo"], data["branch"], protected=bool(data.get("protected", True))
        )
    elif head == "faults":
        spec = data.get("fault") or {
            k: v for k, v in data.items() if k in Fault.__dataclass_fields__
        }
        injection = fake.inject(
            fault=Fault.from_json(spec),
            method=data.get("method"),
            path_regex=data.get("path_regex", ".*"),
            times=data.get("times", 1),
            skip=int(data.get("skip", 0)),
        )
        return ApiResponse.json(201, injection.to_json())
    else:
        for name in ("latency", "stale_read_count", "rate_limit"):
            if name in data:
                setattr(fake, name, data[name])
        return ApiResponse.json(200, _settings(fake))
    return ApiResponse(204)


def _split_branch(fake: FakeGitHub, rest: str) -> tuple[str, str, str]:
    """``owner/repo/branch/path`` where the branch name may itself contain slashes."""
    owner, name, tail = rest.split("/", 2)
    repo = f"{owner}/{name}"
    branches = sorted(fake.branches(repo), key=len, reverse=True)
    for branch in branches:
        if tail.startswith(branch + "/"):
            return repo, branch, tail[len(branch) + 1 :]
    branch, _, path = tail.partition("/")
    return repo, branch, path


def _files(fake: FakeGitHub, method: str, rest: str, body: bytes) -> ApiResponse:
    repo, branch, path = _split_branch(fake, rest)
    if method == "PUT":
        sha = fake.put_file(repo, path, body, branch=branch)
        return ApiResponse.json(201, {"commit": sha})
    data = fake.get_file(repo, path, branch=branch)
    if data is None:
        raise ApiError(404, "Not Found")
    return ApiResponse(200, data, {"content-type": "application/octet-stream"})


def dump_state(fake: FakeGitHub) -> dict[str, Any]:
    """The state as JSON: each repository's settings, branches with their files, and commits."""
    repos: dict[str, Any] = {}
    for repo in fake._state.repos.values():
        branches = {}
        for branch, sha in sorted(repo.branches.items()):
            files = repo.commits[sha].files
            branches[branch] = {
                "head": sha,
                "files": {p: _encode(repo.blobs[s]) for p, s in sorted(files.items())},
            }
        repos[repo.full_name] = {
            "default_branch": repo.default_branch,
            "description": repo.description,
            "private": repo.private,
            "protected": sorted(repo.protected),
            "branches": branches,
            "commits": {
                b: [c.to_json() for c in fake.commits(repo.full_name, branch=b)]
                for b in repo.branches
            },
        }
    return {"api_url": fake.api_url, "repos": repos, "requests": len(fake._log)}


def _encode(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode()}


def load_state(fake: FakeGitHub, data: dict[str, Any]) -> None:
    """Seed repositories, their branches and files, and tokens from ``dump_state`` output."""
    for full_name, spec in data.get("repos", {}).items():
        default = spec.get("default_branch")
        fake.add_repo(
            full_name,
            default_branch=default,
            description=spec.get("description", ""),
            private=bool(spec.get("private", False)),
        )
        branches = spec.get("branches", {})
        order = sorted(branches, key=lambda b: b != (default or fake.default_branch))
        for branch in order:
            if branch not in fake.branches(full_name):
                fake.create_branch(full_name, branch)
            for path, content in branches[branch].get("files", {}).items():
                raw = (
                    base64.b64decode(content["base64"])
                    if "base64" in content
                    else content["text"].encode()
                )
                fake.put_file(full_name, path, raw, branch=branch, message=f"Seed {path}")
        for branch in spec.get("protected", []):
            fake.protect_branch(full_name, branch)
    for token, spec in data.get("tokens", {}).items():
        fake.add_token(
            token,
            permission=spec.get("permission", "write"),
            repos=spec.get("repos"),
            kind=spec.get("kind", "app"),
        )
