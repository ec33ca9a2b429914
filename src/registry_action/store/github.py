"""A registry in a GitHub repository, through the REST Contents API (PyGithub).

This is the only module that imports PyGithub. It owns the HTTP client, its timeouts and its
transport-level retries, and translates GitHub's answers into the project's errors with advice.
The token is only ever handed to PyGithub's Token auth, which sends it in the Authorization
header; it never appears in a URL.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException, InputGitAuthor
from github.Commit import Commit
from github.ContentFile import ContentFile
from github.GithubException import RateLimitExceededException
from github.Repository import Repository
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from registry_action.errors import GaveUpError, GitHubError
from registry_action.retry import Deadline
from registry_action.store import github_transport
from registry_action.store.github_moves import Found, find, moved_notice, redirect_refused
from registry_action.store.github_retry import (
    SECONDARY_WAIT_SECONDS,
    GitHubRetry,
    RateLimitPastDeadline,
    Transport,
    rate_limit_error,
)
from registry_action.store.github_tree import TreeReader
from registry_action.store.interface import (
    ConflictError,
    RegistryStore,
    StoredFile,
    VanishedError,
    WriteResult,
)

T = TypeVar("T")

# A request that takes longer than this is abandoned and retried: GitHub answers Contents API
# calls in well under a second, and a hung connection must not hold a deploy pipeline.
TIMEOUT_SECONDS = 20
# What to do when branch protection refuses a direct write to the registry branch.
PULL_REQUEST_HINT = (
    "set `pull-request: true` to propose the change as a pull request instead, or let the "
    "token bypass the rule"
)


class _Client(Github):
    """A PyGithub client that remembers its transport, for messages that count tries."""

    transport: Transport


def make_client(
    token: str,
    api_url: str,
    *,
    timeout: int = TIMEOUT_SECONDS,
    deadline: Deadline | None = None,
    log: Callable[[str], None] = print,
    secondary_wait: float = SECONDARY_WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    epoch: Callable[[], float] = time.time,
) -> Github:
    """A PyGithub client with this program's timeouts, retries and no self-throttling.

    Transport retries (rate limits, 5xx, resets, timeouts) are GitHubRetry's, until
    ``deadline``; conflicts are the publish loop's. ``sleep`` and ``epoch`` let tests wait
    nothing.
    """
    transport = Transport(
        deadline=deadline or Deadline(),
        log=log,
        sleep=sleep,
        epoch=epoch,
        secondary_wait=secondary_wait,
    )
    # PyGithub waits 0.25 s between requests and 1 s between writes by default; a run makes at
    # most a few requests, so that throttle only slows every pipeline down.
    github_transport.install()
    client = _Client(
        auth=Auth.Token(token),
        base_url=api_url.rstrip("/"),
        timeout=timeout,
        retry=GitHubRetry(transport),
        seconds_between_requests=None,
        seconds_between_writes=None,
        per_page=100,
        lazy=True,
    )
    client.transport = transport
    return client


def transport_of(client: Github) -> Transport | None:
    """The transport of a client made by make_client."""
    return client.transport if isinstance(client, _Client) else None


class GitHubStore(RegistryStore):
    """Files on one branch of a GitHub repository."""

    def __init__(
        self,
        client: Github,
        repository: str,
        branch: str | None,
        committer: tuple[str, str] | None = None,
        protected_hint: str = PULL_REQUEST_HINT,
    ) -> None:
        self._repository_name = repository
        self._transport = transport_of(client)
        self._protected_hint = protected_hint
        # The client is lazy: no request until a file is read or written.
        self._client = client
        self._repo: Repository = client.get_repo(repository)
        self._branch = branch
        self._committer = InputGitAuthor(*committer) if committer else None
        self._found: Found | None = None
        # With the branch given, the repository is looked up only once a redirect has shown
        # that it moved: a run against a repository under its own name saves that request.
        self._moved = False
        self._notices: tuple[str, ...] = ()

    def _call(self, doing: str, request: Callable[[], T], *, may_be_missing: bool = False) -> T:
        """Run one PyGithub call; every way it can fail becomes one of the project's errors."""
        try:
            return request()
        except GithubException as exc:
            if may_be_missing and exc.status == 404 and not _is_missing_ref(exc):
                raise _Missing from None
            raise translate(
                exc,
                self._repository_name,
                self._branch,
                doing,
                self._protected_hint,
                self._transport,
            ) from None
        except (requests.RequestException, Urllib3Error, OSError) as exc:
            raise unreachable(exc, self._repository_name, doing, self._transport) from None
        except KeyError:
            # A write answered 307 (the repository moved since it was looked up) carries none
            # of the fields PyGithub reads: look the repository up again and retry.
            self._found, self._moved = None, True
            raise ConflictError(
                f"could not {doing}: {self._repository_name} was renamed or moved meanwhile",
                outdated=False,
            ) from None
        except RuntimeError as exc:  # PyGithub refusing a redirect to another host
            refused = redirect_refused(exc, self._client.requester.base_url)
            if refused is None:
                raise
            raise refused from None

    def _ready(self) -> None:
        """Look the repository up again once a redirect has shown that it moved."""
        if self._moved and self._found is None:
            self._lookup()

    def _lookup(self) -> Found:
        """Look the repository up, so that every request names it as it is now."""
        if self._found is None:
            requester = self._client.requester
            found = self._call(
                "read the repository",
                lambda: find(requester, requester.base_url, self._repository_name),
            )
            notice = moved_notice(self._repository_name, found.full_name)
            if notice is not None:
                self._notices = (notice,)
                self._repository_name = found.full_name
                self._repo = self._client.get_repo(found.full_name)
            self._found = found
        return self._found

    @property
    def repository(self) -> str:
        """``owner/name`` of the registry as GitHub names it now."""
        _ = self.branch  # looks the repository up when the branch or a redirect needs it
        return self._repository_name

    @property
    def notices(self) -> tuple[str, ...]:
        return self._notices

    @property
    def branch(self) -> str:
        """The branch written; the repository's default branch unless one was given."""
        if self._branch is None:
            self._branch = self._lookup().default_branch
        self._ready()
        return self._branch

    @property
    def description(self) -> str:
        return f"{self._repository_name}@{self.branch}"

    def _get(self, path: str, doing: str) -> ContentFile | list[ContentFile] | None:
        branch = self.branch
        try:
            return self._call(
                doing, lambda: self._repo.get_contents(path, ref=branch), may_be_missing=True
            )
        except _Missing:
            return None

    def read(self, path: str) -> StoredFile | None:
        found = self._get(path, f"read {path}")
        if found is None:
            return None
        if isinstance(found, list):
            raise GitHubError(f"{path} in {self.description} is a folder, not a file")
        if f"/repos/{self._repository_name}/".lower() not in found.url.lower():
            # PyGithub followed a 301 by path, dropping ?ref=: this may be another branch's file.
            self._found, self._moved = None, True
            raise ConflictError(
                f"could not read {path}: {self._repository_name} was renamed or moved meanwhile",
                outdated=False,
            )
        return StoredFile(path, self._content(found), found.sha)

    def head(self) -> str | None:
        branch = self.branch
        ref = self._call("read the branch", lambda: self._repo.get_git_ref(f"heads/{branch}"))
        return ref.object.sha

    def read_at(self, path: str, commit: str | None) -> StoredFile | None:
        # A commit never changes, so a read at one is exact where a read of the branch may lag.
        ref = commit or self.branch
        try:
            found = self._call(
                f"read {path}",
                lambda: self._repo.get_contents(path, ref=ref),
                may_be_missing=True,
            )
        except _Missing:
            return None
        if isinstance(found, list):
            raise GitHubError(f"{path} in {self.description} is a folder, not a file")
        return StoredFile(path, self._content(found), found.sha)

    def _content(self, found: ContentFile) -> bytes:
        # Above 1 MB the Contents API sends no inline content (encoding "none"); the blob API
        # returns any file up to GitHub's 100 MB limit, and the sha pins the very version read.
        if found.raw_data.get("encoding") == "base64" and found.raw_data.get("content"):
            return base64.b64decode(found.raw_data["content"])
        if found.size == 0:
            return b""
        blob = self._call(f"read {found.path}", lambda: self._repo.get_git_blob(found.sha))
        return base64.b64decode(blob.content)

    def _trees(self) -> TreeReader:
        return TreeReader(
            self._client.requester,
            self._repo.url,
            self._repository_name,
            lambda doing, request: self._call(doing, request),
        )

    def _blob(self, path: str, sha: str) -> bytes:
        blob = self._call(f"read {path}", lambda: self._repo.get_git_blob(sha))
        return base64.b64decode(blob.content)

    def list_dir(self, path: str) -> list[str]:
        # The Contents API would list at most 1,000 files, without a word.
        branch = self.branch
        return sorted(self._trees().listing(branch, path)[1])

    def read_folder(self, path: str) -> dict[str, StoredFile]:
        """Every file of the folder in a few requests: one listing, one GraphQL query."""
        return self._trees().read_folder(self.branch, path, self._blob)

    def write(self, path: str, content: bytes, expected: str | None, message: str) -> WriteResult:
        extra: dict[str, Any] = {"committer": self._committer} if self._committer else {}
        branch = self.branch
        if expected is None:
            result = self._call(
                f"write {path}",
                lambda: self._repo.create_file(path, message, content, branch, **extra),
            )
        else:
            result = self._call(
                f"write {path}",
                lambda: self._repo.update_file(path, message, content, expected, branch, **extra),
            )
        new_file, commit = result["content"], result["commit"]
        assert isinstance(commit, Commit)  # noqa: S101 - PyGithub's union type, always a Commit
        return WriteResult(path, new_file.sha, commit.sha, commit.html_url, _parent(commit))

    def delete(self, path: str, expected: str, message: str) -> WriteResult:
        extra: dict[str, Any] = {"committer": self._committer} if self._committer else {}
        branch = self.branch
        try:
            result = self._call(
                f"delete {path}",
                lambda: self._repo.delete_file(path, message, expected, branch, **extra),
                may_be_missing=True,
            )
        except _Missing:  # the repository and branch were found: the file is what is missing
            raise VanishedError(f"{path} was deleted from {self.description} meanwhile") from None
        commit = result["commit"]
        if isinstance(commit, Commit):
            return WriteResult(path, None, commit.sha, commit.html_url, _parent(commit))
        return WriteResult(path, None, None)

    def last_changed(self, path: str) -> datetime | None:
        """When the last commit on the branch that changed ``path`` was made (commits API)."""
        from registry_action.store.github_history import last_commit_time

        branch = self.branch
        return self._call(
            f"read the history of {path}", lambda: last_commit_time(self._repo, branch, path)
        )


def _parent(commit: Commit) -> str | None:
    # The Contents API's answer carries the commit's parents: no request is made for them.
    parents = commit.parents
    return parents[0].sha if len(parents) == 1 else None


class _Missing(Exception):
    """A 404 for a path on an existing branch: there is no such file."""


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


def _is_missing_ref(exc: GithubException) -> bool:
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
    protected_hint: str = PULL_REQUEST_HINT,
    transport: Transport | None = None,
) -> Exception:
    """The project's error for a GitHub refusal, with what to do about it."""
    status, message = exc.status, _message(exc)
    where = f"{repository}@{branch}" if branch else repository
    if _is_protection(exc):
        flat = " ".join(message.split())
        return GitHubError(
            f"branch protection or a repository rule on {where} refused to {doing} "
            f"({status} {flat}): {protected_hint}"
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
    if status == 401:
        return GitHubError(
            f"GitHub rejected the token (401 {message}): it is wrong, expired or revoked; "
            "pass a valid token in the `token` input"
        )
    if status == 403:
        return GitHubError(
            f"the token cannot {doing} in {where} (403 {message}): give it `contents: write` "
            f"on {repository} (a GitHub App installed on it, or a fine-grained token)"
        )
    if status == 404 and _is_missing_ref(exc):
        return GitHubError(
            f"the branch {branch!r} does not exist in {repository}: create it or set "
            "`registry-branch` to an existing branch"
        )
    if status == 404:
        return GitHubError(
            f"could not {doing}: {repository} was not found (404), or the token cannot see it; "
            "check `registry-repository` and that the token has access to that repository"
        )
    return GitHubError(f"GitHub refused to {doing} in {where} ({status} {message})")


def unreachable(
    exc: Exception, repository: str, doing: str, transport: Transport | None = None
) -> GaveUpError:
    """The error for a request that never got an answer (timeouts, resets, refused connections)."""
    cause = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.Timeout) or isinstance(cause, TimeoutError | Urllib3Timeout):
        reason = "GitHub did not answer in time"
    elif isinstance(exc, requests.ConnectionError):
        reason = "the connection failed or was reset"
    else:
        reason = type(exc).__name__
    detail = " ".join(str(exc).split())[:200]
    tried = f" after {transport.tried()}" if transport else ""
    return GaveUpError(
        f"could not {doing} in {repository}: {reason}{tried} ({detail}); check `api-url` and "
        "the network, then re-run"
    )
