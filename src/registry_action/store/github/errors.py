"""GitHub's refusals and silences, turned into the project's errors with what to do.

GitHub's texts are matched as github.com words them (cited at each pattern); everything else
keeps its status and message, so a user can still search for it.
"""

from __future__ import annotations

import re
from http import HTTPStatus

from github import GithubException
from github.GithubException import RateLimitExceededException

from registry_action.errors import GaveUpError, GitHubError
from registry_action.settings.spelling import advise, setting, token_advice
from registry_action.store.github.faults import cause_of, refused, why_unreachable
from registry_action.store.github.retry import RateLimitPastDeadline, Transport, rate_limit_error
from registry_action.store.interface import ConflictError


def pull_request_hint() -> str:
    """What to do when branch protection refuses a direct write to the registry branch."""
    return (
        f"{advise('pull-request', 'true')} to propose the change as a pull request instead, or "
        "let the token bypass the rule"
    )


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    text = str(data.get("message") or exc.data or "")
    if not data.get("message") and "<html" in text.lower():
        # An HTML error page (a 502 from GitHub's front end): its status says all it can.
        return _reason(exc.status)
    return " ".join(text.split())


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error page"


def is_missing_ref(exc: GithubException) -> bool:
    message = _message(exc)  # a read names the ref, a write the branch
    return "No commit found for the ref" in message or bool(
        re.match(r"Branch .* not found", message)
    )


# GitHub's answers when the version a write carried no longer holds (measured against
# github.com): a stale blob sha, "<path> does not match <sha>"; the branch moving during the
# write, "is at <sha> but expected <sha>"; a file created meanwhile, '"sha" wasn't supplied'.
# Other 409s ("Repository rule violations found", "Git Repository is empty.") and other 422s
# are refusals that a retry cannot fix.
_CONFLICT_409 = re.compile(r"does not match [0-9a-f]{4,40}\b|^is at [0-9a-f]{40} but expected")
_CONFLICT_422 = re.compile(r"\"sha\" wasn't supplied")


# How GitHub words a write refused by branch protection or a repository ruleset. Rulesets:
# 409 "Repository rule violations found\n\nChanges must be made through a pull request.";
# classic protection on the Contents API: 409 "Could not update file: Changes must be made
# through a pull request." or "Could not create file: 2 of 2 required status checks are
# expected."; git references: 422 "Protected branch update failed for refs/heads/main." or
# "Cannot delete a protected branch".
_PROTECTION_SIGNS = (
    "repository rule violation",
    "protected branch",
    "must be made through a pull request",
    "required status check",
    "could not create file:",
    "could not update file:",
    "could not delete file:",
)


def _is_protection(exc: GithubException) -> bool:
    message = _message(exc).lower()
    return exc.status in (403, 409, 422) and any(sign in message for sign in _PROTECTION_SIGNS)


def _is_conflict(exc: GithubException) -> bool:
    if _is_protection(exc):
        return False
    message = _message(exc)
    if exc.status == 409:
        return _CONFLICT_409.search(message) is not None
    return exc.status == 422 and _CONFLICT_422.search(message) is not None


def translate(
    exc: GithubException,
    repository: str,
    branch: str | None,
    doing: str,
    protected_hint: str | None = None,
    transport: Transport | None = None,
) -> Exception:
    """The project's error for a GitHub refusal, with what to do about it."""
    status, message = exc.status, _message(exc)
    where = f"{repository}@{branch}" if branch else repository
    if _is_protection(exc):
        flat = " ".join(message.split())
        return GitHubError(
            f"branch protection or a repository rule on {where} refused to {doing} "
            f"({status} {flat}): {protected_hint or pull_request_hint()}"
        )
    if _is_conflict(exc):
        return ConflictError(
            f"could not {doing}: {where} changed meanwhile ({message})",
            outdated=not message.startswith("is at "),
        )
    if isinstance(exc, RateLimitPastDeadline | RateLimitExceededException) or status == 429:
        return rate_limit_error(exc, doing, transport)
    if status >= 500:
        tried = f" after {transport.tried()}" if transport else ""
        return GaveUpError(
            f"could not {doing}: GitHub kept failing ({status} {message or 'server error'})"
            f"{tried}; see https://www.githubstatus.com and re-run"
        )
    return _refused(exc, repository, branch, doing)


def _refused(exc: GithubException, repository: str, branch: str | None, doing: str) -> Exception:
    """The error for a refusal that no retry can fix: the token, the repository, the branch."""
    status, message = exc.status, _message(exc)
    where = f"{repository}@{branch}" if branch else repository
    if status == 401:
        return GitHubError(
            f"GitHub rejected the token (401 {message}): it is wrong, expired or revoked; "
            f"{token_advice()}"
        )
    if status == 403:
        return GitHubError(
            f"the token cannot {doing} in {where} (403 {message}): give it `contents: write` "
            f"on {repository} (a GitHub App installed on it, or a fine-grained token)"
        )
    if status == 404 and is_missing_ref(exc):
        return GitHubError(
            f"the branch {branch!r} does not exist in {repository}: create it or "
            f"{advise('registry-branch')} to an existing branch"
        )
    if status == 404:
        return GitHubError(
            f"could not {doing}: {repository} was not found (404), or the token cannot see it; "
            f"check {setting('registry-repository')} and that the token has access to that "
            "repository"
        )
    return GitHubError(f"GitHub refused to {doing} in {where} ({status} {message})")


def unreachable(
    exc: Exception, repository: str, doing: str, transport: Transport | None = None
) -> GaveUpError:
    """The error for a request that never got an answer (timeouts, resets, refused connections)."""
    reason = why_unreachable(exc)
    tried = f" after {transport.tried()}" if transport and not refused(cause_of(exc)) else ""
    return GaveUpError(
        f"could not {doing} in {repository}: {reason}{tried}; check {setting('api-url')} and "
        "the network, then re-run"
    )
