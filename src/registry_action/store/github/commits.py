"""One commit of many files on a GitHub branch, through GraphQL's ``createCommitOnBranch``.

Part of the GitHub store (store/github): contents.py calls it for ``RegistryStore.commit``.
The mutation makes one commit of every addition and deletion and moves the branch only if it
still points at ``expectedHeadOid``: a compare-and-swap on the head the run read. GitHub signs
the commit for the token's owner, an App included (why this and not the Git Data API:
docs/performance.md, "Changes of many files in one commit"). Errors come with status 200 in
``errors``; PyGithub raises them as a GithubException, turned here into the project's errors.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from github import GithubException
from github.Requester import Requester

from registry_action.errors import GitHubError
from registry_action.settings.spelling import named, setting
from registry_action.store.github.errors import graphql_errors, is_protection_text, protection_error
from registry_action.store.github.texts import rate_limit, wait_out
from registry_action.store.interface import (
    CommitLimit,
    ConflictError,
    FileWrite,
    WriteResult,
    blob_sha,
)

COMMIT_MUTATION = """
mutation($input: CreateCommitOnBranchInput!) {
  createCommitOnBranch(input: $input) { commit { oid url } }
}
"""

# GitHub ends a GraphQL request that runs past 10 seconds and does not say how many files a
# commit may carry; public tools batch 100-250 files per request. Bigger changes are split by
# the caller into commits of at most this much (2 MB once in base64).
COMMIT_LIMIT = CommitLimit(files=250, size=1_500_000)


@dataclass(frozen=True)
class Made:
    """The commit a mutation made."""

    sha: str
    url: str | None

    def results(self, changes: Sequence[FileWrite], parent: str) -> list[WriteResult]:
        """What the commit left of each change, in their order."""
        return [
            WriteResult(
                c.path,
                None if c.content is None else blob_sha(c.content),
                self.sha,
                self.url,
                parent,
            )
            for c in changes
        ]


def committer_notice() -> str:
    """Why a custom committer does not show on a commit of many files."""
    return (
        f"{named('committer-name')} and {named('committer-email')} do not apply to a commit of "
        "many files: GitHub records the token's owner as its author (and signs it)"
    )


def commit_input(
    repository: str, branch: str, head: str, changes: Sequence[FileWrite], message: str
) -> dict[str, Any]:
    """The mutation's ``CreateCommitOnBranchInput``."""
    headline, _, body = message.strip().partition("\n")
    additions = [
        {"path": c.path, "contents": base64.b64encode(c.content).decode("ascii")}
        for c in changes
        if c.content is not None
    ]
    deletions = [{"path": c.path} for c in changes if c.content is None]
    file_changes: dict[str, Any] = {}
    if additions:
        file_changes["additions"] = additions
    if deletions:
        file_changes["deletions"] = deletions
    said: dict[str, str] = {"headline": headline}
    if body.strip():
        said["body"] = body.strip("\n")
    return {
        "branch": {"repositoryNameWithOwner": repository, "branchName": branch},
        "expectedHeadOid": head,
        "message": said,
        "fileChanges": file_changes,
    }


def create_commit(requester: Requester, variables: dict[str, Any], where: str, hint: str) -> Made:
    """Send the mutation; GitHub's refusals become ConflictError or GitHubError.

    ``where`` names the branch for messages (``owner/name@branch``); ``hint`` is what to do
    when branch protection refuses.
    """
    count = sum(len(v) for v in variables["input"]["fileChanges"].values())
    doing = f"commit {count} file{'s' if count != 1 else ''}"
    tries = 0
    while True:
        tries += 1
        try:
            _, data = requester.graphql_query(COMMIT_MUTATION, variables)
            break
        except GithubException as exc:
            limited = rate_limit(exc.data) if isinstance(exc.data, dict) else None
            if limited is None:
                raise _translated(exc, where, doing, hint) from None
            # Refused by a rate limit, the commit was not made: wait as for any query, and
            # send it again (the deadline ends the waits).
            wait_out(requester, exc.headers or {}, limited, tries)
    made = ((data.get("data") or {}).get("createCommitOnBranch") or {}).get("commit") or {}
    sha = made.get("oid")
    if not isinstance(sha, str):
        raise GitHubError(f"GitHub answered the request to {doing} to {where} with no commit")
    url = made.get("url")
    return Made(sha, url if isinstance(url, str) else None)


def _translated(exc: GithubException, where: str, doing: str, hint: str) -> Exception:
    """The project's error for a refused commit; ``exc`` itself when GraphQL did not answer
    (the store translates it as any other)."""
    refusal = _refusal(exc, where, doing, hint)
    if refusal is None and exc.status >= 500:
        # GitHub may have made the commit before its answer failed (a 502 or 504 is also how
        # it ends a request it cut after 10 s): the caller reads again to see.
        refusal = ConflictError(
            f"could not {doing}: GitHub answered {exc.status}, the commit may or may not have "
            "been made",
            outdated=False,
        )
    return exc if refusal is None else refusal


def _refusal(exc: GithubException, where: str, doing: str, hint: str) -> Exception | None:
    """The project's error for GraphQL ``errors``; None when the answer carries none."""
    data = exc.data if isinstance(exc.data, dict) else {}
    errors = [e for e in data.get("errors") or [] if isinstance(e, dict)]
    if not errors:
        return None
    kinds = {str(e.get("type")) for e in errors}
    said = graphql_errors(exc)
    if "STALE_DATA" in kinds or "Expected branch to point to" in said:
        # Another commit landed after this run read the branch: read again.
        return ConflictError(f"could not {doing}: {where} moved meanwhile ({said})", outdated=False)
    if "requested for deletion which does not exist" in said:
        return ConflictError(f"could not {doing}: a file was deleted from {where} ({said})")
    if "BRANCH_PROTECTION_RULE_VIOLATION" in kinds or is_protection_text(said):
        return protection_error(where, doing, f"GraphQL: {said}", hint)
    if "FORBIDDEN" in kinds:
        return GitHubError(
            f"the token cannot {doing} in {where} (GraphQL: {said}): give it `contents: write` "
            "on the registry repository"
        )
    if "NOT_FOUND" in kinds:
        return GitHubError(
            f"could not {doing}: GitHub did not find {where} (GraphQL: {said}); check "
            f"{setting('registry-repository')}, {setting('registry-branch')} and that the token "
            "has access"
        )
    return GitHubError(f"GitHub refused to {doing} to {where} (GraphQL: {said})")
