"""The table of GitHub REST routes the fake answers, and dispatch to their handlers."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

from . import commits, contents, pulls, repos, trees
from .core import Api, ApiError, ApiRequest, ApiResponse

Handler = Callable[..., ApiResponse]

_REPO = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", _REPO, repos.get_repo),
    ("GET", _REPO + r"/branches/(?P<branch>.+)", repos.get_branch),
    ("GET", _REPO + r"/contents/?", contents.get_contents),
    ("GET", _REPO + r"/contents/(?P<path>.+)", contents.get_contents),
    ("PUT", _REPO + r"/contents/(?P<path>.+)", contents.put_contents),
    ("DELETE", _REPO + r"/contents/(?P<path>.+)", contents.delete_contents),
    ("GET", _REPO + r"/git/blobs/(?P<sha>[^/]+)", contents.get_blob),
    ("GET", _REPO + r"/git/refs?/heads/(?P<branch>.+)", repos.get_ref),
    ("POST", _REPO + r"/git/refs", repos.create_ref),
    ("PATCH", _REPO + r"/git/refs/heads/(?P<branch>.+)", repos.update_ref),
    ("DELETE", _REPO + r"/git/refs/heads/(?P<branch>.+)", repos.delete_ref),
    ("GET", _REPO + r"/git/commits/(?P<sha>[^/]+)", repos.get_commit),
    ("GET", _REPO + r"/git/trees/(?P<sha>.+)", trees.get_tree),
    ("GET", _REPO + r"/tarball/(?P<ref>.+)", trees.get_tarball),
    ("GET", _REPO + r"/commits", commits.list_commits),
    ("GET", _REPO + r"/pulls", pulls.list_pulls),
    ("POST", _REPO + r"/pulls", pulls.create_pull),
    ("GET", _REPO + r"/pulls/(?P<number>\d+)", pulls.get_pull),
    ("PATCH", _REPO + r"/pulls/(?P<number>\d+)", pulls.update_pull),
    ("PUT", _REPO + r"/pulls/(?P<number>\d+)/merge", pulls.merge_pull),
]
ROUTES = [(method, re.compile(pattern), handler) for method, pattern, handler in _ROUTES]
RAW_ROUTE = re.compile(r"/(?P<owner>[^/]+)/(?P<name>[^/]+)/raw/(?P<ref>[^/]+)/(?P<path>.+)")


def dispatch(api: Api, req: ApiRequest) -> ApiResponse:
    """Answer ``req`` from the route table; 404 JSON for unknown routes, 405-free like GitHub."""
    try:
        for method, pattern, handler in ROUTES:
            match = pattern.fullmatch(req.path)
            if match and method == req.method:
                params = {k: unquote(v) for k, v in match.groupdict().items()}
                return handler(api, req, **params)
        raise ApiError(404, "Not Found")
    except ApiError as error:
        return error.response()


def dispatch_raw(api: Api, req: ApiRequest) -> ApiResponse | None:
    """Answer a raw file download at the web root, or ``None`` if the path is not one."""
    if req.path.startswith("/_codeload/") and req.method == "GET":
        return trees.codeload(api, req)
    match = RAW_ROUTE.fullmatch(req.path)
    if match is None or req.method != "GET":
        return None
    try:
        params = {k: unquote(v) for k, v in match.groupdict().items()}
        return contents.get_raw(api, req, **params)
    except ApiError as error:
        return error.response()
