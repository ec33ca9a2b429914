"""Pull requests between branches of one repository, and merging them."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from .core import Api, ApiError, ApiRequest, ApiResponse, not_found
from .model import Commit, Pull, Repo, iso_date

PULLS_DOC = "pulls/pulls"
# GitHub refuses a pull request's body longer than this many characters with 422 and, in
# `errors`, "body is too long (maximum is 65536 characters)" (renovatebot/renovate#2032, the
# answer quoted from api.github.com; the REST docs do not state the limit).
BODY_LIMIT = 65536


def _validation(message: str | None = None, **error: str) -> ApiError:
    detail: dict[str, str] = {"resource": "PullRequest", **error}
    if message:
        detail = {"resource": "PullRequest", "code": "custom", "message": message}
    return ApiError(
        422, "Validation Failed", f"{PULLS_DOC}#create-a-pull-request", extra={"errors": [detail]}
    )


def _check_body(body: Any) -> None:
    if isinstance(body, str) and len(body) > BODY_LIMIT:
        detail = {
            "resource": "Issue",
            "code": "custom",
            "field": "body",
            "message": f"body is too long (maximum is {BODY_LIMIT} characters)",
        }
        raise ApiError(
            422,
            "Validation Failed",
            f"{PULLS_DOC}#create-a-pull-request",
            extra={"errors": [detail]},
        )


def _head_sha(repo: Repo, pr: Pull) -> str | None:
    return repo.branches.get(pr.head) or pr.merge_commit_sha


def _side(api: Api, repo: Repo, branch: str, sha: str | None, token: Any) -> dict[str, Any]:
    return {
        "label": f"{repo.owner}:{branch}",
        "ref": branch,
        "sha": sha,
        "user": api.owner_json(repo.owner),
        "repo": api.repo_json(repo, token),
    }


def pull_json(api: Api, repo: Repo, pr: Pull, token: Any = None) -> dict[str, Any]:
    url = f"{api.repo_url(repo)}/pulls/{pr.number}"
    return {
        "id": repo.id * 1000 + pr.number,
        "node_id": f"PR_{repo.id}_{pr.number}",
        "number": pr.number,
        "url": url,
        "html_url": f"{api.html_url(repo)}/pull/{pr.number}",
        "issue_url": f"{api.repo_url(repo)}/issues/{pr.number}",
        "state": pr.state,
        "locked": False,
        "title": pr.title,
        "body": pr.body,
        "user": api.owner_json("registry-bot[bot]"),
        "created_at": iso_date(pr.created_at),
        "updated_at": iso_date(pr.updated_at),
        "closed_at": iso_date(pr.updated_at) if pr.state == "closed" else None,
        "merged_at": iso_date(pr.updated_at) if pr.merged else None,
        "merge_commit_sha": pr.merge_commit_sha,
        "merged": pr.merged,
        "mergeable": pr.state == "open",
        "draft": False,
        "head": _side(api, repo, pr.head, _head_sha(repo, pr), token),
        "base": _side(api, repo, pr.base, repo.branches.get(pr.base), token),
    }


def _branch_of(repo: Repo, head: str) -> str:
    owner, sep, branch = head.partition(":")
    if sep and owner.lower() != repo.owner.lower():
        return ""
    return branch if sep else head


def list_pulls(api: Api, req: ApiRequest, owner: str, name: str) -> ApiResponse:
    """List pull requests (``state``, ``head=owner:branch``, ``base`` filters).

    https://docs.github.com/en/rest/pulls/pulls#list-pull-requests
    """
    repo = api.repo(req, owner, name)
    state = req.query.get("state", "open")
    head = req.query.get("head")
    base = req.query.get("base")
    pulls = [
        pr
        for pr in sorted(repo.pulls.values(), key=lambda p: -p.number)
        if (state == "all" or pr.state == state)
        and (not head or pr.head == _branch_of(repo, head))
        and (not base or pr.base == base)
    ]
    return ApiResponse.json(200, [pull_json(api, repo, pr, req.token) for pr in pulls])


def create_pull(api: Api, req: ApiRequest, owner: str, name: str) -> ApiResponse:
    """Create a pull request.

    https://docs.github.com/en/rest/pulls/pulls#create-a-pull-request

    422 ``Validation Failed`` with ``A pull request already exists for owner:branch.`` when one
    is open for the same head and base, and ``No commits between base and head`` when the head
    has nothing new.
    """
    repo = api.repo(req, owner, name, write=True)
    body = req.json()
    head = _branch_of(repo, str(body.get("head", "")))
    base = str(body.get("base", ""))
    if head not in repo.branches:
        raise _validation(field="head", code="invalid")
    if base not in repo.branches:
        raise _validation(field="base", code="invalid")
    if any(p.state == "open" and p.head == head and p.base == base for p in repo.pulls.values()):
        raise _validation(f"A pull request already exists for {repo.owner}:{head}.")
    if repo.is_ancestor(repo.branches[head], repo.branches[base]):
        raise _validation(f"No commits between {base} and {head}")
    _check_body(body.get("body"))
    number = max(repo.pulls, default=0) + 1
    repo.pulls[number] = Pull(number, str(body.get("title", "")), body.get("body"), head, base)
    return ApiResponse.json(201, pull_json(api, repo, repo.pulls[number], req.token))


def _pull(repo: Repo, number: str | int) -> Pull:
    pr = repo.pulls.get(int(number))
    if pr is None:
        raise not_found(f"{PULLS_DOC}#get-a-pull-request")
    return pr


def get_pull(api: Api, req: ApiRequest, owner: str, name: str, number: str) -> ApiResponse:
    """Get a pull request.

    https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request
    """
    repo = api.repo(req, owner, name)
    return ApiResponse.json(200, pull_json(api, repo, _pull(repo, number), req.token))


def update_pull(api: Api, req: ApiRequest, owner: str, name: str, number: str) -> ApiResponse:
    """Update a pull request (``title``, ``body``, ``state``, ``base``).

    https://docs.github.com/en/rest/pulls/pulls#update-a-pull-request
    """
    repo = api.repo(req, owner, name, write=True)
    pr = _pull(repo, number)
    body = req.json()
    _check_body(body.get("body"))
    if "title" in body:
        pr.title = str(body["title"])
    if "body" in body:
        pr.body = body["body"]
    if body.get("state") in ("open", "closed") and not pr.merged:
        pr.state = body["state"]
    if body.get("base") in repo.branches:
        pr.base = body["base"]
    pr.updated_at = time.time()
    return ApiResponse.json(200, pull_json(api, repo, pr, req.token))


def _diff(old: Mapping[str, str], new: Mapping[str, str]) -> dict[str, str | None]:
    changed: dict[str, str | None] = {p: s for p, s in new.items() if old.get(p) != s}
    changed.update({p: None for p in old if p not in new})
    return changed


def merge(
    repo: Repo,
    pr: Pull,
    method: str = "merge",
    title: str | None = None,
    message: str | None = None,
) -> Commit:
    """Merge ``pr``: the head's changes since the merge base, applied onto the base branch."""
    if pr.state != "open" or pr.merged:
        raise ApiError(405, "Pull Request is not mergeable", f"{PULLS_DOC}#merge-a-pull-request")
    base_head, head_head = repo.branches[pr.base], repo.branches[pr.head]
    ancestor = repo.merge_base(base_head, head_head)
    start = repo.commits[ancestor].files if ancestor else {}
    theirs = _diff(start, repo.commits[head_head].files)
    ours = _diff(start, repo.commits[base_head].files)
    if any(p in ours and ours[p] != s for p, s in theirs.items()):
        raise ApiError(405, "Pull Request is not mergeable", f"{PULLS_DOC}#merge-a-pull-request")
    changes = {p: (repo.blobs[s] if s else None) for p, s in theirs.items()}
    subject = title or f"Merge pull request #{pr.number} from {repo.owner}/{pr.head}"
    parents = (base_head, head_head) if method == "merge" else (base_head,)
    commit = repo.commit(pr.base, changes, f"{subject}\n\n{message or pr.title}", parents=parents)
    pr.state, pr.merged, pr.merge_commit_sha, pr.updated_at = (
        "closed",
        True,
        commit.sha,
        time.time(),
    )
    return commit


def merge_pull(api: Api, req: ApiRequest, owner: str, name: str, number: str) -> ApiResponse:
    """Merge a pull request.

    https://docs.github.com/en/rest/pulls/pulls#merge-a-pull-request

    200 ``{sha, merged: true, message: "Pull Request successfully merged"}``; 405 when it is not
    open or conflicts; 409 ``Head branch was modified. Review and try the merge again.`` when
    ``sha`` is not the head.
    """
    repo = api.repo(req, owner, name, write=True)
    pr = _pull(repo, number)
    body = req.json()
    if body.get("sha") and pr.head in repo.branches and body["sha"] != repo.branches[pr.head]:
        raise ApiError(409, "Head branch was modified. Review and try the merge again.", PULLS_DOC)
    commit = merge(
        repo,
        pr,
        str(body.get("merge_method", "merge")),
        body.get("commit_title"),
        body.get("commit_message"),
    )
    return ApiResponse.json(
        200, {"sha": commit.sha, "merged": True, "message": "Pull Request successfully merged"}
    )
