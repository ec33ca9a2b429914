"""A registry in a GitHub repository, through the REST Contents API (PyGithub).

This is the only module that imports PyGithub. It owns the HTTP client, its timeouts and its
transport-level retries, and translates GitHub's answers into the project's errors with advice.
The token is only ever handed to PyGithub's Token auth, which sends it in the Authorization
header; it never appears in a URL.
"""

from __future__ import annotations

import base64
from typing import Any, NoReturn

from github import Auth, Github, GithubException, GithubRetry, InputGitAuthor
from github.Commit import Commit
from github.ContentFile import ContentFile
from github.Repository import Repository

from registry_action.errors import GitHubError
from registry_action.store.interface import ConflictError, RegistryStore, StoredFile, WriteResult

# A request that takes longer than this is abandoned and retried: GitHub answers Contents API
# calls in well under a second, and a hung connection must not hold a deploy pipeline.
TIMEOUT_SECONDS = 20
# Transport retries (5xx, resets, timeouts, rate limits with Retry-After) are PyGithub's
# GithubRetry, which knows GitHub's rate-limit signals; conflicts are the publish loop's.
TRANSPORT_RETRIES = 4
RETRY_BACKOFF_FACTOR = 0.5
# Waiting for a rate-limit reset longer than this would stall a pipeline: stop and say when.
MAX_RATE_LIMIT_WAIT_SECONDS = 120
# A secondary rate limit without Retry-After: GitHub asks for at least a minute; we wait less
# because each run makes only a handful of requests.
SECONDARY_RATE_WAIT_SECONDS = 30
# What to do when branch protection refuses a direct write to the registry branch.
PULL_REQUEST_HINT = (
    "set `pull-request: true` to propose the change as a pull request instead, or let the "
    "token bypass the rule"
)


def make_client(token: str, api_url: str) -> Github:
    """A PyGithub client with this program's timeouts, retries and no self-throttling."""
    retry = GithubRetry(
        total=TRANSPORT_RETRIES,
        backoff_factor=RETRY_BACKOFF_FACTOR,
        secondary_rate_wait=SECONDARY_RATE_WAIT_SECONDS,
        max_rate_limit_wait=MAX_RATE_LIMIT_WAIT_SECONDS,
        raise_on_status=False,
    )
    # PyGithub waits 0.25 s between requests and 1 s between writes by default; a run makes at
    # most a few requests, so that throttle only slows every pipeline down.
    return Github(
        auth=Auth.Token(token),
        base_url=api_url.rstrip("/"),
        timeout=TIMEOUT_SECONDS,
        retry=retry,
        seconds_between_requests=None,
        seconds_between_writes=None,
        per_page=100,
        lazy=True,
    )


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
        self._protected_hint = protected_hint
        self._repo: Repository = client.get_repo(repository, lazy=True)
        self._branch = branch
        self._committer = InputGitAuthor(*committer) if committer else None

    @property
    def branch(self) -> str:
        """The branch written; the repository's default branch unless one was given."""
        if self._branch is None:
            try:
                self._branch = self._repo.default_branch
            except GithubException as exc:
                self._fail(exc, "read the repository")
        return self._branch

    @property
    def description(self) -> str:
        return f"{self._repository_name}@{self.branch}"

    def read(self, path: str) -> StoredFile | None:
        try:
            found = self._repo.get_contents(path, ref=self.branch)
        except GithubException as exc:
            if exc.status == 404 and not _is_missing_ref(exc):
                return None
            self._fail(exc, f"read {path}")
        if isinstance(found, list):
            raise GitHubError(f"{path} in {self.description} is a folder, not a file")
        return StoredFile(path, self._content(found), found.sha)

    def _content(self, found: ContentFile) -> bytes:
        # Above 1 MB the Contents API sends no inline content (encoding "none"): read the blob.
        if found.raw_data.get("encoding") == "base64" and found.raw_data.get("content"):
            return base64.b64decode(found.raw_data["content"])
        if found.size == 0:
            return b""
        try:
            blob = self._repo.get_git_blob(found.sha)
        except GithubException as exc:
            self._fail(exc, f"read {found.path}")
        return base64.b64decode(blob.content)

    def list_dir(self, path: str) -> list[str]:
        try:
            found = self._repo.get_contents(path, ref=self.branch)
        except GithubException as exc:
            if exc.status == 404 and not _is_missing_ref(exc):
                return []
            self._fail(exc, f"list {path}")
        entries = found if isinstance(found, list) else [found]
        return sorted(entry.path for entry in entries if entry.type == "file")

    def write(self, path: str, content: bytes, expected: str | None, message: str) -> WriteResult:
        extra: dict[str, Any] = {"committer": self._committer} if self._committer else {}
        try:
            if expected is None:
                result = self._repo.create_file(path, message, content, self.branch, **extra)
            else:
                result = self._repo.update_file(
                    path, message, content, expected, self.branch, **extra
                )
        except GithubException as exc:
            self._fail(exc, f"write {path}")
        new_file, commit = result["content"], result["commit"]
        return WriteResult(path, new_file.sha, commit.sha, commit.html_url)

    def delete(self, path: str, expected: str, message: str) -> WriteResult:
        extra: dict[str, Any] = {"committer": self._committer} if self._committer else {}
        try:
            result = self._repo.delete_file(path, message, expected, self.branch, **extra)
        except GithubException as exc:
            self._fail(exc, f"delete {path}")
        commit = result["commit"]
        if isinstance(commit, Commit):
            return WriteResult(path, None, commit.sha, commit.html_url)
        return WriteResult(path, None, None)

    def _fail(self, exc: GithubException, doing: str) -> NoReturn:
        raise translate(
            exc, self._repository_name, self._branch, doing, self._protected_hint
        ) from None


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    return str(data.get("message") or exc.data or "")


def _is_missing_ref(exc: GithubException) -> bool:
    return "No commit found for the ref" in _message(exc)


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
    message = _message(exc).lower()
    if _is_protection(exc):
        return False
    if exc.status == 409:
        return "rule" not in message and "protected" not in message
    return exc.status == 422 and "sha" in message


def translate(
    exc: GithubException,
    repository: str,
    branch: str | None,
    doing: str,
    protected_hint: str = PULL_REQUEST_HINT,
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
        return ConflictError(f"could not {doing}: {where} changed meanwhile ({message})")
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
