"""What one registration is about: the plugin's identity and its rendered field values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry_action.core.models import is_http_url
from registry_action.core.template import substitute
from registry_action.errors import InputError
from registry_action.settings.spelling import named


@dataclass(frozen=True)
class RepositoryContext:
    """Names known about the calling and the registry repositories (placeholder values)."""

    repository: str  # owner/name of the plugin's repository
    registry_repository: str
    registry_branch: str

    @property
    def repository_owner(self) -> str:
        return self.repository.partition("/")[0]

    @property
    def repository_name(self) -> str:
        return self.repository.partition("/")[2]


@dataclass(frozen=True)
class PluginSpec:
    """A plugin as the inputs describe it, every placeholder already substituted."""

    id: str
    name: str
    version: str
    description: str
    ui_remote_entry: str
    ui_expose: str
    server_route_base: str
    server_deployment_url: str
    server_health_check: str
    manifest_url: str
    template: Mapping[str, Any] | None = None  # rendered template, when one was given

    def built_in(self) -> dict[str, Any]:
        """The manifest the built-in template gives, without the program-set fields."""
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "ui": {"remoteEntry": self.ui_remote_entry, "expose": self.ui_expose},
            "server": {
                "routeBase": self.server_route_base,
                "deploymentUrl": self.server_deployment_url,
                "healthCheck": self.server_health_check,
            },
        }


@dataclass(frozen=True)
class SpecInputs:
    """The raw (unsubstituted) values a PluginSpec is built from.

    ``fields`` holds the inputs declared as spec fields (``Inputs.spec_values``), by field
    name; the others are worked out by the command (the id, the version, the base URL).
    """

    plugin_id: str
    version: str
    manifest_base_url: str
    fields: Mapping[str, str | None]
    template: Mapping[str, Any] | None = None


def placeholder_context(plugin_id: str, version: str, repos: RepositoryContext) -> dict[str, str]:
    """Placeholder values known before the plugin's name is."""
    return {
        "id": plugin_id,
        "version": version,
        "repository": repos.repository,
        "repository_owner": repos.repository_owner,
        "repository_name": repos.repository_name,
        "registry_repository": repos.registry_repository,
        "registry_branch": repos.registry_branch,
    }


def checked_input(text: str, input_name: str, check: str, context: Mapping[str, str]) -> str:
    """An input's ``text`` with its placeholders substituted, checked to be a ``check``.

    ``check`` is ``url`` (an absolute http(s) URL), ``path`` (starting with one '/') or
    ``text`` (anything).
    """
    result = substitute(text, context, named(input_name))
    if check == "url" and not is_http_url(result):
        raise InputError(
            f"{named(input_name)} {result!r} is not an absolute http(s) URL "
            "(such as https://example.com/path)"
        )
    if check == "path" and (
        not result.startswith("/") or result.startswith("//") or any(c.isspace() for c in result)
    ):
        raise InputError(f"{named(input_name)} {result!r} must be a path starting with '/'")
    return result
