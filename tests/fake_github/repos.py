"""Repositories, branches, git references and commits, and the rate limit."""

from __future__ import annotations

import time
from typing import Any

from .core import Api, ApiError, ApiRequest, ApiResponse, not_found
from .model import SHA_RE, Repo

RULES_MESSAGE = (
    "Repository rule violations found\n\nChanges must be made through a pull request.\n\n"
)


def get_repo(api: Api, req: ApiRequest, owner: str, name: str) -> ApiResponse:
    """Get a repository.

    https://docs.github.com/en/rest/repos/repos#get-a-repository

    404 ``Not Found`` when the repository does not exist or the token cannot see it.
    """
    repo = api.repo(req, owner, name)
    return ApiResponse.json(200, api.repo_json(repo, req.token))


def get_branch(api: Api, req: ApiRequest, owner: str, name: str, branch: str) -> ApiResponse:
    """Get a branch.

    https://docs.github.com/en/rest/branches/branches#get-a-branch

    ``{name, commit: {sha, ...}, protected, ...}``; 404 ``Branch not found``.
    """
    repo = api.repo(req, owner, name)
    if branch not in repo.branches:
        raise ApiError(404, "Branch not found", "branches/branches#get-a-branch")
    head = repo.head(branch)
    url = f"{api.repo_url(repo)}/branches/{branch}"
    commit = {
        "sha": head.sha,
        "node_id": f"C_{head.sha[:16]}",
        "url": f"{api.repo_url(repo)}/commits/{head.sha}",
        "html_url": f"{api.html_url(repo)}/commit/{head.sha}",
        "commit": api.commit_json(repo, head),
        "parents": [{"sha": p, "url": f"{api.repo_url(repo)}/commits/{p}"} for p in head.parents],
    }
    protected = branch in repo.protected
    return ApiResponse.json(
        200,
        {
            "name": branch,
            "commit": commit,
            "_links": {"self": url, "html": f"{api.html_url(repo)}/tree/{branch}"},
            "protected": protected,
            "protection": {
                "enabled": protected,
                "required_status_checks": {"enforcement_level": "off"},
            },
            "protection_url": f"{url}/protection",
        },
    )


def ref_json(api: Api, repo: Repo, branch: str) -> dict[str, Any]:
    sha = repo.branches[branch]
    return {
        "ref": f"refs/heads/{branch}",
        "node_id": f"REF_{branch}",
        "url": f"{api.repo_url(repo)}/git/refs/heads/{branch}",
        "object": {"sha": sha, "type": "commit", "url": f"{api.repo_url(repo)}/git/commits/{sha}"},
    }


def get_ref(api: Api, req: ApiRequest, owner: str, name: str, branch: str) -> ApiResponse:
    """Get a reference (``git/ref/heads/{branch}``, also answered at ``git/refs/heads/...``).

    https://docs.github.com/en/rest/git/refs#get-a-reference
    """
    repo = api.repo(req, owner, name)
    if branch not in repo.branches:
        raise not_found("git/refs#get-a-reference")
    return ApiResponse.json(200, ref_json(api, repo, branch))


def create_ref(api: Api, req: ApiRequest, owner: str, name: str) -> ApiResponse:
    """Create a reference.

    https://docs.github.com/en/rest/git/refs#create-a-reference

    201; 422 ``Reference already exists``; 422 ``Object does not exist`` for an unknown sha.
    Only branches (``refs/heads/...``) are modelled. Git keeps no ref inside another's name
    (``a`` beside ``a/b``): GitHub answers 422 ``Reference update failed`` (measured by
    googleapis/release-please#1024, a branch ``release-please`` blocking
    ``release-please/...``, and microsoft/vscode-remote-repositories-github#122).
    """
    repo = api.repo(req, owner, name, write=True)
    body = req.json()
    ref, sha = str(body.get("ref", "")), str(body.get("sha", ""))
    if not ref.startswith("refs/heads/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name is invalid", "git/refs#create-a-reference")
    if sha not in repo.commits:
        raise ApiError(422, "Object does not exist", "git/refs#create-a-reference")
    branch = ref.removeprefix("refs/heads/")
    if branch in repo.branches:
        raise ApiError(422, "Reference already exists", "git/refs#create-a-reference")
    if any(f"{branch}/".startswith(f"{b}/") or b.startswith(f"{branch}/") for b in repo.branches):
        raise ApiError(422, "Reference update failed", "git/refs#create-a-reference")
    repo.branches[branch] = sha
    return ApiResponse.json(201, ref_json(api, repo, branch))


def update_ref(api: Api, req: ApiRequest, owner: str, name: str, branch: str) -> ApiResponse:
    """Update a reference.

    https://docs.github.com/en/rest/git/refs#update-a-reference

    422 ``Update is not a fast forward`` unless ``force``; 422 ``Reference does not exist``;
    422 with the repository rules message on a protected branch.
    """
    repo = api.repo(req, owner, name, write=True)
    body = req.json()
    sha = str(body.get("sha", ""))
    doc = "git/refs#update-a-reference"
    if branch not in repo.branches:
        raise ApiError(422, "Reference does not exist", doc)
    if sha not in repo.commits:
        raise ApiError(422, "Object does not exist", doc)
    if not body.get("force") and not repo.is_ancestor(repo.branches[branch], sha):
        raise ApiError(422, "Update is not a fast forward", doc)
    if branch in repo.protected:
        raise ApiError(422, RULES_MESSAGE, doc)
    repo.branches[branch] = sha
    return ApiResponse.json(200, ref_json(api, repo, branch))


def delete_ref(api: Api, req: ApiRequest, owner: str, name: str, branch: str) -> ApiResponse:
    """Delete a reference.

    https://docs.github.com/en/rest/git/refs#delete-a-reference

    204; 422 ``Reference does not exist``.
    """
    repo = api.repo(req, owner, name, write=True)
    if branch not in repo.branches:
        raise ApiError(422, "Reference does not exist", "git/refs#delete-a-reference")
    if branch in repo.protected:
        raise ApiError(422, RULES_MESSAGE, "git/refs#delete-a-reference")
    del repo.branches[branch]
    return ApiResponse(204)


def get_commit(api: Api, req: ApiRequest, owner: str, name: str, sha: str) -> ApiResponse:
    """Get a commit object.

    https://docs.github.com/en/rest/git/commits#get-a-commit-object
    """
    repo = api.repo(req, owner, name)
    if not SHA_RE.fullmatch(sha) or sha not in repo.commits:
        raise not_found("git/commits#get-a-commit-object")
    return ApiResponse.json(200, api.commit_json(repo, repo.commits[sha]))


def rate_limit_json(limit: int, used: int, reset: int) -> dict[str, Any]:
    core = {"limit": limit, "used": used, "remaining": max(limit - used, 0), "reset": reset}
    return {
        "resources": {
            "core": {**core, "resource": "core"},
            "search": {"limit": 30, "used": 0, "remaining": 30, "reset": int(time.time()) + 60},
            "graphql": {"limit": 5000, "used": 0, "remaining": 5000, "reset": reset},
        },
        "rate": {**core, "resource": "core"},
    }
