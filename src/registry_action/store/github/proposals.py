"""Branches and pull requests of a GitHub registry, for pull-request mode (PyGithub).

A sibling of contents.py rather than more of it: that module is the Contents API store every
run uses, and keeping the pull-request calls apart keeps both small. Refusals are translated
by the same ``translate`` so the advice a user reads is the same.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, NoReturn
from urllib.parse import quote

import requests
from github import Github, GithubException
from github.PullRequest import PullRequest as GithubPull
from github.Repository import Repository

from registry_action.errors import GitHubError
from registry_action.store.github.contents import GitHubStore
from registry_action.store.github.errors import github_message, translate
from registry_action.store.github.http import waits_of
from registry_action.store.interface import ConflictError, ProposalHost, PullRequest, RegistryStore

# When rules also cover the proposal branches, pull-request mode cannot help by itself.
BRANCH_RULE_HINT = (
    "let the token create and update `registry/*` branches (exclude them from the rule, or "
    "let the token bypass it)"
)


# GitHub's one answer for every refused ref write (github/rest-api-description#4887), and what
# gives it: a ruleset's "Restrict creations" or "Restrict updates"; classic protection of a
# matching branch; a branch named like a folder of the new one (release-please#1024).
REF_CAUSES = (
    "its known causes: a ruleset of the repository or its organization restricting "
    "`registry/*` branches (exclude them from its targets or let the token bypass it), classic "
    "branch protection matching `registry/*` (let the token push there), or an existing branch "
    "named `registry` (git keeps no `registry/<id>` beside it: rename or delete that branch)"
)


class GitHubProposals(ProposalHost):
    """Proposal branches and pull requests into ``base`` of ``repository``."""

    def __init__(
        self,
        client: Github,
        repository: str,
        base: str,
        committer: tuple[str, str] | None = None,
    ) -> None:
        self._client = client
        self._repository = repository
        self._repo: Repository = client.get_repo(repository)  # the client is lazy: no request
        self._base = base
        self._committer = committer

    @property
    def base(self) -> str:
        return self._base

    def files_on(self, branch: str) -> RegistryStore:
        return GitHubStore(
            self._client,
            self._repository,
            branch,
            committer=self._committer,
            protected_hint=BRANCH_RULE_HINT,
        )

    def find_open_pull(self, head: str) -> PullRequest | None:
        owner = self._repository.partition("/")[0]
        try:
            found = self._repo.get_pulls(state="open", head=f"{owner}:{head}", base=self._base)
            pull = next(iter(found), None)
        except GithubException as exc:
            self._fail(exc, "list its pull requests", self._base)
        return self._remember(pull) if pull is not None else None

    def start_branch(self, name: str) -> None:
        try:
            sha = self._repo.get_git_ref(f"heads/{self._base}").object.sha
            ref = self._repo.get_git_ref(f"heads/{name}")
            exists = _exists(lambda: ref.object)
        except GithubException as exc:
            self._fail(exc, f"read the branches {self._base} and {name}", self._base)
        try:
            if exists:
                self._patch(f"git/refs/heads/{quote(name)}", {"sha": sha, "force": True})
            else:
                self._repo.create_git_ref(f"refs/heads/{name}", sha)
        except GithubException as exc:
            if exc.status == 422 and "already exists" in str(exc.data):
                raise ConflictError(f"the branch {name} was created meanwhile") from None
            self._fail(exc, f"{'reset' if exists else 'create'} the branch {name}", name)

    def create_pull(self, head: str, title: str, body: str) -> PullRequest:
        try:
            pull = self._repo.create_pull(base=self._base, head=head, title=title, body=body)
        except GithubException as exc:
            if exc.status == 422 and "already exists" in str(exc.data):
                raise ConflictError(f"a pull request from {head} was opened meanwhile") from None
            # The branch was just started for this pull request: a re-run starts it again.
            self._drop_branch(head)
            self._fail(exc, "open a pull request", self._base)
        return self._remember(pull)

    def update_pull(self, number: int, title: str, body: str) -> PullRequest:
        try:
            data = self._patch(f"pulls/{number}", {"title": title, "body": body})
        except GithubException as exc:
            self._fail(exc, f"update pull request #{number}", self._base)
        return PullRequest(int(data.get("number", number)), str(data.get("html_url", "")))

    def _patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH a path of the repository, built from `api-url` (never from a response's URL:
        behind a proxy those name another host, which PyGithub refuses with an assertion)."""
        url = f"{self._repo.url}/{path}"
        _, data = self._repo.requester.requestJsonAndCheck("PATCH", url, input=body)
        return data if isinstance(data, dict) else {}

    def _drop_branch(self, name: str) -> None:
        """Delete the branch ``name`` if GitHub lets us; a branch left is reset by the next run."""
        url = f"{self._repo.url}/git/refs/heads/{quote(name)}"
        with contextlib.suppress(GithubException, requests.RequestException):
            self._repo.requester.requestJsonAndCheck("DELETE", url)

    def _remember(self, pull: GithubPull) -> PullRequest:
        return PullRequest(pull.number, pull.html_url)

    def _fail(self, exc: GithubException, doing: str, branch: str) -> NoReturn:
        error = translate(
            exc, self._repository, branch, doing, BRANCH_RULE_HINT, waits_of(self._client)
        )
        said = github_message(exc.data)
        reasons = _reasons(exc.data)
        if exc.status == 422 and reasons and said == "Validation Failed":
            # GitHub's reasons are in `errors` ("body is too long (maximum is ...)"), not in
            # its message: without them the line would not say what to change.
            error = GitHubError(
                f"GitHub refused to {doing} in {self._repository}@{branch} (422 {said}: {reasons})"
            )
        if exc.status == 422 and "reference update failed" in said.lower():
            error = GitHubError(
                f"GitHub refused to {doing} in {self._repository} (422 {said}); {REF_CAUSES}"
            )
        if exc.status == 403 and "pull request" in doing and "protection" not in str(error):
            # Contents alone is not enough here: the advice must name the other permission.
            error = GitHubError(
                f"the token cannot {doing} in {self._repository} (403 {said}): give "
                f"it `pull-requests: write` as well as `contents: write` on {self._repository}"
            )
        raise error from None


def _reasons(data: Any) -> str:
    """The reasons listed in a 422's ``errors``, on one line ("body is too long ...")."""
    errors = data.get("errors") if isinstance(data, dict) else None
    found = []
    for item in errors if isinstance(errors, list) else []:
        if isinstance(item, dict):
            text = item.get("message") or " ".join(
                str(item[key]) for key in ("field", "code") if item.get(key)
            )
            found.append(" ".join(str(text).split()))
    return "; ".join(reason for reason in found if reason)


def _exists(read: Callable[[], object]) -> bool:
    """Whether reading a lazily fetched GitHub object finds it (404 means it does not)."""
    try:
        read()
    except GithubException as exc:
        if exc.status == 404:
            return False
        raise
    return True
