"""GraphQL's ``createCommitOnBranch``: one commit of many files, if the branch is still where
the client read it.

The mutation's own description in GitHub's schema (@octokit/graphql-schema, ``Mutation.
createCommitOnBranch``, ``CreateCommitOnBranchInput``, ``FileChanges``) is what is modelled:
"creates a commit whose parent is the HEAD of the provided branch and also updates that branch
to point to the new commit"; ``expectedHeadOid`` is "The git commit oid expected at the head of
the branch prior to the commit"; ``path`` values "must be unique across all additions and
deletions"; contents must be "RFC 4648 compliant base64"; deleting "a path that does not exist
on the given branch will abort the commit and return an error"; "omitting both will produce a
commit with no file changes"; "this mutation does not support specifying the author or
committer", and commits made with it "are automatically signed by GitHub". Errors come with
status 200 in ``errors``, as every GraphQL error does.

Not a GraphQL engine: the body must name ``createCommitOnBranch`` and pass the input as the
variable ``input`` (tests/contract checks the store's document against GitHub's schema).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from .contents import _mark_stale
from .core import Api, ApiRequest, ApiResponse
from .model import Repo
from .repos import RULES_MESSAGE

# GitHub ends a GraphQL request that runs past 10 seconds ("Rate limits and node limits for
# the GraphQL API", Timeouts): a commit's work grows with its files, so past this many the fake
# answers as GitHub does to a request it cut, and commits nothing.
MAX_FILES = 500
TIMEOUT_MESSAGE = (
    "Something went wrong while executing your query. This may be the result of a timeout, or "
    "it could be a GitHub bug. Please include `{id}` when reporting this issue."
)


class _Refused(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


def graphql_mutation(api: Api, req: ApiRequest) -> ApiResponse:
    """Answer a ``createCommitOnBranch`` mutation."""
    try:
        if _file_count(req) > MAX_FILES:
            message = TIMEOUT_MESSAGE.format(id=secrets.token_hex(8).upper())
            return ApiResponse.json(502, {"data": None, "errors": [{"message": message}]})
        commit = _create_commit(api, req)
    except _Refused as refused:
        error = {"type": refused.kind, "path": ["createCommitOnBranch"], "message": refused.message}
        return ApiResponse.json(200, {"data": {"createCommitOnBranch": None}, "errors": [error]})
    return ApiResponse.json(200, {"data": {"createCommitOnBranch": {"commit": commit}}})


def _file_count(req: ApiRequest) -> int:
    changes = _input(req).get("fileChanges") or {}
    return len(changes.get("additions") or []) + len(changes.get("deletions") or [])


def _input(req: ApiRequest) -> dict[str, Any]:
    body = req.json()
    query = body.get("query")
    found = (body.get("variables") or {}).get("input")
    if not isinstance(query, str) or "createCommitOnBranch" not in query:
        raise _Refused("UNPROCESSABLE", "the fake answers one mutation: createCommitOnBranch")
    if not isinstance(found, dict):
        raise _Refused("INVALID", "Variable $input of type CreateCommitOnBranchInput! was null")
    return found


def _create_commit(api: Api, req: ApiRequest) -> dict[str, str]:
    given = _input(req)
    repo, branch = _branch(api, req, given.get("branch") or {})
    expected = given.get("expectedHeadOid")
    head = repo.branches[branch]
    if expected != head:
        # The wording clients match (https://stackoverflow.com/questions/72836597).
        raise _Refused(
            "STALE_DATA",
            f'Expected branch to point to "{expected}" but it did not. Pull and try again.',
        )
    changes = _changes(given.get("fileChanges") or {}, repo, head)
    if branch in repo.protected:
        raise _Refused("BRANCH_PROTECTION_RULE_VIOLATION", RULES_MESSAGE)
    message = given.get("message") or {}
    headline, body = message.get("headline"), message.get("body")
    if not isinstance(headline, str) or not headline:
        raise _Refused("INVALID", "A commit message headline is required")
    text = headline + (f"\n\n{body}" if body else "")
    previous = dict(repo.head(branch).files)
    commit = repo.commit(branch, changes, text)
    for path in changes:
        _mark_stale(api, req, repo, branch, path, previous.get(path))
    return {"oid": commit.sha, "url": f"{api.html_url(repo)}/commit/{commit.sha}"}


def _branch(api: Api, req: ApiRequest, branch: dict[str, Any]) -> tuple[Repo, str]:
    named, name = branch.get("repositoryNameWithOwner"), branch.get("branchName")
    if not isinstance(named, str) or not isinstance(name, str):
        raise _Refused("UNPROCESSABLE", "the fake takes the branch by repositoryNameWithOwner")
    repo = api.state.repo(named)
    token = req.token
    if repo is None or token is None or (repo.private and not token.reaches(repo)):
        raise _Refused("NOT_FOUND", f"Could not resolve to a Repository with the name '{named}'.")
    if token.permission != "write" or not token.reaches(repo):
        raise _Refused("FORBIDDEN", "Resource not accessible by integration")
    name = name.removeprefix("refs/heads/")
    if name not in repo.branches:
        raise _Refused("NOT_FOUND", f'A ref named "refs/heads/{name}" does not exist.')
    return repo, name


def _changes(file_changes: dict[str, Any], repo: Repo, head: str) -> dict[str, bytes | None]:
    additions = file_changes.get("additions") or []
    deletions = file_changes.get("deletions") or []
    paths = [str(change.get("path")) for change in [*additions, *deletions]]
    if len(paths) != len(set(paths)):
        raise _Refused("INVALID", "A path was given more than once in fileChanges")
    changes: dict[str, bytes | None] = {}
    files = repo.commits[head].files
    for deletion in deletions:
        if deletion["path"] not in files:
            raise _Refused(
                "UNPROCESSABLE",
                f"A path was requested for deletion which does not exist as of commit oid `{head}`",
            )
        changes[deletion["path"]] = None
    for addition in additions:
        try:
            changes[addition["path"]] = base64.b64decode(addition["contents"], validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise _Refused("INVALID", "contents is not RFC 4648 base64") from None
    return changes
