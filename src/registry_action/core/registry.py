"""The registry index merge: pure functions, data in and data out, the clock passed in.

Documents are plain dicts so that every field the program does not know, and the order of
every key, survives a merge untouched.

Ids are matched regardless of case: two ids differing only in case would collide on
case-insensitive file systems, so a registration of ``calendar2`` updates the entry
``Calendar2``. The entry keeps its spelling, because dashboards derive the plugin's Module
Federation container name from the id, case included.

Legacy forms are read but never written. Registries written by a clone-and-push script carry
timestamps with microseconds, manifests whose ``lastUpdated`` is the unexpanded text
``$(date -u +%Y-%m-%dT%H:%M:%S.000Z)``, and a ``registry.json`` with its keys in another order.
Dashboards read them all, so they are warnings, not damage; ``command: reindex`` (or the next
write of the file) brings them to the contract's form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from registry_action.core.documents import is_manifest_path, manifest_path, plugin_id_of
from registry_action.core.manifest import PluginSpec
from registry_action.core.models import (
    UNEXPANDED_DATE,
    Registry,
    RegistryEntry,
    is_canonical_timestamp,
    normalised,
)
from registry_action.settings.spelling import setting

FORMAT_VERSION = "1.0.0"
# The fields of an index entry, and the contract's order of the index's keys: the models' own.
ENTRY_FIELDS = tuple(RegistryEntry.model_fields)
TOP_LEVEL_ORDER = tuple(Registry.model_fields)


def new_registry(now: str) -> dict[str, Any]:
    """An empty registry, as a registry repository starts."""
    return {"version": FORMAT_VERSION, "lastUpdated": now, "plugins": []}


def in_contract_order(registry: Mapping[str, Any]) -> dict[str, Any]:
    """``registry`` with its known keys first, in the contract's order; the rest follow as found."""
    known = {key: registry[key] for key in TOP_LEVEL_ORDER if key in registry}
    return {**known, **{k: v for k, v in registry.items() if k not in known}}


def touched(registry: Mapping[str, Any], now: str) -> dict[str, Any]:
    """``registry`` with ``lastUpdated`` moved to ``now``, in the contract's order."""
    return in_contract_order({**registry, "lastUpdated": now})


def entry_for(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The index entry that points at ``manifest``."""
    return {key: manifest[key] for key in ENTRY_FIELDS}


def same_id(one: object, other: str) -> bool:
    """Whether ``one`` is the id ``other``, regardless of case."""
    return isinstance(one, str) and one.casefold() == other.casefold()


def find_entry(registry: Mapping[str, Any], plugin_id: str) -> dict[str, Any] | None:
    """The entry of ``plugin_id`` (matched regardless of case), or None."""
    for entry in registry["plugins"]:
        if same_id(entry.get("id"), plugin_id):
            found: dict[str, Any] = entry
            return found
    return None


def spelled_as(ids: Iterable[str], plugin_id: str) -> str | None:
    """The spelling among ``ids`` of ``plugin_id`` (regardless of case), or None."""
    return next((found for found in ids if same_id(found, plugin_id)), None)


def registered_id(registry: Mapping[str, Any], requested: str) -> str:
    """The id a registration of ``requested`` writes: the spelling already listed, if any."""
    listed = find_entry(registry, requested)
    return listed["id"] if listed is not None else requested


def as_listed(spec: PluginSpec, registry: Mapping[str, Any]) -> PluginSpec:
    """``spec`` under the id of its entry in ``registry``, when it has one in another case.

    An id matching an entry regardless of case names that plugin: it keeps its spelling, and
    so its file.
    """
    listed = find_entry(registry, spec.id)
    if listed is None or listed["id"] == spec.id:
        return spec
    return respelled(spec, listed["id"])


def as_spelled(spec: PluginSpec, paths: Iterable[str]) -> PluginSpec:
    """``spec`` under the spelling of its manifest among ``paths``, when that is another case.

    Two files differing only in case cannot both exist on macOS or Windows, and a rebuild of
    the index would list the plugin twice.
    """
    stems = [plugin_id_of(path) for path in paths if is_manifest_path(path)]
    spelling = spelled_as(stems, spec.id)
    return spec if spelling is None or spelling == spec.id else respelled(spec, spelling)


def respelled(spec: PluginSpec, plugin_id: str) -> PluginSpec:
    """``spec`` with the id ``plugin_id`` (the same id in another case), and its file's URL.

    The URL is made anew from the base URL, never copied from the entry: an entry's stale URL
    (another base, another case) would keep dashboards fetching the wrong file.
    """
    template = spec.template
    if template is not None and template.get("id") == spec.id:
        template = {**template, "id": plugin_id}  # "{id}" in a template meant this plugin
    base = spec.manifest_url.removesuffix(manifest_path(spec.id))
    url = f"{base}{manifest_path(plugin_id)}"
    return replace(spec, id=plugin_id, manifest_url=url, template=template)


def upsert(
    registry: Mapping[str, Any], entry: Mapping[str, Any], now: str
) -> dict[str, Any] | None:
    """The registry with ``entry`` added or updated in place; None when nothing would change.

    An existing entry (matched regardless of case) keeps its position, its id's spelling and
    every field the program does not know; a new one is appended. ``lastUpdated`` moves only
    when something else changed.
    """
    plugins = list(registry["plugins"])
    for index, current in enumerate(plugins):
        if same_id(current.get("id"), entry["id"]):
            updated = {**current, **entry, "id": current["id"]}
            if updated == current:
                return None
            plugins[index] = updated
            break
    else:
        plugins.append(dict(entry))
    return touched({**registry, "plugins": plugins}, now)


def remove(registry: Mapping[str, Any], plugin_id: str, now: str) -> dict[str, Any] | None:
    """The registry without ``plugin_id`` (matched regardless of case); None when not listed."""
    plugins = [entry for entry in registry["plugins"] if not same_id(entry.get("id"), plugin_id)]
    if len(plugins) == len(registry["plugins"]):
        return None
    return touched({**registry, "plugins": plugins}, now)


def _reindex_advice() -> str:
    return f"{setting('command', 'reindex')} converts the registry in one run"


@dataclass(frozen=True)
class LegacyForm:
    """One value in a form that is read but not written, and what to do about it."""

    where: tuple[str, ...]
    message: str


def _stamp_form(document: Mapping[str, Any], next_write: str) -> list[LegacyForm]:
    stamp = document.get("lastUpdated")
    if not isinstance(stamp, str) or is_canonical_timestamp(stamp):
        return []
    if stamp == UNEXPANDED_DATE:
        what = f"lastUpdated is the shell text {stamp!r}, never expanded to a time"
    else:
        what = f"lastUpdated {stamp!r} is not in the form written (2024-01-20T12:00:00.000Z)"
    return [LegacyForm(("lastUpdated",), f"{what}: {next_write}, or {_reindex_advice()}")]


def registry_forms(document: object) -> list[LegacyForm]:
    """The legacy forms of a ``registry.json`` document the schema accepts."""
    if not isinstance(document, dict):
        return []
    forms = _stamp_form(document, "the next registration rewrites it")
    if list(document) != list(in_contract_order(document)):
        found = ", ".join(k for k in document if k in TOP_LEVEL_ORDER)
        forms.append(
            LegacyForm(
                (),
                f"the keys are in the order {found}, not {', '.join(TOP_LEVEL_ORDER)}: "
                f"the next registration writes them in order, or {_reindex_advice()}",
            )
        )
    return forms


def manifest_forms(document: object) -> list[LegacyForm]:
    """The legacy forms of a manifest document the schema accepts."""
    if not isinstance(document, dict):
        return []
    return _stamp_form(document, "the plugin's next registration replaces it")


def converted_registry(document: Mapping[str, Any], now: str) -> dict[str, Any] | None:
    """``registry.json`` in the contract's form, the same moment kept; None if already so."""
    if not registry_forms(document):
        return None
    stamp = normalised(document["lastUpdated"]) or now
    return in_contract_order({**document, "lastUpdated": stamp})


def converted_manifest(
    document: Mapping[str, Any], last_changed: Callable[[], str]
) -> dict[str, Any] | None:
    """A manifest in the contract's form; None if already so.

    A stamp naming no moment (the unexpanded text) becomes ``last_changed()``: when the
    manifest was last committed, where the store can tell, else the time of the run.
    """
    if not manifest_forms(document):
        return None
    stamp = normalised(document["lastUpdated"]) or last_changed()
    return {**document, "lastUpdated": stamp}
