"""Finding the registry repository once per run, wherever it has moved, and refusing other hosts.

A renamed or transferred repository answers 301 to reads and 307 to writes (recorded in
@octokit/fixtures, scenario rename-repository). PyGithub follows a 301 by path only, dropping
the query (``?ref=``, so a read of another branch returns the default branch's file), and takes
a 307 on a write for success. So the repository is looked up (before any file is touched when
the default branch is needed, else as soon as an answer shows a redirect was followed, which
then counts as a conflict that re-reads), and every request afterwards names it as it is now:
no branch other than the one asked for is ever read or written.

A redirect to another host (a proxy or a moved ``api-url``) is refused: the token is never sent
anywhere but ``api-url``'s host.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from github.Requester import Requester

from registry_action.errors import GitHubError
from registry_action.settings.spelling import advise, setting

REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Found:
    """The repository as GitHub names it now, and its default branch."""

    full_name: str
    default_branch: str


def other_host(api_url: str, location: str) -> GitHubError:
    """The error for a redirect away from ``api-url``'s host."""
    return GitHubError(
        f"GitHub at {api_url} redirected to another host ({urlsplit(location).hostname}); "
        f"the token is only sent to {setting('api-url')}'s host: {advise('api-url')} to the "
        "API's address"
    )


def find(requester: Requester, api_url: str, repository: str) -> Found:
    """Look ``repository`` up, following a rename on the same host; GithubException if refused."""
    url = f"/repos/{repository}"
    for _ in range(3):
        status, headers, body = requester.requestJson("GET", url)
        location = headers.get("location")
        if status in REDIRECTS and location:
            if urlsplit(location).hostname != urlsplit(api_url).hostname:
                raise other_host(api_url, location)
            url = _path_of(location)
            continue
        data = _json(body)
        if status >= 300 or not isinstance(data, dict) or "full_name" not in data:
            raise requester.createException(max(status, 400), headers, data)
        return Found(str(data["full_name"]), str(data.get("default_branch") or "main"))
    raise GitHubError(
        f"GitHub kept redirecting the lookup of {repository}: check {setting('api-url')}"
    )


def _path_of(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _json(body: str) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return {"message": body}


def moved_notice(asked: str, found: str) -> str | None:
    """The one-line warning for a repository that answers under another name."""
    if asked.lower() == found.lower():
        return None
    return (
        f"{asked} has been renamed or transferred to {found}: GitHub redirects the old name "
        f"for now, set `registry-repository: {found}` in the workflow"
    )
