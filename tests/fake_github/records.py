"""What the fake remembers of each request, and of each commit, for tests to inspect."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

WRITE_METHODS = frozenset({"PUT", "POST", "PATCH", "DELETE"})


@dataclass
class RequestRecord:
    """One request as the server received it.

    ``path`` is stripped of the API prefix and of the query; ``target`` is the request target
    exactly as sent; ``status`` is ``None`` while it is being served or when the connection was
    dropped.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    target: str
    request_line: str
    time: float
    status: int | None = None
    fault: str | None = None
    # A GraphQL answer with ``errors``: GitHub refuses a mutation with status 200 and says why
    # there (https://docs.github.com/graphql/guides/forming-calls-with-graphql).
    graphql_errors: bool = False

    @property
    def refused(self) -> bool:
        """Whether the request was answered with a refusal: a status of 400 or more, or a
        GraphQL mutation's errors."""
        return (self.status or 0) >= 400 or (self.is_write and self.graphql_errors)

    @property
    def is_write(self) -> bool:
        """Whether the request creates content: a GraphQL query is a POST that only reads."""
        if self.path.endswith("/graphql"):
            return self.method == "POST" and is_mutation(self.body)
        return self.method in WRITE_METHODS

    def header(self, name: str) -> str | None:
        """A header's value, whatever the case of its name."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

    def text(self) -> str:
        """Request line, headers and body as one string, to search for a leaked secret."""
        lines = [self.request_line, *(f"{k}: {v}" for k, v in self.headers.items()), ""]
        return "\r\n".join(lines) + self.body.decode("utf-8", "replace")

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body.decode("utf-8", "replace"),
            "body_base64": base64.b64encode(self.body).decode(),
            "target": self.target,
            "request_line": self.request_line,
            "time": self.time,
            "status": self.status,
            "fault": self.fault,
        }


@dataclass(frozen=True)
class CommitInfo:
    """A commit as tests see it.

    ``author`` and ``committer`` are what the request gave (``None`` when it gave none);
    ``verified`` is true when neither was given, as GitHub signs commits made by an App token.
    """

    sha: str
    message: str
    paths: tuple[str, ...]
    author: Mapping[str, str] | None
    committer: Mapping[str, str] | None
    verified: bool
    parents: tuple[str, ...]
    date: str
    # The commit's tree is its parent's: it changes nothing. GitHub's Contents API makes one
    # when a PUT carries the content already stored (it does not refuse it).
    empty: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "sha": self.sha,
            "message": self.message,
            "paths": list(self.paths),
            "author": dict(self.author) if self.author else None,
            "committer": dict(self.committer) if self.committer else None,
            "verified": self.verified,
            "parents": list(self.parents),
            "date": self.date,
            "empty": self.empty,
        }


@dataclass(frozen=True)
class PullInfo:
    """A pull request as tests see it."""

    number: int
    title: str
    body: str | None
    head: str
    base: str
    state: str
    merged: bool
    merge_commit_sha: str | None = None


def is_mutation(body: bytes) -> bool:
    """Whether a GraphQL request body carries a mutation (which creates content) or a query."""
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        return False
    query = document.get("query") if isinstance(document, dict) else None
    return isinstance(query, str) and query.lstrip().startswith("mutation")
