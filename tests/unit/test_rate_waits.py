"""Rate-limit headers read as GitHub documents them, whatever a server puts in them."""

from __future__ import annotations

import pytest

from registry_action.store.github.errors import RateWait
from registry_action.store.github.waits import Waits, rate_wait
from registry_action.store.interface import Deadline

NOW = 1_700_000_000.0
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes."
NO_TIME = "GitHub named no time: at least 60 s"


def wait(headers: dict[str, str], status: int = 429, message: str = SECONDARY) -> RateWait | None:
    return rate_wait(status, headers, message, Waits(Deadline(600), epoch=lambda: NOW), 60.0)


@pytest.mark.parametrize(
    ("headers", "seconds", "source"),
    [
        ({"Retry-After": "7"}, 7, "its retry-after header: 7 s"),
        ({"Retry-After": " 7 "}, 7, "its retry-after header: 7 s"),
        # At least a second between tries, whatever the header says.
        ({"Retry-After": "0"}, 1, "its retry-after header: 0 s, raised to 1 s"),
        # Milliseconds read as seconds: a wait past any deadline, refused at once by the caller.
        ({"Retry-After": "60000"}, 60000, "its retry-after header: 60000 s"),
        (
            {"Retry-After": "Tue, 14 Nov 2023 22:15:00 GMT"},
            100,
            "its retry-after header: 22:15:00 UTC",
        ),
        # Digits that are no ASCII digits name no time.
        ({"Retry-After": "\u00b2"}, 60, NO_TIME),
        ({"Retry-After": "\u0663"}, 60, NO_TIME),
        ({"Retry-After": "1.5"}, 60, NO_TIME),
        ({"Retry-After": "-5"}, 60, NO_TIME),
        (
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)},
            31,
            "its x-ratelimit-reset: 22:13:50 UTC",
        ),
        (
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) - 30)},
            1,
            "its x-ratelimit-reset: 22:12:50 UTC",
        ),
        (
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000000000"},
            1_700_000_000_000 - NOW + 1,
            "its x-ratelimit-reset: epoch second 1700000000000",
        ),
        (
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 86400 * 400)},
            86400 * 400 + 1,
            "its x-ratelimit-reset: 2024-12-18 22:13:20 UTC",
        ),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1\u0667"}, 60, NO_TIME),
    ],
)
def test_every_wait_is_a_number_of_seconds_of_at_least_one(
    headers: dict[str, str], seconds: float, source: str
) -> None:
    assert wait(headers) == RateWait("secondary", seconds, source)


def test_a_refusal_without_rate_limit_signs_is_none() -> None:
    assert wait({}, 403, "Resource not accessible by integration") is None
