"""GitHub's refusals and silences, turned into the project's errors with what to do.

GitHub's texts are matched as github.com words them (cited at each pattern); everything else
keeps its status and message, so a user can still search for it. A rate limit that the
retries (http.py) could not wait out arrives as RateLimitPastDeadline, with the wait it asked.
urllib3 reports a refused connection and a name that does not resolve as kinds of connect
timeout (``NewConnectionError`` and ``NameResolutionError`` derive from
``ConnectTimeoutError``), so they are told apart before a timeout is assumed.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from github import GithubException
from github.GithubException import RateLimitExceededExceedsMaxWait, RateLimitExceededException
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from registry_action.errors import GaveUpError, GitHubError
from registry_action.settings.spelling import advise, permission, setting, token_advice
from registry_action.store.interface import ConflictError, Deadline

if TYPE_CHECKING:  # waits.py imports this module
    from registry_action.store.github.waits import Waits

NO_TIME_NAMED = "GitHub named no time"


def github_message(data: Any) -> str:
    """GitHub's words in an error's body: its ``message``, else the body itself, on one line."""
    message = data.get("message") if isinstance(data, dict) else None
    return " ".join(str(message or data or "").split())


@dataclass(frozen=True)
class RateWait:
    """How long a rate limit asks to wait, and what said so."""

    kind: str  # "secondary" or "primary"
    seconds: float
    source: str


class RateLimitPastDeadline(RateLimitExceededExceedsMaxWait):
    """A rate limit whose wait would end after the run's deadline."""

    def __init__(self, status: int, data: Any, headers: Mapping[str, str], asked: RateWait):
        super().__init__(status, data, dict(headers), wait=asked.seconds)
        self.asked = asked


class LimitedWrite(GithubException):
    """A write GitHub's secondary limit refused, that its caller asked not to be made again
    after the wait (``pause``: the wait, spread included): the caller reads again first."""

    def __init__(self, status: int, data: Any, headers: Mapping[str, str], pause: float):
        super().__init__(status, data, dict(headers))
        self.pause = pause


def pull_request_hint() -> str:
    """What to do when branch protection refuses a direct write to the registry branch."""
    return (
        f"{advise('pull-request', 'true')} to propose the change as a pull request instead, or "
        "let the token bypass the rule"
    )


def _message(exc: GithubException) -> str:
    text = github_message(exc.data)
    if "<html" in text.lower():
        # An HTML error page (a 502 from GitHub's front end, which PyGithub wraps as
        # {"data": page}), never a message of GitHub's API: its status says all it can.
        return _reason(exc.status)
    return text


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


# What a refused Contents API write says when the version it carried no longer holds (measured
# against github.com): a stale blob sha, "<path> does not match <sha>"; the branch moving during
# the write, "is at <sha> but expected <sha>" (older answers: "... expected to be at <sha>"); a
# file created meanwhile, '"sha" wasn't supplied'. A contents write's 409 is a conflict by its
# status whatever its words, unless branch protection says it refused (below); only whether the
# file itself changed is read from the words. Other 422s are refusals a retry cannot fix.
_BRANCH_MOVED = re.compile(r"^is at [0-9a-f]{40} but expected|\bexpected to be at\b")
_CONFLICT_422 = re.compile(r"\"sha\" wasn't supplied")


# How GitHub words a write refused by branch protection or a repository ruleset. Rulesets:
# 409 "Repository rule violations found\n\nChanges must be made through a pull request.";
# classic protection on the Contents API: 409 "Could not update file: Changes must be made
# through a pull request." or "Could not create file: 2 of 2 required status checks are
# expected."; git references: 422 "Protected branch update failed for refs/heads/main." or
# "Cannot delete a protected branch"; GraphQL: "protected branch 'main' check failed: ..."
# (type BRANCH_PROTECTION_RULE_VIOLATION, microsoft/vscode-remote-repositories-github#252).
_PROTECTION_SIGNS = (
    "repository rule violation",
    "protected branch",
    "must be made through a pull request",
    "required status check",
    "could not create file:",
    "could not update file:",
    "could not delete file:",
)


def is_protection_text(message: str) -> bool:
    """Whether GitHub's words say branch protection or a ruleset refused a write."""
    lowered = message.lower()
    return any(sign in lowered for sign in _PROTECTION_SIGNS)


def _is_protection(exc: GithubException) -> bool:
    return exc.status in (403, 409, 422) and is_protection_text(_message(exc))


def _is_conflict(exc: GithubException, contents_write: bool) -> bool:
    if _is_protection(exc):
        return False
    if exc.status == 409:
        return contents_write or _BRANCH_MOVED.search(_message(exc)) is not None
    return exc.status == 422 and _CONFLICT_422.search(_message(exc)) is not None


def protection_error(where: str, doing: str, said: str, hint: str | None) -> GitHubError:
    """The one line for a write that branch protection or a ruleset refused."""
    flat = " ".join(said.split())
    return GitHubError(
        f"branch protection or a repository rule on {where} refused to {doing} "
        f"({flat}): {hint or pull_request_hint()}"
    )


def translate(
    exc: GithubException,
    repository: str,
    branch: str | None,
    doing: str,
    protected_hint: str | None = None,
    waits: Waits | None = None,
    *,
    contents_write: bool = False,
    names: tuple[str, str] = ("registry-repository", "registry-branch"),
) -> Exception:
    """The project's error for a GitHub refusal, with what to do about it.

    ``contents_write``: the request was a Contents API PUT or DELETE, whose 409 is a conflict.
    ``names``: the settings that named the repository and the branch, for the advice.
    """
    status, message = exc.status, _message(exc)
    where = f"{repository}@{branch}" if branch else repository
    if _is_protection(exc):
        return protection_error(where, doing, f"{status} {message}", protected_hint)
    if _is_conflict(exc, contents_write):
        return ConflictError(
            f"could not {doing}: {where} changed meanwhile ({status} {message})",
            outdated=_BRANCH_MOVED.search(message) is None,
        )
    if isinstance(exc, LimitedWrite):
        refusal = ConflictError(
            f"could not {doing}: GitHub's secondary rate limit refused it ({status} "
            f"{message[:80]})",
            outdated=False,
        )
        refusal.least = exc.pause
        return refusal
    if isinstance(exc, RateLimitExceededException) or status == 429:
        return rate_limit_error(exc, doing, waits)
    if status >= 500:
        tried = f" after {waits.tried()}" if waits else ""
        return GaveUpError(
            f"could not {doing}: GitHub kept failing ({status} {message or 'server error'})"
            f"{tried}; see https://www.githubstatus.com and re-run"
        )
    return _refused(exc, repository, branch, doing, names)


def _refused(
    exc: GithubException,
    repository: str,
    branch: str | None,
    doing: str,
    names: tuple[str, str],
) -> Exception:
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
            f"the token cannot {doing} in {where} (403 {message}): give it {permission()} "
            f"on {repository} (a GitHub App installed on it, or a fine-grained token)"
        )
    if status == 404 and is_missing_ref(exc):
        return GitHubError(
            f"the branch {branch!r} does not exist in {repository}: create it or "
            f"{advise(names[1])} to an existing branch"
        )
    if status == 404:
        return GitHubError(
            f"could not {doing}: {repository} was not found (404), or the token cannot see it; "
            f"check {setting(names[0])} and that the token has access to that "
            "repository"
        )
    return GitHubError(f"GitHub refused to {doing} in {where} ({status} {message})")


def rate_limit_error(exc: GithubException, doing: str, waits: Waits | None) -> GaveUpError:
    """The one line for a rate limit the run could not wait out within its deadline."""
    message = github_message(exc.data) or "rate limited"
    shown = message if len(message) <= 160 else message[:157] + "..."
    # Only this program's retries measure the wait: a 403 or 429 reaches here through them.
    no_wait = RateWait("secondary", 0.0, NO_TIME_NAMED)
    wait = exc.asked if isinstance(exc, RateLimitPastDeadline) else no_wait
    deadline = waits.deadline if waits else Deadline(0)
    tried = f" after {waits.tried()}" if waits else ""
    what = (
        "the token's primary rate limit is used up"
        if wait.kind == "primary"
        else "GitHub's secondary rate limit (shared by everything that uses this token or App "
        "installation) was hit"
    )
    if waits is not None and not isinstance(exc, RateLimitPastDeadline):
        # The retries ran out of tries, not of time: the limit held through every wait.
        return GaveUpError(f"could not {doing}: {what} ({exc.status} {shown}){tried}; re-run later")
    return GaveUpError(
        f"could not {doing}: {what} ({exc.status} {shown}); it asks to wait {wait.seconds:.0f} s "
        f"({wait.source}), more than the {max(deadline.remaining(), 0):.0f} s left{tried}: "
        f"{deadline.advice()}"
    )


def unreachable(
    exc: Exception, repository: str, doing: str, waits: Waits | None = None
) -> GaveUpError:
    """The error for a request that never got an answer (timeouts, resets, refused connections)."""
    reason = why_unreachable(exc)
    tried = f" after {waits.tried()}" if waits and not refused(cause_of(exc)) else ""
    return GaveUpError(
        f"could not {doing} in {repository}: {reason}{tried}; check {setting('api-url')} and "
        "the network, then re-run"
    )


def cause_of(exc: BaseException) -> BaseException | None:
    """The urllib3 error under a requests error (the reason of its MaxRetryError)."""
    inner = exc.args[0] if exc.args else None
    return getattr(inner, "reason", None) if isinstance(inner, BaseException) else None


def refused(error: BaseException | None) -> bool:
    """Whether ``error`` is a connection the host actively refused (nothing listens there)."""
    return (
        isinstance(error, NewConnectionError)
        and not isinstance(error, NameResolutionError)
        and isinstance(error.__cause__, ConnectionRefusedError)
    )


def no_such_name(error: BaseException | None) -> bool:
    """Whether ``error`` is a host name the resolver says does not exist (not a resolver that
    failed for now, ``EAI_AGAIN``, which a retry may get past)."""
    cause = error.__cause__ if isinstance(error, NameResolutionError) else None
    return isinstance(cause, socket.gaierror) and cause.errno in _NO_SUCH_NAME


# getaddrinfo's answers for a name with no address: it does not exist, or has no address.
_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def why_unreachable(exc: Exception) -> str:
    """One clause: refused, name not found, timed out, or reset."""
    cause = cause_of(exc)
    request = getattr(exc, "request", None)
    host = urlsplit(getattr(request, "url", None) or "").netloc or "the API's host"
    if isinstance(cause, NameResolutionError):
        return f"the name {urlsplit(f'//{host}').hostname} was not found (DNS)"
    if refused(cause):
        return f"the connection to {host} was refused (nothing listens there)"
    if isinstance(cause, NewConnectionError):
        return f"no connection could be made to {host}"
    if isinstance(exc, requests.Timeout) or isinstance(cause, TimeoutError | Urllib3Timeout):
        return "GitHub did not answer in time"
    if isinstance(exc, requests.ConnectionError):
        return "the connection failed or was reset"
    return type(exc).__name__


def graphql_errors(exc: GithubException) -> str:
    """The messages of a GraphQL answer's ``errors``, on one line."""
    data = exc.data if isinstance(exc.data, dict) else {}
    errors = data.get("errors")
    if not isinstance(errors, list):
        return ""
    messages = [str(e.get("message")) for e in errors if isinstance(e, dict)]
    return "; ".join(" ".join(m.split()) for m in messages)
