"""Which file a registration writes: the spelling its id already has, and the index it joins.

Ids are one regardless of case (two files differing only in case cannot both exist on macOS or
Windows), so an id listed, or with a file, in another case takes that spelling. An id that
would load the Module Federation container of another listed plugin is refused before any
write. A registry without ``registry.json`` gets an index listing the manifests already in
``plugins/``: a lost index is rebuilt rather than replaced by one plugin, and a new registry's
first registrations, racing, list each other's manifests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry_action.core.documents import (
    PLUGINS_DIR,
    REGISTRY_PATH,
    is_manifest_path,
    manifest_path,
)
from registry_action.core.ids import check_container
from registry_action.core.manifest import PluginSpec
from registry_action.core.registry import as_listed, as_spelled, find_entry
from registry_action.engine.state import RunState
from registry_action.settings.spelling import setting
from registry_action.store.interface import RegistryStore, Snapshot, StoredFile


def spelled(
    store: RegistryStore,
    spec: PluginSpec,
    found: Snapshot,
    read: tuple[StoredFile | None, dict[str, Any]],
    state: RunState,
    clock: Callable[[], str],
) -> tuple[PluginSpec, dict[str, Any]]:
    """``spec`` under the spelling its id already has, and the index to merge it into.

    ``found`` is the branch as the run saw it, ``read`` its ``registry.json`` (None when
    missing) and that file's document.
    """
    index_file, index = read
    spec = as_listed(spec, index)
    if find_entry(index, spec.id) is None:
        # An unlisted file in another case is found only in the folder's listing.
        spec = as_spelled(spec, [p for p in found.folder if is_manifest_path(p)])
    if index_file is None:
        index = _with_found_manifests(store, spec, index, found, state, clock)
    check_container([entry["id"] for entry in index["plugins"]], spec.id)
    return spec, index


def _with_found_manifests(
    store: RegistryStore,
    spec: PluginSpec,
    index: dict[str, Any],
    found: Snapshot,
    state: RunState,
    clock: Callable[[], str],
) -> dict[str, Any]:
    """Without ``registry.json``: the index of the manifests other than ``spec``'s."""
    # Loaded only by a run that finds no index: a registry's first, or one whose index was lost.
    from registry_action.core.reindex import found_index

    own = manifest_path(spec.id)
    versions = {p: v for p, v in found.folder.items() if is_manifest_path(p) and p != own}
    files = store.read_versions(versions)  # exactly as the snapshot's commit has them
    rebuilt = found_index({p: f.content for p, f in files.items()}, clock())
    if rebuilt is None:
        return index
    state.found_index = rebuilt
    state.warn(
        f"{REGISTRY_PATH} did not exist: the new one also lists the {len(rebuilt['plugins'])} "
        f"manifest(s) already in {PLUGINS_DIR}/, as {setting('command', 'reindex')} would"
    )
    return rebuilt
