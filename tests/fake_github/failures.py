"""The responses GitHub gives when things go wrong: rate limits, races and server errors."""

from __future__ import annotations

import functools
import gzip
import json
import re
import secrets
import time

from . import graphql
from .core import JSON_TYPE, ApiError, ApiRequest, ApiResponse
from .faults import Fault
from .model import State

RATE_DOC = "overview/rate-limits-for-the-rest-api"
STATUS_TEXT = {
    500: "Server Error",
    502: "Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# The shape of the page GitHub's front end serves for a 502 ("Unicorn!"), not JSON: the
# client must not paste it into a message. https://www.githubstatus.com shows such outages.
HTML_PAGE = """<!DOCTYPE html>
<html>
  <head>
    <meta http-equiv="Content-type" content="text/html; charset=utf-8">
    <title>Unicorn! &middot; GitHub</title>
    <style type="text/css" media="screen">body {{ background-color: #f1f1f1; }}</style>
  </head>
  <body>
    <div class="container">
      <p><strong>No server is currently available to service your request.</strong></p>
      <p>Sorry about that. Please try refreshing and contact us if the problem persists.</p>
      <p>Status {status}</p>
    </div>
  </body>
</html>
"""
CONTENTS_PATH = re.compile(r"/repos/([^/]+)/([^/]+)/contents/")


def fault_response(state: State, req: ApiRequest, fault: Fault) -> ApiResponse | None:
    """The error ``fault`` answers with, or ``None`` for faults that do not replace it.

    Call with the server's lock held.
    """
    rid = secrets.token_hex(8).upper()
    secondary = (
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
        "again. If you reach out to GitHub Support for help, please include the request ID "
        f"{rid}."
    )
    retry = {"retry-after": str(fault.retry_after)} if fault.retry_after is not None else {}
    if fault.kind in ("secondary_rate_limit", "too_many_requests"):
        doc = f"{RATE_DOC}#about-secondary-rate-limits"
        return ApiError(fault.status, secondary, doc, headers=retry).response()
    if fault.kind == "primary_rate_limit":
        return primary_limit(req, fault.reset_at or str(int(time.time()) + fault.reset_in))
    if fault.kind == "graphql_error":
        error = {"type": fault.error_type, "path": ["repository"], "message": fault.message}
        return ApiResponse.json(200, {"data": {"repository": None}, "errors": [error]})
    if fault.kind == "graphql_rate_limited":
        reset = None if fault.reset_in < 0 else int(time.time()) + fault.reset_in
        return graphql.rate_limited(
            reset=reset, retry_after=fault.retry_after, message=fault.message
        )
    if fault.kind == "branch_race" or (
        fault.kind == "status" and fault.status == 409 and not fault.message
    ):
        return ApiError(
            409, race_message(state, req), "repos/contents#create-or-update-file-contents"
        ).response()
    if fault.kind == "redirect":
        body = json.dumps({"message": "Moved", "url": fault.message}).encode()
        return ApiResponse(fault.status, body, {"location": fault.message or ""})
    if fault.kind == "html":
        page = HTML_PAGE.format(status=fault.status).encode()
        return ApiResponse(fault.status, page, {"content-type": "text/html; charset=utf-8"})
    if fault.kind == "answer":
        headers = {"content-type": JSON_TYPE, **dict(fault.headers)}
        return ApiResponse(fault.status, (fault.body or "").encode(), headers)
    if fault.kind == "gzip_bomb":
        bomb = _gzip_member() * max(1, fault.count // _MEMBER_MEBIBYTES)
        return ApiResponse(fault.status, bomb, {"content-encoding": "gzip"})
    if fault.kind == "status":
        return ApiError(
            fault.status, fault.message or STATUS_TEXT.get(fault.status, "Error")
        ).response()
    return None


# gzip members may follow one another (RFC 1952 section 2.2); one member of 16 MiB of spaces,
# repeated, inflates to gigabytes from a body of a few KB.
_MEMBER_MEBIBYTES = 16


@functools.cache
def _gzip_member() -> bytes:
    return gzip.compress(b" " * (_MEMBER_MEBIBYTES << 20), 9)


def primary_limit(req: ApiRequest, reset: str) -> ApiResponse:
    """403 "API rate limit exceeded for ..." with no requests remaining until ``reset``."""
    if req.token is None:
        who = (
            f"{req.client}. (But here's the good news: Authenticated requests get a higher "
            "rate limit. Check out the documentation for more details.)"
        )
    elif req.token.kind == "app":
        who = "installation ID 1."
    else:
        who = "user ID 1."
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    doc = f"{RATE_DOC}#about-primary-rate-limits"
    return ApiError(403, f"API rate limit exceeded for {who}", doc, headers=headers).response()


def race_message(state: State, req: ApiRequest) -> str:
    """``is at <head> but expected <other>``, GitHub's text when the branch moved mid-write.

    Seen from github.com in PyGithub/PyGithub#1787, octokit/octokit.net#2365 and
    integrations/terraform-provider-github#2909. Call with the server's lock held.
    """
    match = CONTENTS_PATH.match(req.path)
    repo = state.repo(f"{match.group(1)}/{match.group(2)}") if match else None
    try:
        branch = str(req.json().get("branch") or "") or req.query.get("ref")
    except ApiError:
        branch = None
    if repo is not None and (branch or repo.default_branch) in repo.branches:
        head = repo.head(branch or repo.default_branch)
        other = head.parents[0] if head.parents else secrets.token_hex(20)
        return f"is at {head.sha} but expected {other}"
    return f"is at {secrets.token_hex(20)} but expected {secrets.token_hex(20)}"
