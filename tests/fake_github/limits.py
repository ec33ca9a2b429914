"""GitHub's secondary rate limit on content creation, one budget shared by every token.

GitHub's docs, "Rate limits for the REST API" (About secondary rate limits): "No more than 80
content-generating requests per minute and no more than 500 content-generating requests per
hour are generally allowed"; the limit is per user or App installation, so every token an
installation mints shares it. Past it: "you will receive a 403 or 429 response and an error
message that indicates that you exceeded a secondary rate limit. If the retry-after response
header is present, you should not retry your request until after that many seconds has
elapsed ... Otherwise, wait for at least one minute". "Best practices for using the REST API"
(Handle rate limit errors appropriately) says the same. Content-generating requests are the
ones that create or change something: POST, PATCH, PUT and DELETE, but not a GraphQL query
(a POST that only reads); a GraphQL mutation is one.

Tests scale the window down in time (20 writes per 5 s instead of 80 per 60 s).

``DocumentedLimits`` holds every secondary limit the same page documents that a fake can hold,
at GitHub's figures, shared by every token: "No more than 100 concurrent requests are allowed.
This limit is shared across the REST API and GraphQL API"; "No more than 900 points per minute
are allowed for REST API endpoints, and no more than 2,000 points per minute are allowed for
the GraphQL API endpoint", where (Calculating points for the secondary rate limit) "GraphQL
requests without mutations" cost 1, "GraphQL requests with mutations" 5, "Most REST API GET,
HEAD, and OPTIONS requests" 1 and "Most REST API POST, PATCH, PUT, or DELETE requests" 5; and
"no more than 80 content-generating requests per minute and no more than 500
content-generating requests per hour". Only the windows are scaled (``scale`` 0.1: a minute
is 6 s). The limit on CPU time ("90 seconds of CPU time per 60 seconds of real time") is not
held: the fake cannot tell GitHub's CPU time.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass

from .core import ApiError, ApiResponse

DOC = "overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
# How a refusal is worded, in turn when the style is "mixed": GitHub sends each of these.
STYLES = ("403-retry-after", "403", "429-retry-after")


@dataclass
class SecondaryLimit:
    """``writes`` content-creating requests per ``window`` seconds, across every token."""

    writes: int
    window: float
    style: str = "mixed"  # one of STYLES, or "mixed" to take them in turn
    started: float = 0.0
    used: int = 0
    refused: int = 0
    admitted: int = 0

    def __post_init__(self) -> None:
        if self.style != "mixed" and self.style not in STYLES:
            raise ValueError(f"style must be 'mixed' or one of {STYLES}, not {self.style!r}")

    def check(self, creating: bool, now: float) -> ApiResponse | None:
        """None to let the request through, else GitHub's refusal. Call with the lock held.

        ``creating``: whether the request creates content (``RequestRecord.is_write``).
        """
        if not creating:
            return None
        if now >= self.started + self.window:
            self.started, self.used = now, 0
        if self.used < self.writes:
            self.used += 1
            self.admitted += 1
            return None
        style = STYLES[self.refused % len(STYLES)] if self.style == "mixed" else self.style
        self.refused += 1
        return refusal(style, self.started + self.window - now)


@dataclass
class Window:
    """At most ``limit`` units per ``seconds``, counted from the first use after a reset."""

    limit: int
    seconds: float
    started: float = 0.0
    used: int = 0

    def fits(self, cost: int, now: float) -> bool:
        if now >= self.started + self.seconds:
            self.started, self.used = now, 0
        return self.used + cost <= self.limit

    def wait(self, now: float) -> int:
        """Whole seconds until the window resets (at least 1), for a ``retry-after``."""
        return max(1, math.ceil(self.started + self.seconds - now))


@dataclass
class DocumentedLimits:
    """GitHub's documented secondary limits, shared by every token; windows times ``scale``."""

    scale: float = 1.0
    concurrent: int = 100
    in_flight: int = 0
    refused: dict[str, int] | None = None

    def __post_init__(self) -> None:
        minute, hour = 60 * self.scale, 3600 * self.scale
        self.windows = {
            "REST points": Window(900, minute),
            "GraphQL points": Window(2000, minute),
            "content a minute": Window(80, minute),
            "content an hour": Window(500, hour),
        }
        self.refused = dict.fromkeys(["concurrent requests", *self.windows], 0)
        self._turn = 0

    def admit(
        self, graphql: bool, creating: bool, read_only: bool, now: float
    ) -> ApiResponse | None:
        """None to let the request through (it is then in flight until ``done``), else GitHub's
        refusal. ``creating``: it creates content; ``read_only``: a GET, HEAD or OPTIONS, or a
        GraphQL query. Call with the lock held."""
        assert self.refused is not None
        if self.in_flight >= self.concurrent:
            return self._refuse("concurrent requests", 60 * self.scale)
        cost = 1 if read_only else 5
        charged = [("GraphQL points" if graphql else "REST points", cost)]
        if creating:
            charged += [("content a minute", 1), ("content an hour", 1)]
        for name, units in charged:
            window = self.windows[name]
            if not window.fits(units, now):
                return self._refuse(name, window.wait(now))
        for name, units in charged:
            self.windows[name].used += units
        self.in_flight += 1
        return None

    def done(self) -> None:
        """A request let through has been answered (or dropped). Call with the lock held."""
        self.in_flight -= 1

    def _refuse(self, name: str, wait: float) -> ApiResponse:
        assert self.refused is not None
        self.refused[name] += 1
        style = STYLES[self._turn % len(STYLES)]
        self._turn += 1
        return refusal(style, wait)


def refusal(style: str, wait: float) -> ApiResponse:
    """GitHub's answer past a secondary limit, in ``style`` (one of STYLES), naming ``wait``
    seconds (rounded up, at least 1) when the style has a ``retry-after``."""
    headers = {"retry-after": str(max(1, math.ceil(wait)))} if style.endswith("retry-after") else {}
    message = (
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
        "again. If you reach out to GitHub Support for help, please include the request ID "
        f"{secrets.token_hex(8).upper()}."
    )
    status = 429 if style.startswith("429") else 403
    return ApiError(status, message, DOC, headers=headers).response()
