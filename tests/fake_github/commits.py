"""The commits of a branch that changed a path (the REST commits API, not git/commits)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from .core import Api, ApiError, ApiRequest, ApiResponse
from .model import Commit, Repo


def list_commits(api: Api, req: ApiRequest, owner: str, name: str) -> ApiResponse:
    """List commits.

    https://docs.github.com/en/rest/commits/commits#list-commits

    Newest first, from ``sha`` (a branch or a commit; the default branch if absent), only those
    that changed ``path`` when it is given; ``per_page`` (default 30, at most 100) and ``page``.
    Each item wraps the git commit in ``commit``. GitHub simplifies the history of a path; the
    fake follows first parents, which is the same for the linear histories it makes. An
    unknown ``sha`` is 404 "No commit found for SHA: ..." (422 on GitHub for some forms).

    The answer carries a ``Link`` header when there is more than one page (the OpenAPI
    description's response header, example ``<...?page=2>; rel="next", <...?page=5>;
    rel="last"``; https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api:
    "If an endpoint's response is paginated, the link header will include rel="next" ... only
    if there is a next page" and rel="prev", "first" and "last" likewise).
    """
    repo = api.repo(req, owner, name)
    ref = req.query.get("sha") or repo.default_branch
    head = repo.resolve(ref)
    if head is None:
        raise ApiError(404, f"No commit found for SHA: {ref}")
    path = req.query.get("path")
    newest_first = [repo.commits[sha] for sha in reversed(repo.history_from(head.sha))]
    matching = [c for c in newest_first if path is None or path in c.changed]
    per_page = min(int(req.query.get("per_page") or 30), 100)
    page = max(int(req.query.get("page") or 1), 1)
    shown = matching[(page - 1) * per_page : page * per_page]
    pages = max(-(-len(matching) // per_page), 1)
    link = _link(f"{api.repo_url(repo)}/commits", req.query, page, pages)
    headers = {"link": link} if link else {}
    return ApiResponse.json(200, [_item(api, repo, c) for c in shown], headers)


def _link(url: str, query: dict[str, str], page: int, pages: int) -> str:
    """The Link header of ``page`` of ``pages``: next and last, prev and first where they exist."""
    relations = []
    if page < pages:
        relations += [("next", page + 1), ("last", pages)]
    if page > 1:
        relations += [("prev", min(page - 1, pages)), ("first", 1)]
    return ", ".join(
        f'<{url}?{urlencode({**query, "page": str(number)})}>; rel="{name}"'
        for name, number in relations
    )


def _item(api: Api, repo: Repo, commit: Commit) -> dict[str, Any]:
    git = api.commit_json(repo, commit)
    return {
        "sha": commit.sha,
        "node_id": git["node_id"],
        "url": f"{api.repo_url(repo)}/commits/{commit.sha}",
        "html_url": git["html_url"],
        "comments_url": f"{api.repo_url(repo)}/commits/{commit.sha}/comments",
        "commit": {
            "url": git["url"],
            "author": git["author"],
            "committer": git["committer"],
            "message": git["message"],
            "tree": git["tree"],
            "comment_count": 0,
            "verification": git["verification"],
        },
        "author": None,  # GitHub's user for the author's email; the fake knows no users
        "committer": None,
        "parents": git["parents"],
    }
