"""GraphQL mutations: ``createCommitOnBranch``, ``createRef`` and ``updateRefs``, each as
GitHub's schema (@octokit/graphql-schema) describes it.

A request may carry several, each ``[alias:] name(input: $var) { ... }``: "the top level
selection set" of a mutation is executed "serially" (GraphQL specification, "Mutation",
https://spec.graphql.org/October2021/#sec-Mutation), so each sees what the ones before it did,
and one refused is null under its key with its reason in ``errors`` (path: the key) while the
others still run, as GitHub runs them. Errors come with status 200, as every GraphQL error does.

``createCommitOnBranch`` (``Mutation.createCommitOnBranch``, ``CreateCommitOnBranchInput``,
``FileChanges``): "creates a commit whose parent is the HEAD of the provided branch and also
updates that branch to point to the new commit"; ``expectedHeadOid`` is "The git commit oid
expected at the head of the branch prior to the commit"; ``path`` values "must be unique across
all additions and deletions"; contents must be "RFC 4648 compliant base64"; deleting "a path
that does not exist on the given branch will abort the commit and return an error"; "omitting
both will produce a commit with no file changes"; "this mutation does not support specifying
the author or committer", and commits made with it "are automatically signed by GitHub".

``createRef`` and ``updateRefs``: see ``_create_ref`` and ``_update_refs``. The fake holds
branches only (``refs/heads/...``).

Not a GraphQL engine: selections.py reads the document's fields, each input is taken whole
(tests/contract checks the store's documents against GitHub's schema).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Iterable
from typing import Any

from .contents import _mark_stale
from .core import Api, ApiRequest, ApiResponse
from .model import SHA_RE, Repo
from .repos import RULES_MESSAGE
from .selections import DocumentError, Field, Variable, operation

# GitHub ends a GraphQL request that runs past 10 seconds ("Rate limits and node limits for
# the GraphQL API", Timeouts): a commit's work grows with its files, so past this many (all the
# request's commits together) the fake answers as GitHub does to a request it cut, and runs
# none of its mutations.
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
    """Answer a mutation document: its top-level fields one after another."""
    body = req.json()
    query, variables = body.get("query"), body.get("variables") or {}
    try:
        _, fields = operation(query if isinstance(query, str) else "")
    except DocumentError as error:
        return ApiResponse.json(200, {"errors": [{"message": str(error)}]})
    keys = [field.key for field in fields]
    clash = next((key for key in keys if keys.count(key) > 1), None)
    if clash is not None:
        message = f"Field '{clash}' has a field conflict: it is selected more than once"
        return ApiResponse.json(200, {"errors": [{"message": message}]})
    if _file_count(fields, variables) > MAX_FILES:
        message = TIMEOUT_MESSAGE.format(id=secrets.token_hex(8).upper())
        return ApiResponse.json(502, {"data": None, "errors": [{"message": message}]})
    data: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for field in fields:
        try:
            data[field.key] = _run(api, req, field, variables)
        except _Refused as refused:
            data[field.key] = None
            errors.append({"type": refused.kind, "path": [field.key], "message": refused.message})
    return ApiResponse.json(200, {"data": data, "errors": errors} if errors else {"data": data})


def _run(api: Api, req: ApiRequest, field: Field, variables: dict[str, Any]) -> dict[str, Any]:
    if field.name == "createCommitOnBranch":
        given = _input(field, variables, "CreateCommitOnBranchInput")
        return {"commit": _create_commit(api, req, given)}
    if field.name == "createRef":
        return _create_ref(api, req, _input(field, variables, "CreateRefInput"))
    if field.name == "updateRefs":
        return _update_refs(api, req, _input(field, variables, "UpdateRefsInput"))
    raise _Refused(
        "UNPROCESSABLE",
        "the fake answers three mutations: createCommitOnBranch, createRef, updateRefs",
    )


def _file_count(fields: tuple[Field, ...], variables: dict[str, Any]) -> int:
    """The additions and deletions of every ``createCommitOnBranch`` of the request."""
    count = 0
    for field in fields:
        given = field.argument("input", variables) if field.name == "createCommitOnBranch" else 0
        changes = (given.get("fileChanges") if isinstance(given, dict) else None) or {}
        count += len(changes.get("additions") or []) + len(changes.get("deletions") or [])
    return count


def _input(field: Field, variables: dict[str, Any], kind: str) -> dict[str, Any]:
    if not field.has("input"):
        raise _Refused("INVALID", f"Field '{field.name}' is missing required arguments: input")
    found = field.argument("input", variables)
    if not isinstance(found, dict):
        named = field.arguments["input"]
        shown = f"${named.name}" if isinstance(named, Variable) else "input"
        raise _Refused("INVALID", f"Variable {shown} of type {kind}! was null")
    return found


def _create_commit(api: Api, req: ApiRequest, given: dict[str, Any]) -> dict[str, str]:
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


# RefUpdate's oid for "no such ref" (Mutation.updateRefs, below).
NO_REF = "0" * 40
# Where git-check-ref-format(1) refuses a name: "no slash-separated component can begin with a
# dot . or end with the sequence .lock", "cannot have two consecutive dots .. anywhere", "cannot
# have ASCII control characters ..., space, tilde ~, caret ^, or colon : anywhere", "cannot have
# question-mark ?, asterisk *, or open bracket [ anywhere", "cannot begin or end with a slash /
# or contain multiple consecutive slashes", "cannot end with a dot .", "cannot contain a
# sequence @{", "cannot be the single character @", "cannot contain a \\".
_BAD_REFNAME = re.compile(r"(^|/)\.|\.lock(/|$)|\.\.|[\x00-\x20\x7f~^:?*\[\\]|//|/$|\.$|@\{|^@$")


def _create_ref(api: Api, req: ApiRequest, given: dict[str, Any]) -> dict[str, Any]:
    """``Mutation.createRef``: "Create a new Git Ref." ``CreateRefInput.name`` is "The fully
    qualified name of the new Ref (ie: `refs/heads/my_new_branch`)", ``oid`` "The GitObjectID
    that the new Ref shall target. Must point to a commit", ``repositoryId`` "The Node ID of the
    Repository to create the Ref in"; the payload's ``ref`` is "The newly created ref", a
    ``Ref`` as ``Repository.ref`` answers one (graphql.py): ``name`` without its ``prefix``,
    "The ref's prefix, such as `refs/heads/` or `refs/tags/`".

    Refusals (type ``UNPROCESSABLE``) in the REST API's words for the same request (repos.py's
    ``create_ref``; https://docs.github.com/en/rest/git/refs#create-a-reference: a ``ref`` that
    "doesn't start with 'refs' and have at least two slashes, it will be rejected"):
    ``Reference name is invalid`` (and for what git-check-ref-format refuses), ``Object does
    not exist`` for an oid that is no commit, ``Reference already exists``, and ``Reference
    update failed`` for a name a branch holds as a folder, or inside whose folder a branch is
    (git keeps no ``a`` beside ``a/b``; measured by googleapis/release-please#1024).
    """
    repo = _repository(api, req, given.get("repositoryId"))
    name, oid = given.get("name"), given.get("oid")
    if not isinstance(name, str) or not _valid_name(name):
        raise _Refused("UNPROCESSABLE", "Reference name is invalid")
    if not name.startswith("refs/heads/"):
        raise _Refused("UNPROCESSABLE", "the fake creates branches only (refs/heads/...)")
    if not isinstance(oid, str) or oid not in repo.commits:
        raise _Refused("UNPROCESSABLE", "Object does not exist")
    branch = name.removeprefix("refs/heads/")
    if branch in repo.branches:
        raise _Refused("UNPROCESSABLE", "Reference already exists")
    if _clashes(branch, repo.branches):
        raise _Refused("UNPROCESSABLE", "Reference update failed")
    repo.branches[branch] = oid
    ref = {"name": branch, "prefix": "refs/heads/", "target": {"oid": oid}}
    return {"clientMutationId": given.get("clientMutationId"), "ref": ref}


def _update_refs(api: Api, req: ApiRequest, given: dict[str, Any]) -> dict[str, Any]:
    """``Mutation.updateRefs``: "Creates, updates and/or deletes multiple refs in a repository.
    ... All updates are performed atomically, meaning that if one of them is rejected, no other
    ref will be modified. `RefUpdate.beforeOid` specifies that the given reference needs to
    point to the given value before performing any updates. A value of
    `0000000000000000000000000000000000000000` can be used to verify that the references should
    not exist. `RefUpdate.afterOid` specifies the value that the given reference will point to
    after performing all updates. A value of `0000000000000000000000000000000000000000` can be
    used to delete a reference. If `RefUpdate.force` is set to `true`, a non-fast-forward
    updates for the given reference will be allowed." ``RefUpdate.name`` is "The fully
    qualified name of the ref to be update".

    Each refusal is type ``UNPROCESSABLE``, its message the REST API's for the same refusal
    where it has one (repos.py: ``Reference does not exist``, ``Object does not exist``,
    ``Update is not a fast forward``, ``Reference update failed``, the repository rules message
    for a protected branch, which may be neither moved nor deleted), else plain words naming
    the ref (a ``beforeOid`` it is not at; GitHub's wording was not recorded).
    """
    repo = _repository(api, req, given.get("repositoryId"))
    updates = given.get("refUpdates")
    if not isinstance(updates, list) or not all(isinstance(u, dict) for u in updates):
        raise _Refused("INVALID", "refUpdates must be a list of RefUpdate")
    names = [update.get("name") for update in updates]
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:
        raise _Refused("UNPROCESSABLE", f"{twice} is given more than one update")
    after = dict(repo.branches)
    for update in updates:
        _check_update(repo, update, after)
    created = [branch for branch in after if branch not in repo.branches]
    if any(_clashes(branch, [b for b in after if b != branch]) for branch in created):
        raise _Refused("UNPROCESSABLE", "Reference update failed")
    repo.branches.clear()
    repo.branches.update(after)
    return {"clientMutationId": given.get("clientMutationId")}


def _check_update(repo: Repo, update: dict[str, Any], after: dict[str, str]) -> None:
    """Refuse ``update`` as the docstring above says, or apply it to ``after``."""
    name, new = update.get("name"), update.get("afterOid")
    before, force = update.get("beforeOid"), bool(update.get("force") or False)
    if not isinstance(name, str) or not _valid_name(name):
        raise _Refused("UNPROCESSABLE", "Reference name is invalid")
    if not name.startswith("refs/heads/"):
        raise _Refused("UNPROCESSABLE", "the fake updates branches only (refs/heads/...)")
    branch = name.removeprefix("refs/heads/")
    current = repo.branches.get(branch)
    if before is not None and before != (current or NO_REF):
        where = f"it points to {current}" if current else "it does not exist"
        raise _Refused("UNPROCESSABLE", f"Expected {name} to point to {before}, but {where}")
    if not isinstance(new, str) or not SHA_RE.fullmatch(new):
        raise _Refused("INVALID", f"afterOid of {name} is not a GitObjectID")
    if new == NO_REF:
        if current is None:
            raise _Refused("UNPROCESSABLE", "Reference does not exist")
    elif new not in repo.commits:
        raise _Refused("UNPROCESSABLE", "Object does not exist")
    elif current is not None and not force and not repo.is_ancestor(current, new):
        raise _Refused("UNPROCESSABLE", "Update is not a fast forward")
    if current is not None and branch in repo.protected and new != current:
        raise _Refused("UNPROCESSABLE", RULES_MESSAGE)
    if new == NO_REF:
        after.pop(branch, None)
    else:
        after[branch] = new


def _repository(api: Api, req: ApiRequest, node_id: object) -> Repo:
    """The repository a ``repositoryId`` names (``R_<id>``, its REST ``node_id``), as the token
    may write to it: ``NOT_FOUND`` as GitHub words an unknown node id, ``FORBIDDEN`` as
    ``_branch`` refuses a token that may not write."""
    repo = next((r for r in api.state.repos.values() if f"R_{r.id}" == node_id), None)
    token = req.token
    if repo is None or token is None or (repo.private and not token.reaches(repo)):
        raise _Refused(
            "NOT_FOUND", f"Could not resolve to a node with the global id of '{node_id}'"
        )
    if token.permission != "write" or not token.reaches(repo):
        raise _Refused("FORBIDDEN", "Resource not accessible by integration")
    return repo


def _valid_name(name: str) -> bool:
    return name.startswith("refs/") and name.count("/") >= 2 and not _BAD_REFNAME.search(name)


def _clashes(branch: str, branches: Iterable[str]) -> bool:
    """Whether ``branch`` and one of ``branches`` would be a file and a folder of git's."""
    return any(f"{branch}/".startswith(f"{b}/") or b.startswith(f"{branch}/") for b in branches)
