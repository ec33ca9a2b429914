"""Folding: listing in one index write the manifests that racing registrations committed.

Part of the pure core: data in and data out, the clock passed in. When many registrations
race, each commits its manifest and then needs an entry in the one ``registry.json``; one index
write that lists every manifest on the branch that the index does not list yet lets the others
find their entry there and stop without writing (engine/publish.py orders who writes it).

Parked manifests (on branches of their own, store/interface.py ``RegistryStore.park``) are folded
the same way, committed with the index; a parked one may also replace the manifest of a plugin
the index lists.

Only what a registration would have written is folded: a manifest that parses as strict JSON,
passes the schema, lives at the path its id names and points its ``manifestUrl`` there, and
whose id neither the index nor another folded manifest already holds, in any case or as the
same Module Federation container. Anything else is left for its own run or for ``reindex``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from registry_action.core.documents import is_manifest_path, load_manifest, plugin_id_of
from registry_action.core.ids import container_name
from registry_action.core.registry import entry_for, upsert
from registry_action.errors import DamagedFileError


def unlisted(index: Mapping[str, Any], paths: Iterable[str]) -> list[str]:
    """The manifest paths among ``paths`` whose id ``index`` does not list (in any case), in
    the order folding takes them: by id, regardless of case."""
    listed = {str(entry.get("id")).casefold() for entry in index["plugins"]}
    found = (p for p in paths if is_manifest_path(p) and "/" not in p.split("/", 1)[1])
    return sorted((p for p in found if plugin_id_of(p).casefold() not in listed), key=in_line)


def in_line(path: str) -> tuple[str, str]:
    """The order runs fold manifests in: by id, regardless of case."""
    return plugin_id_of(path).casefold(), path


def fold(
    index: Mapping[str, Any], manifests: Mapping[str, bytes], now: str
) -> tuple[dict[str, Any] | None, list[str]]:
    """``index`` with an entry appended for each foldable manifest of ``manifests`` (contents
    by path), and the ids folded; None and ``[]`` when none is."""
    updated: dict[str, Any] | None = None
    folded: list[str] = []
    taken = _taken(index)
    for path in unlisted(index, manifests):
        manifest = _foldable(path, manifests[path], taken)
        if manifest is None:
            continue
        changed = upsert(updated or index, entry_for(manifest), now)
        if changed is not None:
            updated = changed
            folded.append(manifest["id"])
            taken |= {manifest["id"].casefold(), "\0" + container_name(manifest["id"])}
    return updated, folded


def fold_parked(
    index: Mapping[str, Any], manifests: Mapping[str, bytes], now: str
) -> tuple[dict[str, Any] | None, list[str]]:
    """``index`` with the entry of each foldable parked manifest of ``manifests`` (contents by
    path) added, or replacing its id's entry; None when no entry changes. Also the paths of
    the manifests folded, to commit with it: a parked manifest may change a plugin the index
    lists, with the same entry."""
    updated: dict[str, Any] | None = None
    folded: list[str] = []
    for path in sorted(manifests, key=in_line):
        current = updated or index
        plugin_id = plugin_id_of(path)
        others = {"plugins": [e for e in current["plugins"] if e.get("id") != plugin_id]}
        manifest = _foldable(path, manifests[path], _taken(others))
        if manifest is None:
            continue
        folded.append(path)
        updated = upsert(current, entry_for(manifest), now) or updated
    return updated, folded


def _taken(index: Mapping[str, Any]) -> set[str]:
    """The ids (folded case) and container names (after a NUL) that ``index`` holds."""
    ids = [str(entry.get("id")) for entry in index["plugins"]]
    return {i.casefold() for i in ids} | {"\0" + container_name(i) for i in ids}


def _foldable(path: str, content: bytes, taken: set[str]) -> dict[str, Any] | None:
    """The manifest at ``path``, if it is one a registration would have written, else None."""
    try:
        manifest = load_manifest(path, content)
    except DamagedFileError:
        return None
    plugin_id = manifest["id"]
    if plugin_id != plugin_id_of(path) or not str(manifest["manifestUrl"]).endswith(f"/{path}"):
        return None
    if plugin_id.casefold() in taken or "\0" + container_name(plugin_id) in taken:
        return None
    return manifest
