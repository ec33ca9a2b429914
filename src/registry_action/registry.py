"""The registry index merge: pure functions, data in and data out, the clock passed in.

Documents are plain dicts so that every field the program does not know, and the order of
every key, survives a merge untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FORMAT_VERSION = "1.0.0"
ENTRY_FIELDS = ("id", "name", "version", "manifestUrl")


def new_registry(now: str) -> dict[str, Any]:
    """An empty registry, as a registry repository starts."""
    return {"version": FORMAT_VERSION, "lastUpdated": now, "plugins": []}


def entry_for(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The index entry that points at ``manifest``."""
    return {key: manifest[key] for key in ENTRY_FIELDS}


def find_entry(registry: Mapping[str, Any], plugin_id: str) -> dict[str, Any] | None:
    """The entry of ``plugin_id``, or None."""
    for entry in registry["plugins"]:
        if entry.get("id") == plugin_id:
            found: dict[str, Any] = entry
            return found
    return None


def upsert(
    registry: Mapping[str, Any], entry: Mapping[str, Any], now: str
) -> dict[str, Any] | None:
    """The registry with ``entry`` added or updated in place; None when nothing would change.

    An existing entry keeps its position and every field the program does not know; a new one
    is appended. ``lastUpdated`` moves only when something else changed.
    """
    plugins = list(registry["plugins"])
    for index, current in enumerate(plugins):
        if current.get("id") == entry["id"]:
            updated = {**current, **entry}
            if updated == current:
                return None
            plugins[index] = updated
            break
    else:
        plugins.append(dict(entry))
    return {**registry, "lastUpdated": now, "plugins": plugins}


def remove(registry: Mapping[str, Any], plugin_id: str, now: str) -> dict[str, Any] | None:
    """The registry without ``plugin_id``; None when it is not listed."""
    plugins = [entry for entry in registry["plugins"] if entry.get("id") != plugin_id]
    if len(plugins) == len(registry["plugins"]):
        return None
    return {**registry, "lastUpdated": now, "plugins": plugins}
