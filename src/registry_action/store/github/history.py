"""When a file on a GitHub branch last changed: one request to GitHub's commits API.

Kept apart from the Contents API store: only the one-run conversion of a registry asks it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from github.Repository import Repository


def last_commit_time(repo: Repository, branch: str, path: str) -> datetime | None:
    """The committer date of the newest commit on ``branch`` that changed ``path``, if any.

    https://docs.github.com/en/rest/commits/commits#list-commits filters by ``path`` from
    ``sha``, newest first; the first page answers.
    """
    newest = repo.get_commits(sha=branch, path=path).get_page(0)
    if not newest:
        return None
    moment = newest[0].commit.committer.date
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
