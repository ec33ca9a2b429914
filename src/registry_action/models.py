"""Pydantic models of the registry's two documents; they agree with ``schema/``.

The models accept and reject the same documents as the JSON schemas (a table-driven test holds
them to it). Unknown fields are allowed on every object, as the schemas allow them.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

PLUGIN_ID_PATTERN = r"^(?!.*\.\.)[a-z0-9][a-z0-9._-]*$"
PLUGIN_ID_MAX_LENGTH = 100
SEMVER_PATTERN = (
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$"
HTTP_URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://[^\s/?#@]+(?:[/?#][^\s]*)?$"
ABSOLUTE_PATH_PATTERN = r"^/(?!/)[^\s]*$"
FORMAT_VERSION_PATTERN = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"

_PLUGIN_ID_RE = re.compile(PLUGIN_ID_PATTERN)
_SEMVER_RE = re.compile(SEMVER_PATTERN)
_HTTP_URL_RE = re.compile(HTTP_URL_PATTERN)


# Every check is a full match: with re.match, "$" would also pass a value ending in "\n",
# which the schemas (ECMA-262, where "$" is the very end) refuse.
def _matches(regex: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not regex.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return AfterValidator(check)


def is_plugin_id(value: str) -> bool:
    """True for a lowercase, file-name-safe id of at most 100 characters."""
    return len(value) <= PLUGIN_ID_MAX_LENGTH and bool(_PLUGIN_ID_RE.fullmatch(value))


def is_semver(value: str) -> bool:
    """True for a semantic version such as ``1.2.3`` or ``2.0.0-rc.1+build.5``."""
    return bool(_SEMVER_RE.fullmatch(value))


def is_http_url(value: str) -> bool:
    """True for an absolute ``http``/``https`` URL with a host."""
    return bool(_HTTP_URL_RE.fullmatch(value)) and bool(urlsplit(value).hostname)


# Python's re is used for the patterns with look-aheads (the Rust engine has none).
PluginId = Annotated[
    str,
    StringConstraints(max_length=PLUGIN_ID_MAX_LENGTH),
    _matches(_PLUGIN_ID_RE, "a plugin id ([a-z0-9][a-z0-9._-]*, no '..')"),
]
SemVer = Annotated[str, _matches(_SEMVER_RE, "a semantic version such as 1.2.3")]
HttpUrl = Annotated[
    str, StringConstraints(max_length=2048), _matches(_HTTP_URL_RE, "an absolute http(s) URL")
]
Timestamp = Annotated[str, StringConstraints(pattern=TIMESTAMP_PATTERN.replace("$", r"\Z"))]
AbsolutePath = Annotated[
    str, _matches(re.compile(ABSOLUTE_PATH_PATTERN), "a path starting with a single '/'")
]
FormatVersion = Annotated[
    str, StringConstraints(pattern=FORMAT_VERSION_PATTERN.replace("$", r"\Z"))
]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]

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
