"""Rebuilding ``registry.json`` from ``plugins/*.json``: pure, the clock passed in.

Used to repair the index after hand edits, and by registries that accept only manifests
(pull-request mode) to list what was merged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from registry_action.errors import RegistryProblemsError
from registry_action.registry import entry_for, new_registry
from registry_action.validation import Problem, manifest_problems_of


def rebuild(
    registry: Mapping[str, Any] | None, manifests: Iterable[Mapping[str, Any]], now: str
) -> dict[str, Any] | None:
    """The index that lists exactly ``manifests``; None when ``registry`` already does.

    Entries that still have a manifest keep their position and every field the program does
    not know; entries without one are dropped; new ones are appended in order of id. The top
    level keeps its unknown fields, and ``lastUpdated`` moves only when something else changed.
    """
    base = dict(registry) if registry is not None else new_registry(now)
    by_id = {manifest["id"]: manifest for manifest in manifests}
    plugins: list[dict[str, Any]] = []
    for current in base["plugins"]:
        manifest = by_id.pop(current["id"], None)
        if manifest is not None:
            plugins.append({**current, **entry_for(manifest)})
    plugins += [entry_for(by_id[plugin_id]) for plugin_id in sorted(by_id)]
    if registry is not None and plugins == registry["plugins"]:
        return None
    return {**base, "lastUpdated": now, "plugins": plugins}


def usable_manifests(files: Mapping[str, bytes]) -> list[dict[str, Any]]:
    """The manifests of ``files``; RegistryProblemsError naming every one that has problems.

    A damaged or misnamed manifest stops the rebuild rather than being left out: leaving it
    out would silently unregister that plugin from every dashboard.
    """
    manifests: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for path, content in sorted(files.items()):
        checked, found = manifest_problems_of(path, content)
        problems += found
        if not found:
            manifests.append(checked.document)
    if problems:
        listed = "; ".join(
            f"{p.path}{f' line {p.line}' if p.line else ''}: {p.message}" for p in problems
        )
        raise RegistryProblemsError(
            f"reindex refused: {len({p.path for p in problems})} manifest(s) have problems "
            f"and leaving them out would drop those plugins from the registry: {listed}; "
            "fix or delete them (validate lists every problem), then reindex again"
        )
    return manifests
