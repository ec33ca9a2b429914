"""Rendering a plugin's manifest: pure, the clock passed in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from registry_action.core.documents import manifest_problems
from registry_action.core.models import is_canonical_timestamp
from registry_action.core.spec import PluginSpec
from registry_action.errors import InputError, TemplateError

# The public key order of a manifest; fields a template adds follow in the template's order.
KEY_ORDER: dict[str, tuple[str, ...]] = {
    "": (
        "id",
        "name",
        "version",
        "description",
        "ui",
        "server",
        "manifestUrl",
        "lastUpdated",
    ),
    "ui": ("remoteEntry", "expose"),
    "server": ("routeBase", "deploymentUrl", "healthCheck"),
}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


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
        if isinstance(url, str)
        and urlsplit(url).scheme.lower() == "http"
        and urlsplit(url).hostname not in LOCAL_HOSTS
    ]
