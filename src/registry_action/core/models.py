"""Pydantic models of the registry's two documents, the forms of their values, timestamps.

The models accept and reject the same documents as the JSON schemas in ``schema/`` (a
table-driven test holds them to it). Unknown fields are allowed on every object, as the schemas
allow them. Timestamps are read in any ISO 8601 form and written in one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

PLUGIN_ID_PATTERN = r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]*$"
PLUGIN_ID_MAX_LENGTH = 100
SEMVER_PATTERN = (
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
# The form every timestamp is written in.
TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$"
# What the clone-and-push script this action replaces wrote into every manifest: its heredoc was
# quoted, so bash never expanded it. Read (with a warning), never written.
UNEXPANDED_DATE = "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)"
# The forms read: an ISO 8601 date and time (calendar or week date, extended or basic format
# used consistently, any fraction, any offset or none), or the unexpanded text above.
_MONTH_DAY = r"(?:0[1-9]|1[0-2]){sep}(?:0[1-9]|[12][0-9]|3[01])"
_WEEK_DAY = r"W(?:0[1-9]|[1-4][0-9]|5[0-3]){sep}[1-7]"
_TIME = (
    r"(?:(?:[01][0-9]|2[0-3])(?:{sep}[0-5][0-9](?:{sep}[0-5][0-9](?:[.,][0-9]+)?)?)?"
    r"|24(?:{sep}00(?:{sep}00(?:[.,]0+)?)?)?)"
)


def _date_time(dash: str, colon: str) -> str:
    date = f"[0-9]{{4}}{dash}(?:{_MONTH_DAY}|{_WEEK_DAY})".replace("{sep}", dash)
    return f"{date}T{_TIME.replace('{sep}', colon)}"


_OFFSET = r"(?:Z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)?"
TIMESTAMP_READ_PATTERN = (
    rf"^(?:(?!0000)(?:{_date_time('-', ':')}|{_date_time('', '')}){_OFFSET}"
    r"|\$\(date -u \+%Y-%m-%dT%H:%M:%S\.000Z\))$"
)
HTTP_URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://[^\s/?#@]+(?:[/?#][^\s]*)?$"
ABSOLUTE_PATH_PATTERN = r"^/(?!/)[^\s]*$"
FORMAT_VERSION_PATTERN = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"
# Subresource Integrity metadata of one script: the hashes browsers support, in base64.
SRI_HASH_PATTERN = (
    r"^(?:sha256-[A-Za-z0-9+/]{43}=|sha384-[A-Za-z0-9+/]{64}|sha512-[A-Za-z0-9+/]{86}==)$"
)

_PLUGIN_ID_RE = re.compile(PLUGIN_ID_PATTERN)
_SEMVER_RE = re.compile(SEMVER_PATTERN)
_HTTP_URL_RE = re.compile(HTTP_URL_PATTERN)
_TIMESTAMP_RE = re.compile(TIMESTAMP_PATTERN)
_TIMESTAMP_READ_RE = re.compile(TIMESTAMP_READ_PATTERN)
_ABSOLUTE_PATH_RE = re.compile(ABSOLUTE_PATH_PATTERN)
_SRI_HASH_RE = re.compile(SRI_HASH_PATTERN)


def _readable_timestamp(value: str) -> str:
    if value != UNEXPANDED_DATE and read_timestamp(value) is None:
        raise ValueError(f"{value!r} is not an ISO 8601 date and time")
    return value


# Every check is a full match: with re.match, "$" would also pass a value ending in "\n",
# which the schemas (ECMA-262, where "$" is the very end) refuse.
def _matches(regex: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not regex.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return AfterValidator(check)


def is_plugin_id(value: str) -> bool:
    """True for a file-name-safe id of at most 100 characters (letters of either case)."""
    # fullmatch: with match(), the pattern's "$" would let a trailing newline through.
    return len(value) <= PLUGIN_ID_MAX_LENGTH and _PLUGIN_ID_RE.fullmatch(value) is not None


def is_canonical_timestamp(value: str) -> bool:
    """True for a timestamp in the form written: ``2024-01-20T12:00:00.000Z``."""
    return _in_written_form(value) is not None


def _in_written_form(value: str) -> datetime | None:
    if _TIMESTAMP_RE.fullmatch(value) is None:
        return None
    try:
        return datetime.fromisoformat(value)  # no parser to import for the common case
    except ValueError:
        return None  # a day or an hour out of range, such as 24:00


def read_timestamp(value: str) -> datetime | None:
    """The moment an ISO 8601 timestamp names (UTC when it names no offset), else None.

    None too for the unexpanded ``$(date ...)`` text, which names no moment.
    """
    written = _in_written_form(value)
    if written is not None:
        return written
    if _TIMESTAMP_READ_RE.fullmatch(value) is None or value == UNEXPANDED_DATE:
        return None
    # The ISO parser of python-dateutil reads every form the pattern admits (week dates, basic
    # format, comma fractions, 24:00), which datetime alone does not. It is loaded only here,
    # for the rare timestamp that is not in the written form.
    from dateutil.parser import isoparse

    try:
        moment = isoparse(value)
    except (ValueError, OverflowError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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


def is_semver(value: str) -> bool:
    """True for a semantic version such as ``1.2.3`` or ``2.0.0-rc.1+build.5``."""
    return bool(_SEMVER_RE.fullmatch(value))


def is_absolute_path(value: str) -> bool:
    """True for a path starting with a single ``/``, without white space."""
    return _ABSOLUTE_PATH_RE.fullmatch(value) is not None


def is_http_url(value: str) -> bool:
    """True for a value of the shape of an absolute ``http``/``https`` URL (the schemas' check).

    Whether browsers accept it is ``core.urls.url_problem``'s to say.
    """
    return bool(_HTTP_URL_RE.fullmatch(value))


# Python's re is used for the patterns with look-aheads (the Rust engine has none).
PluginId = Annotated[
    str,
    StringConstraints(max_length=PLUGIN_ID_MAX_LENGTH),
    _matches(_PLUGIN_ID_RE, "a plugin id ([A-Za-z0-9][A-Za-z0-9._-]*, no '..')"),
]
SemVer = Annotated[str, _matches(_SEMVER_RE, "a semantic version such as 1.2.3")]
HttpUrl = Annotated[
    str, StringConstraints(max_length=2048), _matches(_HTTP_URL_RE, "an absolute http(s) URL")
]
Timestamp = Annotated[str, AfterValidator(_readable_timestamp)]
AbsolutePath = Annotated[str, _matches(_ABSOLUTE_PATH_RE, "a path starting with a single '/'")]
FormatVersion = Annotated[
    str, StringConstraints(pattern=FORMAT_VERSION_PATTERN.replace("$", r"\Z"))
]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
SriHash = Annotated[str, _matches(_SRI_HASH_RE, "an SRI hash such as sha384-<base64>")]

_OPEN = ConfigDict(extra="allow", strict=True, regex_engine="python-re")


class RegistryEntry(BaseModel):
    """One plugin in ``registry.json``'s ``plugins`` list."""

    model_config = _OPEN
    id: PluginId
    name: NonEmpty
    version: SemVer
    manifestUrl: HttpUrl


class Registry(BaseModel):
    """``registry.json``: the index dashboards read."""

    model_config = _OPEN
    version: FormatVersion
    lastUpdated: Timestamp
    plugins: list[RegistryEntry]


class UiSection(BaseModel):
    """Where the Module Federation remote is and what it exposes."""

    model_config = _OPEN
    remoteEntry: HttpUrl
    expose: NonEmpty
    integrity: SriHash = ""  # optional, but an SRI hash when present (null is refused)


class ServerSection(BaseModel):
    """The plugin's backend service."""

    model_config = _OPEN
    routeBase: AbsolutePath
    deploymentUrl: HttpUrl
    healthCheck: AbsolutePath


class Manifest(BaseModel):
    """``plugins/<id>.json``: everything a dashboard needs to load one plugin."""

    model_config = _OPEN
    id: PluginId
    name: NonEmpty
    version: SemVer
    description: str = ""  # optional, but a string when present (null is refused)
    ui: UiSection
    server: ServerSection
    manifestUrl: HttpUrl
    lastUpdated: Timestamp
