"""Many files' texts in a few GraphQL queries, each small enough for GitHub to answer.

GitHub stops a GraphQL query that runs past 10 seconds with a 502 or 504, and names
"requesting thousands of objects ... in a single query" as what to avoid ("Rate limits and
query limits for the GraphQL API"). So the blobs a listing gave are asked for in batches sized
from their sizes, a few batches in flight at once. A batch GitHub stopped is split in two, down
to single blobs; a partial answer (``data`` with ``errors``) keeps what it verified and asks
again for the rest, once; a rate limit answered with status 200 is waited out as REST's are.
Whatever is still missing then, and every blob GraphQL would cut (``isTruncated``, past
512,000 bytes), is for the caller to read through the blob API. A text counts only if its
UTF-8 bytes hash to the blob's sha: GraphQL gives text, not bytes.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from github import GithubException
from github.Requester import Requester

from registry_action.errors import GitHubError
from registry_action.store.github.http import GRAPHQL_TIMEOUTS, GitHubRetry
from registry_action.store.interface import blob_sha

# At most this many texts and bytes per query: public tools batch 100-250 files a query, and
# GitHub's 10 s cut-off stops bigger ones.
TEXTS_PER_QUERY = 250
BYTES_PER_QUERY = 2_000_000
# A few queries at once: GitHub's docs ask to avoid concurrent requests, and its secondary
# limits count them.
IN_FLIGHT = 4
# GraphQL's Blob.text stops here (https://docs.github.com/en/graphql/reference/objects#blob).
TEXT_LIMIT = 512_000
# GitHub types a GraphQL rate limit RATE_LIMITED; githubkit also handles RATE_LIMIT
# (yanyongyu/githubkit#272).
RATE_LIMIT_TYPES = frozenset({"RATE_LIMITED", "RATE_LIMIT"})

Call = Callable[[str, Callable[[], Any]], Any]


@dataclass(frozen=True)
class Blob:
    """A blob the listing named: its sha and its size in bytes."""

    sha: str
    size: int


@dataclass
class _Answer:
    """What one query gave: verified texts, blobs to ask again, and whether GitHub stopped it."""

    texts: dict[str, bytes] = field(default_factory=dict)
    again: list[Blob] = field(default_factory=list)
    stopped: bool = False


def batches(blobs: Iterable[Blob]) -> list[list[Blob]]:
    """The blobs GraphQL can give whole, in order, cut into batches GitHub answers in time."""
    out: list[list[Blob]] = []
    batch: list[Blob] = []
    size = 0
    for blob in blobs:
        if blob.size > TEXT_LIMIT:
            continue  # GraphQL would cut it: the blob API reads it
        if batch and (len(batch) >= TEXTS_PER_QUERY or size + blob.size > BYTES_PER_QUERY):
            out.append(batch)
            batch, size = [], 0
        batch.append(blob)
        size += blob.size
    return [*out, batch] if batch else out


def query_for(count: int) -> str:
    """A query for ``count`` blobs' text: ``b{i}`` takes the oid in variable ``o{i}``."""
    declared = "".join(f", $o{i}: GitObjectID!" for i in range(count))
    fields = "".join(
        f"\n    b{i}: object(oid: $o{i}) {{ ... on Blob {{ text isTruncated }} }}"
        for i in range(count)
    )
    return (
        f"query($owner: String!, $name: String!{declared}) {{\n"
        f"  repository(owner: $owner, name: $name) {{{fields}\n  }}\n}}\n"
    )


class TextReader:
    """Blobs' texts of one repository, read through GraphQL in batches."""

    def __init__(self, requester: Requester, repository: str, call: Call) -> None:
        self._requester = requester
        self._repository = repository
        self._call = call  # runs a request, translating its failures into the project's errors
        self._local = threading.local()
        self._made: list[Requester] = []

    def read(self, blobs: Sequence[Blob]) -> dict[str, bytes]:
        """The verified text of every blob GraphQL gave whole, by sha."""
        found: dict[str, bytes] = {}
        try:
            with ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix="graphql") as pool:
                self._run(pool, deque(batches(blobs)), found)
        finally:
            for requester in self._made:
                requester.close()
        return found

    def _run(
        self, pool: ThreadPoolExecutor, pending: deque[list[Blob]], found: dict[str, bytes]
    ) -> None:
        """Keep IN_FLIGHT queries going until every batch, and what each answer adds, is done."""
        asked_again: set[str] = set()
        running: dict[Future[_Answer], list[Blob]] = {}
        try:
            while pending or running:
                while pending and len(running) < IN_FLIGHT:
                    batch = pending.popleft()
                    running[pool.submit(self._ask, batch)] = batch
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    batch = running.pop(future)
                    answer = future.result()
                    found.update(answer.texts)
                    pending.extend(_next(batch, answer, asked_again))
        finally:
            for future in running:
                future.cancel()

    def _ask(self, batch: list[Blob]) -> _Answer:
        owner, _, name = self._repository.partition("/")
        variables: dict[str, str] = {"owner": owner, "name": name}
        variables.update({f"o{i}": blob.sha for i, blob in enumerate(batch)})
        body = {"query": query_for(len(batch)), "variables": variables}
        requester = self._own_requester()
        data = self._call("read the manifests", lambda: post_query(requester, body))
        if data is None:
            return _Answer(stopped=True)
        return self._verified(batch, data)

    def _own_requester(self) -> Requester:
        # PyGithub's connection keeps the request it is making on itself: one per thread.
        mine: Requester | None = getattr(self._local, "requester", None)
        if mine is None:
            mine = self._local.requester = self._requester.withAuth(self._requester.auth)
            self._made.append(mine)
        return mine

    def _verified(self, batch: list[Blob], data: dict[str, Any]) -> _Answer:
        errors = [e for e in data.get("errors") or [] if isinstance(e, dict)]
        repository = (data.get("data") or {}).get("repository")
        if not isinstance(repository, dict):
            raise GitHubError(
                f"could not read the manifests of {self._repository}: GitHub's GraphQL API "
                f"answered {named_errors(errors) or 'no repository'}"
            )
        answer = _Answer()
        for i, blob in enumerate(batch):
            node = repository.get(f"b{i}")
            if not isinstance(node, dict):
                if node is None and errors:
                    answer.again.append(blob)  # left out of a partial answer
                continue
            content = verified_text(node, blob.sha)
            if content is not None:
                answer.texts[blob.sha] = content
        return answer


def verified_text(node: Mapping[str, Any], sha: str) -> bytes | None:
    """A Blob node's text as bytes, if it is whole and hashes to ``sha``; else None."""
    text = node.get("text")
    if not isinstance(text, str) or node.get("isTruncated"):
        return None
    # A lone surrogate would not encode; its bytes cannot match the sha anyway.
    content = text.encode("utf-8", "surrogatepass")
    return content if blob_sha(content) == sha else None


def post_query(requester: Requester, body: dict[str, Any]) -> dict[str, Any] | None:
    """Send one GraphQL query and return its answer; None when GitHub stopped it after 10 s
    (ask for less). A rate limit answered with status 200 is waited out and the query sent
    again, until the deadline."""
    tries = 0
    while True:
        tries += 1
        try:
            headers, data = requester.requestJsonAndCheck("POST", requester.graphql_url, input=body)
        except GithubException as exc:
            if exc.status in GRAPHQL_TIMEOUTS:
                return None
            raise
        data = data if isinstance(data, dict) else {}
        limited = rate_limit(data)
        if limited is None:
            return data
        wait_out(requester, headers, limited, tries)  # the deadline ends the loop


def _next(batch: list[Blob], answer: _Answer, asked_again: set[str]) -> list[list[Blob]]:
    """The batches to send after ``answer``: halves of a stopped one, or the blobs a partial
    answer left out, once each."""
    if answer.stopped:
        half = (len(batch) + 1) // 2
        return [batch[:half], batch[half:]] if len(batch) > 1 else []
    again = [blob for blob in answer.again if blob.sha not in asked_again]
    asked_again.update(blob.sha for blob in again)
    return [again] if again else []


def rate_limit(data: dict[str, Any]) -> str | None:
    """The message of a rate limit GitHub answered with status 200, if this is one."""
    for error in data.get("errors") or []:
        if not isinstance(error, dict):
            continue
        message = " ".join(str(error.get("message") or "").split())
        if error.get("type") in RATE_LIMIT_TYPES or Requester.isSecondaryRateLimitError(message):
            return message or "rate limited"
    return None


def wait_out(requester: Requester, headers: Mapping[str, str], message: str, tries: int) -> None:
    """Wait out a GraphQL rate limit answered with status 200, by the rules and within the
    deadline the retries apply to REST (``tries``: the sends of this query so far);
    RateLimitPastDeadline if it lasts past the deadline.

    "If you exceed your primary rate limit, the response status will still be 200, but you
    will receive an error message, and the value of the x-ratelimit-remaining header will be
    0" ("Rate limits and query limits for the GraphQL API"); a secondary limit may come the
    same way.
    """
    retry = requester.kwargs.get("retry")
    if not isinstance(retry, GitHubRetry):
        retry = GitHubRetry()
    retry.waits.tries = tries
    wait = retry.rate_wait(200, headers, message, limited=True)
    assert wait is not None  # noqa: S101 - ``limited`` makes it a rate limit
    pause = retry.pause_for(wait, 200, {"message": message}, headers, "POST /graphql")
    retry.waits.sleep(pause)


def named_errors(errors: list[dict[str, Any]]) -> str:
    """The errors of a GraphQL answer on one line: ``TYPE: message; ...``."""
    named = []
    for error in errors:
        message = " ".join(str(error.get("message") or "").split())
        named.append(f"{error.get('type') or 'an error'}: {message}" if message else str(error))
    return "; ".join(named)
