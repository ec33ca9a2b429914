"""GitHub's GraphQL API as far as the store uses it, with the limits GitHub puts on a query.

Five query shapes are answered, without being a GraphQL engine: blobs by oid, each under an
alias (``b0: object(oid: $o0) { ... on Blob { text isTruncated } }``); blobs by revision
expression, each under an alias (``f0: object(expression: $e0) { ... on Blob { oid text
isTruncated } }``, where ``$e0`` is ``<commit>:<path>``: the Repository object's ``object``
field takes "A Git revision expression suitable for rev-parse",
https://docs.github.com/en/graphql/reference/objects#repository, and resolves to null when it
names nothing); one tree's entries with their blobs (``object(oid: $oid) { ... on Tree {
entries ... } }``); the newest commit that touched each of some paths (``object(expression:
$ref) { ... on Commit { h0: history(first: 1, path: $p0) { nodes { oid } } } }``); and a
branch's head commit with tree entries at paths of it (``ref(qualifiedName: $ref) { target {
oid ... on Commit { f0: file(path: $p0) { ... } } } }``), which may come with the
repository's node ``id`` and listings of its refs (``alias: refs(refPrefix: $prefix, first:
100) { nodes { name target { oid } } totalCount }``), also asked without the ``ref``. All sit
under ``repository(owner: $owner, name: $name)``; errors come with status 200 in ``errors``.
A revision in an expression may end in ``^``, ``^<n>`` or ``~<n>`` (see ``rev_parse``).

A ref is read as the REST API's "Get a reference" is here: exactly. The fake's lagging reads
are those of the Contents API at a branch; anything read at a commit is exact, since a commit
never changes.

Limits, from GitHub's docs, "Rate limits and query limits for the GraphQL API":

- Timeouts: "If GitHub takes more than 10 seconds to process an API request, GitHub will
  terminate the request and you will receive a timeout response and a message reporting that
  'We couldn't respond to your request in time'. When this happens, you may receive either a
  502 or 504 status code." The fake cannot time a query, so a size stands for the 10 s: an
  answer holding more than ``state.graphql_texts`` texts or ``state.graphql_bytes`` bytes of
  text is a 502. Public tools read 100-250 files per query and still meet 502s at 250.
  A query asking for more than ``state.graphql_histories`` path histories is a 502 too.
- Exceeding the rate limit: "If you exceed your primary rate limit, the response status will
  still be 200, but you will receive an error message, and the value of the
  x-ratelimit-remaining header will be 0"; a secondary limit is "200 or 403".
- Other resource limits: GitHub "will terminate the request and return partial results along
  with an error indicating that resource limits were exceeded".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .core import Api, ApiError, ApiRequest, ApiResponse
from .gitobjects import tree_sha
from .model import Commit, Repo, is_directory
from .selections import DocumentError, Field, operation
from .trees import snapshot, tree_entries

# https://docs.github.com/en/graphql/reference/objects#blob: ``text`` is cut, and flagged with
# ``isTruncated``, past 512,000 bytes.
BLOB_TEXT_LIMIT = 512_000
LIMITS_DOC = (
    "https://docs.github.com/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api"
)
TIMEOUT_MESSAGE = (
    "We couldn't respond to your request in time. Sorry about that. Please try resubmitting "
    "your request and contact us if the problem persists."
)
_ALIASED_OBJECT = re.compile(r"(\w+)\s*:\s*object\(oid:\s*\$(\w+)\)")
_ALIASED_EXPRESSION = re.compile(r"(\w+)\s*:\s*object\(expression:\s*\$(\w+)\)")
_TREE_QUERY = re.compile(r"object\(oid:\s*\$oid\)[\s\S]*entries")
_EXPRESSION = re.compile(r"object\(expression:\s*\$ref\)")
_ALIASED_HISTORY = re.compile(r"(\w+)\s*:\s*history\(first:\s*1,\s*path:\s*\$(\w+)\)")
_REF_QUERY = re.compile(r"ref\(qualifiedName:\s*\$(\w+)\)")
_FILE_FIELD = re.compile(r"(\w+)\s*:\s*file\(path:\s*\$(\w+)\)")
_ANCESTRY = re.compile(r"\^\d*|~\d*")
_REVISION = re.compile(r"(.+?)((?:\^\d*|~\d*)+)")
# The fields a ``repository`` answered without a ``ref`` may select.
_REPOSITORY_FIELDS = frozenset({"id", "nameWithOwner", "refs"})
# "Values of `first` and `last` must be within 1-100" (LIMITS_DOC, "Node limit").
MAX_PAGE = 100


class _FieldError(Exception):
    """One field refused: null in ``data``, its reason in ``errors``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


def answer(api: Api, req: ApiRequest) -> ApiResponse:
    """Answer one query: blobs by oid or a tree's entries, within the limits above."""
    if req.token is None:
        raise ApiError(401, "This endpoint requires you to be authenticated.", "graphql")
    body = req.json()
    query, variables = body.get("query"), body.get("variables") or {}
    if not isinstance(query, str):
        error = {"message": "A query attribute must be specified"}
        return ApiResponse.json(200, {"errors": [error]})
    named = f"{variables.get('owner')}/{variables.get('name')}"
    repo = api.state.repo(named)
    if repo is None or (repo.private and not req.token.reaches(repo)):
        message = f"Could not resolve to a Repository with the name '{named}'."
        error = {"type": "NOT_FOUND", "path": ["repository"], "message": message}
        return ApiResponse.json(200, {"data": {"repository": None}, "errors": [error]})
    aliases = _ALIASED_OBJECT.findall(query)
    histories = _ALIASED_HISTORY.findall(query)
    if histories and _EXPRESSION.search(query):
        found: dict[str, Any] = {
            "object": _histories(repo, variables.get("ref"), histories, variables)
        }
        if len(histories) > api.state.graphql_histories:
            return timed_out()
        return ApiResponse.json(200, {"data": {"repository": found}})
    expressions = _ALIASED_EXPRESSION.findall(query)
    ref = _REF_QUERY.search(query)
    errors: list[dict[str, Any]] = []
    if aliases:
        found = {alias: _blob(repo, variables.get(name)) for alias, name in aliases}
    elif expressions:
        found = {alias: _revision(repo, variables.get(name)) for alias, name in expressions}
    elif ref is not None or _only_repository_fields(query):
        found = {"nameWithOwner": repo.full_name}
        if ref is not None:
            found["ref"] = _ref(api, repo, query, variables, str(variables.get(ref.group(1))))
        errors = _repository_fields(repo, _repository_selections(query), variables, found)
    elif _TREE_QUERY.search(query):
        found = {"object": _tree(api, repo, str(variables.get("oid")))}
    else:
        return ApiResponse.json(200, {"errors": [{"message": "the fake answers five queries"}]})
    texts = [t for t in _texts(found) if t is not None]
    state = api.state
    if len(texts) > state.graphql_texts or sum(map(_utf8_size, texts)) > state.graphql_bytes:
        return timed_out()
    document: dict[str, Any] = {"data": {"repository": found}}
    return ApiResponse.json(200, document | ({"errors": errors} if errors else {}))


def _repository_selections(query: str) -> tuple[Field, ...]:
    """The fields the query selects under ``repository``; none if it does not parse."""
    try:
        _, fields = operation(query)
    except DocumentError:
        return ()
    repository = next((field for field in fields if field.name == "repository"), None)
    return repository.selections if repository is not None else ()


def _only_repository_fields(query: str) -> bool:
    selected = _repository_selections(query)
    return bool(selected) and {field.name for field in selected} <= _REPOSITORY_FIELDS


def _repository_fields(
    repo: Repo, selected: tuple[Field, ...], variables: dict[str, Any], found: dict[str, Any]
) -> list[dict[str, Any]]:
    """Answer the selected ``id`` and ``refs`` fields into ``found``; the errors of those
    refused. ``Repository.id`` is the node id the REST API gives as ``node_id``."""
    errors: list[dict[str, Any]] = []
    for field in selected:
        if field.name == "id":
            found[field.key] = f"R_{repo.id}"
        elif field.name == "refs":
            try:
                found[field.key] = _refs(repo, field, variables)
            except _FieldError as refused:
                found[field.key] = None
                path = ["repository", field.key]
                errors.append({"type": refused.kind, "path": path, "message": refused.message})
    return errors


def _refs(repo: Repo, field: Field, variables: dict[str, Any]) -> dict[str, Any]:
    """``Repository.refs(refPrefix:, first:)``: "Fetch a list of refs from the repository";
    ``refPrefix`` is "A ref name prefix like `refs/heads/`, `refs/tags/`, etc."; each ``Ref``'s
    ``name`` is given without that prefix, as GitHub gives it, in the default order, by name
    (``RefOrderField.ALPHABETICAL``, "Order refs by their alphanumeric name"). The fake holds
    branches only. A connection takes ``first`` "within 1-100" (LIMITS_DOC, "Node limit"): none
    or more than 100 is refused, typed as GitHub types those refusals in its answers
    (MISSING_PAGINATION_BOUNDARIES, EXCESSIVE_PAGINATION; the docs give no wording)."""
    if set(field.arguments) - {"refPrefix", "first"}:
        raise _FieldError("UNPROCESSABLE", "the fake answers refs(refPrefix:, first:) only")
    prefix, first = field.argument("refPrefix", variables), field.argument("first", variables)
    if not isinstance(prefix, str):
        raise _FieldError("INVALID", "Argument 'refPrefix' on Field 'refs' must be a String!")
    if first is None:
        message = (
            "You must provide a `first` or `last` value to properly paginate the `refs` connection."
        )
        raise _FieldError("MISSING_PAGINATION_BOUNDARIES", message)
    if not isinstance(first, int) or isinstance(first, bool) or first < 0:
        raise _FieldError("INVALID", "Argument 'first' on Field 'refs' must be a non-negative Int")
    if first > MAX_PAGE:
        message = (
            f"Requesting {first} records on the `refs` connection exceeds the `first` limit "
            f"of {MAX_PAGE} records."
        )
        raise _FieldError("EXCESSIVE_PAGINATION", message)
    names = sorted(n for n in (f"refs/heads/{b}" for b in repo.branches) if n.startswith(prefix))
    nodes = [
        {"name": name[len(prefix) :], "target": {"oid": repo.branches[name[len("refs/heads/") :]]}}
        for name in names[:first]
    ]
    answer: dict[str, Any] = {"nodes": nodes}
    if field.field("totalCount") is not None:
        answer["totalCount"] = len(names)
    return answer


def rev_parse(repo: Repo, revision: str | None) -> Commit | None:
    """The commit a revision expression names: a branch or commit (``Repo.resolve``), then
    each suffix, as gitrevisions(7) has them: ``<rev>^[<n>]``, "A suffix ^ to a revision
    parameter means the first parent of that commit object. ^<n> means the <n>th parent" (``^0``
    the commit itself); ``<rev>~[<n>]``, "the <n>th generation ancestor of the named commit
    object, following only the first parents". None when a commit has no such parent."""
    parts = _REVISION.fullmatch(revision or "")
    if parts is None:
        return repo.resolve(revision)
    commit = repo.resolve(parts.group(1))
    for step in _ANCESTRY.findall(parts.group(2)):
        count = int(step[1:] or 1)
        if step.startswith("^"):
            parents = commit.parents if commit is not None else ()
            if count:
                commit = repo.commits[parents[count - 1]] if count <= len(parents) else None
            continue
        for _ in range(count):
            commit = repo.commits[commit.parents[0]] if commit and commit.parents else None
    return commit


def _histories(
    repo: Repo, ref: object, aliases: list[tuple[str, str]], variables: dict[str, Any]
) -> dict[str, Any] | None:
    """``Commit.history(first: 1, path:)`` for each alias, from the commit ``ref`` names.

    https://docs.github.com/en/graphql/reference/objects#commit: history is "the linear commit
    history starting from (and including) this commit, in the same order as git log", and
    ``path`` "filters history to only show commits touching files under this path". An
    expression that names no object resolves to null. The fake walks first parents (its
    histories are linear) and counts a commit as touching a path when the path's blob differs
    from the first parent's, as git log does.
    """
    head = rev_parse(repo, ref) if isinstance(ref, str) else None
    if head is None:
        return None
    newest_first = [repo.commits[sha] for sha in reversed(repo.history_from(head.sha))]
    found: dict[str, Any] = {}
    for alias, name in aliases:
        path = str(variables.get(name))
        touching = next((c for c in newest_first if _touches(repo, c, path)), None)
        found[alias] = {"nodes": [{"oid": touching.sha}] if touching else []}
    return found


def _touches(repo: Repo, commit: Any, path: str) -> bool:
    parent = repo.commits[commit.parents[0]].files if commit.parents else {}
    return bool(commit.files.get(path) != parent.get(path))


def _utf8_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _texts(found: object) -> list[str | None]:
    """Every blob's ``text`` anywhere in an answer."""
    if isinstance(found, list):
        return [text for item in found for text in _texts(item)]
    if not isinstance(found, dict):
        return []
    own = [found["text"]] if "text" in found else []
    return own + [text for value in found.values() for text in _texts(value)]


def _blob(repo: Repo, oid: object) -> dict[str, Any] | None:
    """``Repository.object(oid:)``: a blob's fields, or a commit's ``message`` ("The Git commit
    message", https://docs.github.com/en/graphql/reference/objects#commit); an oid that names
    neither resolves to null."""
    commit = repo.commits.get(oid) if isinstance(oid, str) else None
    if commit is not None:
        return {"message": commit.message}
    data = repo.blobs.get(oid) if isinstance(oid, str) else None
    return None if data is None else blob_json(data)


def _revision(repo: Repo, expression: object) -> dict[str, Any] | None:
    """The blob ``<revision>:<path>`` names, with its ``oid``; null if none (``rev_parse``: a
    branch or commit, ``^`` its first parent, as in ``<commit>^:plugins/a.json``)."""
    if not isinstance(expression, str) or ":" not in expression:
        return None
    revision, _, path = expression.partition(":")
    commit = rev_parse(repo, revision)
    sha = commit.files.get(path) if commit is not None else None
    return None if sha is None else {"oid": sha, **blob_json(repo.blobs[sha])}


def _ref(
    api: Api, repo: Repo, query: str, variables: dict[str, Any], name: str
) -> dict[str, Any] | None:
    """``Repository.ref``: null for no such branch; else its head commit's ``oid`` and, for each
    ``alias: file(path: $var)``, ``Commit.file``: "The tree entry representing the file located
    at the given path" (null when there is none), a file's or a folder's
    (https://docs.github.com/en/graphql/reference/objects#commit); and for each ``alias:
    history(first: 1, path: $var)``, the newest commit that touched the path."""
    branch = name.removeprefix("refs/heads/")
    if branch not in repo.branches:
        return None
    commit = repo.head(branch)
    target: dict[str, Any] = {"oid": commit.sha}
    for alias, variable in _FILE_FIELD.findall(query):
        target[alias] = _tree_entry(api, repo, commit.files, str(variables.get(variable)))
    # ``Commit.history(first: 1, path:)`` under the head, as ``_histories`` answers it.
    histories = _ALIASED_HISTORY.findall(query)
    target.update(_histories(repo, commit.sha, histories, variables) or {})
    return {"name": branch, "prefix": "refs/heads/", "target": target}


def _tree_entry(api: Api, repo: Repo, files: Mapping[str, str], path: str) -> dict[str, Any] | None:
    """A ``TreeEntry`` (https://docs.github.com/en/graphql/reference/objects#treeentry): a
    blob's with its ``Blob`` fields, a tree's with its entries (each with ``size``, a blob's
    byte size, and no ``object``)."""
    path = path.strip("/")
    name = path.rsplit("/", 1)[-1]
    sha = files.get(path)
    if sha is not None:
        data = repo.blobs[sha]
        entry = {"name": name, "path": path, "oid": sha, "type": "blob", "size": len(data)}
        return {**entry, "object": blob_json(data)}
    if not path or not is_directory(files, path):
        return None
    inside = tree_entries(api, repo, files, path, recursive=False)
    entries = [
        {
            "name": entry["path"],
            "path": f"{path}/{entry['path']}",
            "oid": entry["sha"],
            "type": entry["type"],
            "size": entry.get("size", 0),
        }
        for entry in inside
    ]
    tree = {"oid": tree_sha(files, path), "entries": entries}
    return {
        "name": name,
        "path": path,
        "oid": tree["oid"],
        "type": "tree",
        "size": 0,
        "object": tree,
    }


def _tree(api: Api, repo: Repo, oid: str) -> dict[str, Any] | None:
    found = snapshot(api, repo, oid)
    if found is None:
        return None
    files, folder = found
    entries = tree_entries(api, repo, files, folder, recursive=False)
    return {
        "entries": [
            {
                "name": entry["path"],
                "oid": entry["sha"],
                "type": entry["type"],
                "object": blob_json(repo.blobs[entry["sha"]]) if entry["type"] == "blob" else {},
            }
            for entry in entries
        ]
    }


def blob_json(data: bytes) -> dict[str, Any]:
    """A Blob's fields: ``text`` is "UTF8 text data or null if the Blob is binary", cut past
    512,000 bytes (https://docs.github.com/en/graphql/reference/objects#blob)."""
    cut = data[:BLOB_TEXT_LIMIT]
    try:
        text: str | None = cut.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut through a multi-byte character still counts as text; anything else is binary.
        text = cut[: exc.start].decode() if len(data) > BLOB_TEXT_LIMIT else None
    binary = text is None or "\0" in text
    return {
        "byteSize": len(data),
        "isBinary": binary,
        "isTruncated": not binary and len(data) > BLOB_TEXT_LIMIT,
        "text": None if binary else text,
    }


def timed_out() -> ApiResponse:
    """GitHub's answer to a query it stopped after 10 s (see the module's docstring)."""
    body = {"message": TIMEOUT_MESSAGE, "documentation_url": f"{LIMITS_DOC}#timeouts"}
    return ApiResponse.json(502, body)


def rate_limited(
    *, reset: int | None, retry_after: int | None = None, message: str | None = None
) -> ApiResponse:
    """A GraphQL rate limit, status 200: ``errors[].type`` ``RATE_LIMITED`` and, with
    ``reset``, ``x-ratelimit-remaining: 0`` until that epoch second (see the docstring)."""
    headers = {"x-ratelimit-resource": "graphql"}
    if reset is not None:
        headers |= {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    if retry_after is not None:
        headers["retry-after"] = str(retry_after)
    text = message or "API rate limit exceeded for installation ID 1."
    return ApiResponse.json(200, {"errors": [{"type": "RATE_LIMITED", "message": text}]}, headers)


def partial(response: ApiResponse) -> ApiResponse:
    """A blobs answer cut short by a resource limit: every second alias null, with an error
    naming it (worded as the docs describe it; GitHub's exact text was not recorded)."""
    if response.status != 200:
        return response
    document = json.loads(response.body)
    repository = (document.get("data") or {}).get("repository")
    if not isinstance(repository, dict):
        return response
    errors = []
    for alias in list(repository)[1::2]:
        repository[alias] = None
        errors.append(
            {
                "type": "RESOURCE_LIMITS_EXCEEDED",
                "path": ["repository", alias],
                "message": "Resource limits for this query exceeded.",
            }
        )
    document["errors"] = errors
    return ApiResponse.json(200, document, dict(response.headers))
