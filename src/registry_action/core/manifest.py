"""Rendering a plugin's manifest: placeholders, the plugin's spec, the manifest. Pure.

``{name}`` is replaced by a value from the context; ``{{`` and ``}}`` are literal braces. In a
template, substitution happens in every string value *after* the JSON is parsed, so a value that
contains quotes or backslashes can never break the document. A ``PluginSpec`` is what one
registration is about: the plugin's identity and its field values, placeholders substituted;
``render_manifest`` makes the manifest of it, the clock passed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from registry_action.core import strictjson
from registry_action.core.documents import manifest_problems
from registry_action.core.models import (
    Manifest,
    is_absolute_path,
    is_canonical_timestamp,
    is_http_url,
)
from registry_action.core.urls import host_of, path_problem, url_problem
from registry_action.errors import InputError, TemplateError
from registry_action.settings.spelling import named

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def substitute(text: str, context: Mapping[str, str], where: str) -> str:
    """Replace every ``{placeholder}`` in ``text``; unknown ones are an error naming them."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name is None:
            raise TemplateError(
                f"{where}: unmatched {token!r} in {text!r} "
                f"(write {token * 2!r} for a literal brace)"
            )
        if name not in context:
            known = ", ".join("{" + key + "}" for key in context)
            raise TemplateError(f"{where}: unknown placeholder {{{name}}}; known: {known}")
        return context[name]

    return _TOKEN.sub(replace, text)


def render_value(value: Any, context: Mapping[str, str], where: str) -> Any:
    """Substitute placeholders in every string inside a parsed JSON value (keys are left alone)."""
    if isinstance(value, str):
        return substitute(value, context, where)
    if isinstance(value, list):
        return [render_value(item, context, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        return {key: render_value(item, context, f"{where}.{key}") for key, item in value.items()}
    return value


def parse_template(source: str, text: str) -> dict[str, Any]:
    """Parse a manifest template file; it must be a JSON object."""
    try:
        document = strictjson.parse(text, f"the manifest template {source}")
    except strictjson.NotJSONError as exc:
        raise TemplateError(str(exc)) from None
    if not isinstance(document, dict):
        raise TemplateError(f"the manifest template {source} must be a JSON object")
    return document


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
    integrity: str | None = None  # the remote entry's SRI hash, when it was fetched

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
    ``literal`` holds values for fields the user left unset that came from elsewhere (the
    event payload's repository description): text nobody wrote as a template, taken as it is.
    """

    plugin_id: str
    version: str
    manifest_base_url: str
    fields: Mapping[str, str | None]
    template: Mapping[str, Any] | None = None
    literal: Mapping[str, str] = field(default_factory=dict)


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
    if check == "path" and not is_absolute_path(result):
        raise InputError(f"{named(input_name)} {result!r} must be a path starting with '/'")
    if check == "url" and (problem := url_problem(result)) is not None:
        raise InputError(
            f"{named(input_name)} {result!r} is not a URL browsers accept as written: {problem}"
        )
    if check == "path" and (problem := path_problem(result)) is not None:
        raise InputError(
            f"{named(input_name)} {result!r} is not a path browsers keep on the deployment's "
            f"host: {problem}"
        )
    return result


# The public key order of a manifest and of its sections: the order the models declare their
# fields in. Fields a template adds follow in the template's order.
KEY_ORDER: dict[str, tuple[str, ...]] = {"": tuple(Manifest.model_fields)} | {
    name: tuple(field.annotation.model_fields)
    for name, field in Manifest.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]"}  # as browsers write them


def render_manifest(spec: PluginSpec, now: str) -> dict[str, Any]:
    """The manifest of ``spec`` at time ``now``, validated; InputError says what is wrong."""
    built_in = spec.built_in()
    document = built_in if spec.template is None else _fill(dict(spec.template), built_in)
    for key in ("id", "version"):
        if document.get(key) != built_in[key]:
            raise TemplateError(
                f"the manifest template sets {key} to {document.get(key)!r}, but the plugin's "
                f"{key} is {built_in[key]!r}; remove it from the template or use {{{key}}}"
            )
    if spec.integrity is not None and isinstance(document.get("ui"), dict):
        document["ui"] = {**document["ui"], "integrity": spec.integrity}
    document["manifestUrl"] = spec.manifest_url
    document["lastUpdated"] = now
    ordered = _ordered(document, "")
    problems = manifest_problems(ordered)
    if problems:
        raise InputError(f"the manifest for {spec.id} would be invalid: {problems[0]}")
    return ordered


def _fill(template: dict[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Template values win; what the template leaves out comes from the inputs' defaults."""
    for key, value in defaults.items():
        if key not in template:
            template[key] = value
        elif isinstance(value, Mapping) and isinstance(template[key], dict):
            template[key] = _fill(dict(template[key]), value)
    return template


def _ordered(document: dict[str, Any], section: str) -> dict[str, Any]:
    order = KEY_ORDER.get(section, ())
    keys = [k for k in order if k in document] + [k for k in document if k not in order]
    return {
        key: _ordered(document[key], key)
        if section == "" and key in KEY_ORDER and isinstance(document[key], dict)
        else document[key]
        for key in keys
    }


def same_content(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """True when two manifests differ at most in ``lastUpdated``, and ``old``'s is written form.

    A stamp in another form (such as a clone-and-push script's unexpanded ``$(date ...)``)
    counts as a difference, so that the next registration writes the file in the contract's form.
    """
    stamp = old.get("lastUpdated")
    if not isinstance(stamp, str) or not is_canonical_timestamp(stamp):
        return False
    return {k: v for k, v in old.items() if k != "lastUpdated"} == {
        k: v for k, v in new.items() if k != "lastUpdated"
    }


def insecure_urls(manifest: Mapping[str, Any]) -> list[str]:
    """Plain-http URLs to hosts other than localhost (dashboards on https cannot load them)."""
    ui = manifest.get("ui") or {}
    server = manifest.get("server") or {}
    urls = [ui.get("remoteEntry"), server.get("deploymentUrl"), manifest.get("manifestUrl")]
    return [
        url
        for url in urls
        if isinstance(url, str) and url[:7].lower() == "http://" and host_of(url) not in LOCAL_HOSTS
    ]
