"""The registry's timestamp format."""

from __future__ import annotations

from datetime import UTC, datetime

from registry_action.core.models import read_timestamp


def timestamp(moment: datetime) -> str:
    """UTC, ISO 8601 with milliseconds and ``Z``: ``2024-01-20T12:00:00.000Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def now() -> str:
    """The current time in the registry's format."""
    return timestamp(datetime.now(UTC))


def normalised(text: str) -> str | None:
    """A timestamp read in any ISO 8601 form, in the written form; None if it names no moment."""
    moment = read_timestamp(text)
    return timestamp(moment) if moment is not None else None
