"""A file's history on a GitHub branch: the commits that changed it, and the file at each.

Part of the GitHub store (store/github): contents.py calls it for ``RegistryStore.history``.
The commits come from the REST commits API filtered by ``path``, 100 a page, newest first,
following the ``Link`` header's ``rel="next"``; the file as each commit of a page left it
comes from one GraphQL query naming each by revision expression (``<commit>:<path>``), so a
page of 100 registrations costs two requests. A text GraphQL cut, or whose bytes do not hash to
the blob it names, is read through the blob API; one a partial answer left out, through the
Contents API at that commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from github.Requester import Requester

from registry_action.errors import GitHubError
from registry_action.store.github.texts import post_query
from registry_action.store.github.tree import Moved
from registry_action.store.interface import Revision, StoredFile, blob_sha

# The most the commits API gives in a page ("per_page ... max 100", its OpenAPI description);
# one page's files then make one GraphQL query of that many small texts.
PER_PAGE = 100

Call = Callable[[str, Callable[[], Any]], Any]
# A file's bytes by blob sha (the blob API), and a file at a commit (the Contents API).
ReadBlob = Callable[[str, str], bytes]
ReadAt = Callable[[str, str], StoredFile | None]
_UNKNOWN = object()  # a file a query did not answer for: read it on its own


def query_for(count: int) -> str:
    """A query for the blobs ``count`` revision expressions name: ``f{i}`` takes ``$e{i}``."""
    declared = "".join(f", $e{i}: String!" for i in range(count))
    fields = "".join(
        f"\n    f{i}: object(expression: $e{i}) {{ ... on Blob {{ oid text isTruncated }} }}"
        for i in range(count)
    )
    return (
        f"query($owner: String!, $name: String!{declared}) {{\n"
        f"  repository(owner: $owner, name: $name) {{{fields}\n  }}\n}}\n"
    )


class HistoryReader:
    """The commits of one branch that changed a path, with the file as each left it."""

    def __init__(
        self,
        requester: Requester,
        repo_url: str,
        repository: str,
        call: Call,
        read: tuple[ReadBlob, ReadAt],
    ) -> None:
        self._requester = requester
        self._url = repo_url
        self._repository = repository
        self._call = call  # runs a request, translating its failures into the project's errors
        self._blob, self._read_at = read

    def revisions(self, ref: str, path: str) -> Iterator[Revision]:
        """Newest first, from ``ref`` (a branch or a commit), one page at a time."""
        page = 1
        while True:
            headers, commits = self._page(ref, path, page)
            contents = self._files(path, [sha for sha, _, _ in commits])
            for (sha, date, message), content in zip(commits, contents, strict=True):
                yield Revision(sha, date, message, content)
            # GitHub says in the Link header whether a next page exists: no empty page asked.
            if not commits or 'rel="next"' not in str(headers.get("link") or ""):
                return
            page += 1

    def _page(
        self, ref: str, path: str, page: int
    ) -> tuple[Mapping[str, Any], list[tuple[str, datetime, str]]]:
        request = self._requester.requestJsonAndCheck
        parameters = {"sha": ref, "path": path, "per_page": str(PER_PAGE), "page": str(page)}
        headers, items = self._call(
            f"read the history of {path}",
            lambda: request("GET", f"{self._url}/commits", parameters),
        )
        if not isinstance(items, list):
            raise GitHubError(f"GitHub answered the history of {path} with no list of commits")
        return headers, [self._listed(item, path) for item in items]

    def _listed(self, item: Any, path: str) -> tuple[str, datetime, str]:
        try:
            url, sha = str(item["url"]), str(item["sha"])
            commit = item["commit"]
            moment = datetime.fromisoformat(str(commit["committer"]["date"]))
            message = str(commit["message"])
        except (KeyError, TypeError, ValueError):
            raise GitHubError(f"GitHub gave a commit of {path} without its sha or date") from None
        if f"/repos/{self._repository}/".lower() not in url.lower():
            # PyGithub followed a 301 by path, dropping the query: not this path's history.
            raise Moved(self._repository)
        return sha, moment if moment.tzinfo else moment.replace(tzinfo=UTC), message

    def _files(self, path: str, shas: Sequence[str]) -> list[bytes | None]:
        """``path`` as each commit left it (None: deleted there)."""
        return self.files_at([(path, sha) for sha in shas])

    def files_at(self, pairs: Sequence[tuple[str, str]]) -> list[bytes | None]:
        """Each path as the revision paired with it holds it (None: no such file there), in
        one query."""
        nodes = self._nodes([f"{revision}:{path}" for path, revision in pairs])
        return [
            self._content(path, revision, node)
            for (path, revision), node in zip(pairs, nodes, strict=True)
        ]

    def _content(self, path: str, sha: str, node: object) -> bytes | None:
        if node is _UNKNOWN:
            stored = self._read_at(path, sha)
            return stored.content if stored is not None else None
        if not isinstance(node, dict) or not isinstance(node.get("oid"), str):
            return None  # no such file at that commit (or not a file): the commit deleted it
        text = node.get("text")
        if isinstance(text, str) and not node.get("isTruncated"):
            content = text.encode("utf-8", "surrogatepass")
            if blob_sha(content) == node["oid"]:
                return content
        return self._blob(path, node["oid"])  # cut at 512,000 bytes, or not text: the blob API

    def _nodes(self, expressions: list[str]) -> list[object]:
        """What GraphQL gives for each expression; _UNKNOWN where it gave no answer."""
        if not expressions:
            return []
        data = self._call("read the history's files", lambda: self._ask(expressions))
        if data is None:  # stopped after 10 s: ask for half as much at once
            if len(expressions) == 1:
                return [_UNKNOWN]
            half = (len(expressions) + 1) // 2
            return self._nodes(expressions[:half]) + self._nodes(expressions[half:])
        repository = (data.get("data") or {}).get("repository")
        if not isinstance(repository, dict):
            raise GitHubError(
                f"could not read the history of {self._repository}: GitHub's GraphQL API "
                "answered no repository"
            )
        partial = bool(data.get("errors"))
        return [
            _UNKNOWN if repository.get(f"f{i}") is None and partial else repository.get(f"f{i}")
            for i in range(len(expressions))
        ]

    def _ask(self, expressions: list[str]) -> dict[str, Any] | None:
        owner, _, name = self._repository.partition("/")
        variables = {"owner": owner, "name": name}
        variables.update({f"e{i}": expression for i, expression in enumerate(expressions)})
        body = {"query": query_for(len(expressions)), "variables": variables}
        return post_query(self._requester, body)
