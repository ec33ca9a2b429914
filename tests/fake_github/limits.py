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
        wait = max(1, math.ceil(self.started + self.window - now))
        headers = {"retry-after": str(wait)} if style.endswith("retry-after") else {}
        message = (
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
            "again. If you reach out to GitHub Support for help, please include the request ID "
            f"{secrets.token_hex(8).upper()}."
        )
        status = 429 if style.startswith("429") else 403
        return ApiError(status, message, DOC, headers=headers).response()
