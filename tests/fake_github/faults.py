"""Faults the fake can inject into matching requests, deterministically.

Build one with the functions below and hand it to ``FakeGitHub.inject``::

    gh.inject(method="PUT", path_regex=r"/contents/registry\\.json$", fault=faults.status(502))
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = frozenset(
    {
        "status",
        "branch_race",
        "secondary_rate_limit",
        "too_many_requests",
        "primary_rate_limit",
        "latency",
        "reset",
        "hang",
        "stale_reads",
        "vanish",
        "redirect",
        "html",
        "graphql_rate_limited",
        "graphql_partial",
        "graphql_error",
        "answer",
        "trickle",
        "gzip_bomb",
    }
)


@dataclass(frozen=True)
class Fault:
    """What goes wrong. Use the constructor functions rather than building one by hand.

    ``apply`` (for ``status`` and ``reset``) means the request is carried out first, so a write
    really happens although the client sees the failure.
    """

    kind: str
    status: int = 0
    message: str | None = None
    apply: bool = False
    seconds: float = 0.0
    retry_after: int | str | None = None
    reset_in: int = 60
    count: int = 0
    error_type: str = ""
    # A raw x-ratelimit-reset value, sent instead of now + reset_in.
    reset_at: str | None = None
    body: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {sorted(KINDS)}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def status(code: int, message: str | None = None, *, apply: bool = False) -> Fault:
    """Answer ``code`` with a GitHub-style JSON error.

    Without a message, 409 says the branch moved (``is at X but expected Y``), as GitHub does
    when another commit lands during the write; other codes get GitHub's generic text.
    ``apply=True`` performs the request first (a 502 after the write was applied).
    """
    return Fault("status", status=code, message=message, apply=apply)


def branch_race() -> Fault:
    """409 ``is at <head> but expected <other>``: the branch moved while the write was made."""
    return Fault("branch_race", status=409)


def secondary_rate_limit(retry_after: int | str | None = 1) -> Fault:
    """403 with ``retry-after`` and "You have exceeded a secondary rate limit...".

    A text ``retry_after`` is sent as it is: GitHub sends whole seconds, but a gateway in front
    of GitHub Enterprise may send what RFC 9110 section 10.2.3 does not allow (milliseconds,
    digits of another script) or ``0``, which must not make a client retry at once.
    """
    return Fault("secondary_rate_limit", status=403, retry_after=retry_after)


def too_many_requests(retry_after: int | str | None = 1) -> Fault:
    """429 with ``retry-after`` and the secondary rate limit message."""
    return Fault("too_many_requests", status=429, retry_after=retry_after)


def primary_rate_limit(reset_in: int = 60, reset_at: str | None = None) -> Fault:
    """403 "API rate limit exceeded for ..." with ``x-ratelimit-remaining: 0`` and a reset epoch.

    ``reset_at`` is sent as the ``x-ratelimit-reset`` header as it is: in milliseconds, as some
    gateways count, or far in the future, which no wait can honour within a run.
    """
    return Fault("primary_rate_limit", status=403, reset_in=reset_in, reset_at=reset_at)


def latency(seconds: float) -> Fault:
    """Wait ``seconds``, then answer normally."""
    return Fault("latency", seconds=seconds)


def reset(*, apply: bool = False) -> Fault:
    """Close the connection with no response (a connection reset)."""
    return Fault("reset", apply=apply)


def hang(seconds: float) -> Fault:
    """Sleep ``seconds`` (longer than the client's timeout), then answer normally."""
    return Fault("hang", seconds=seconds)


def stale_reads(count: int) -> Fault:
    """Carry out a write normally, then serve the previous version to the next ``count`` reads.

    Models GitHub's eventually consistent reads: ``GET .../contents/{path}`` on the branch
    returns the content and sha from before the write, ``count`` times, then the new one.
    """
    return Fault("stale_reads", count=count)


@dataclass
class Injection:
    """A fault armed for requests matching ``method`` and ``path_regex`` (``re.search``), and
    ``mutation`` (a GraphQL request that carries one: True; one that does not: False; None:
    either).

    It lets ``skip`` matching requests through, then fires ``times`` times (``None``: forever).
    """

    id: int
    fault: Fault
    method: str | None = None
    path_regex: str = ".*"
    times: int | None = 1
    skip: int = 0
    fired: int = 0
    mutation: bool | None = None
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._pattern = re.compile(self.path_regex)
        if self.method:
            self.method = self.method.upper()

    def matches(self, method: str, path: str, mutation: bool = False) -> bool:
        if self.method and self.method != method:
            return False
        if self.mutation is not None and self.mutation != mutation:
            return False
        return self._pattern.search(path) is not None

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "fault": self.fault.to_json(),
            "method": self.method,
            "path_regex": self.path_regex,
            "times": self.times,
            "skip": self.skip,
            "fired": self.fired,
            "mutation": self.mutation,
        }


@dataclass(frozen=True)
class Fired:
    """A record that a fault fired (or that a stale read was served)."""

    kind: str
    method: str
    path: str
    injection_id: int | None
    status: int | None
    time: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def vanish() -> Fault:
    """Another writer deletes the requested contents path (or the paths a commit of many files
    deletes) just before the request is served.

    A DELETE then meets GitHub's 404 (https://docs.github.com/en/rest/repos/contents#delete-a-file
    lists 404 for a missing file), a read finds nothing, a commit finds the branch moved.
    """
    return Fault("vanish")


def redirect(code: int, location: str) -> Fault:
    """Answer ``code`` (301, 302, 307, 308) with ``Location: location``, as a proxy or a moved
    API might (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#follow-redirects)."""
    return Fault("redirect", status=code, message=location)


def html(code: int = 502) -> Fault:
    """Answer ``code`` with an HTML page, as GitHub's front end does for a 502 ("Unicorn!")."""
    return Fault("html", status=code)


def reference_update_failed() -> Fault:
    """422 "Reference update failed": a ruleset's "Restrict creations" (or updates) refusing a
    branch (https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/available-rules-for-rulesets#restrict-creations);
    the Git References API answers a refused ref write with that text."""
    return Fault("status", status=422, message="Reference update failed")


def graphql_rate_limited(
    reset_in: int | None = 60, retry_after: int | None = None, message: str | None = None
) -> Fault:
    """GitHub's GraphQL rate limit: status 200, ``errors[].type`` ``RATE_LIMITED``.

    "If you exceed your primary rate limit, the response status will still be 200, but you will
    receive an error message, and the value of the x-ratelimit-remaining header will be 0"
    ("Rate limits and query limits for the GraphQL API"). ``reset_in`` sets that header and
    ``x-ratelimit-reset`` (None: neither), ``retry_after`` a ``retry-after`` header, as a
    secondary limit may send; ``message`` replaces "API rate limit exceeded for ...".
    """
    return Fault(
        "graphql_rate_limited",
        status=200,
        message=message,
        retry_after=retry_after,
        reset_in=-1 if reset_in is None else reset_in,
    )


def graphql_partial() -> Fault:
    """A GraphQL answer with partial results: every second blob null, each with an error.

    GitHub "will terminate the request and return partial results along with an error
    indicating that resource limits were exceeded" ("Rate limits and query limits for the
    GraphQL API", Other resource limits).
    """
    return Fault("graphql_partial")


def graphql_error(error_type: str, message: str) -> Fault:
    """A GraphQL answer with status 200, no repository and one error of ``error_type``
    (``FORBIDDEN``, ``NOT_FOUND``...), in the ``errors`` list of the GraphQL spec's response
    (https://spec.graphql.org/October2021/#sec-Errors); GitHub adds the ``type``."""
    return Fault("graphql_error", status=200, message=message, error_type=error_type)


def stale_head() -> Fault:
    """``createCommitOnBranch`` refused because the branch moved from its ``expectedHeadOid``,
    in GitHub's words (mutations.py makes the same refusal for a head really gone)."""
    moved = 'Expected branch to point to "0000000" but it did not. Pull and try again.'
    return graphql_error("STALE_DATA", moved)


def answer(status: int, body: str = "", **headers: str) -> Fault:
    """Answer ``status`` with exactly ``body`` (JSON unless a ``content_type`` is given).

    For answers GitHub's documented shape does not promise, which a cache or a proxy in front of
    the API can give: a 304 (RFC 9111 section 4.3.4; GitHub answers conditional requests so,
    https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate),
    a 204 with no body, ``null``, a JSON string, a file whose content is not base64.
    """
    pairs = tuple((name.replace("_", "-"), value) for name, value in headers.items())
    return Fault("answer", status=status, body=body, headers=pairs)


def trickle_headers(seconds: float) -> Fault:
    """Answer normally, but send the status line and headers one byte every ``seconds``.

    A congested link or a proxy that relays byte by byte does this; requests' timeout is the
    time between bytes, "not a time limit on the entire response download"
    (https://requests.readthedocs.io/en/latest/user/advanced/#timeouts).
    """
    return Fault("trickle", message="headers", seconds=seconds)


def trickle_body(seconds: float) -> Fault:
    """Answer normally, headers at once, then the body one byte every ``seconds``."""
    return Fault("trickle", message="body", seconds=seconds)


def gzip_bomb(mebibytes: int) -> Fault:
    """200 with ``Content-Encoding: gzip``: a body of a few KB that inflates to ``mebibytes``.

    GitHub compresses answers for a client that accepts gzip, as requests does; a proxy or a
    wrong ``api-url`` can send a body that inflates to gigabytes (urllib3 fixed the unbounded
    decompression of one, GHSA-2xpw-w6gg-jr37, but reading the whole body is the client's).
    """
    return Fault("gzip_bomb", status=200, count=mebibytes)
