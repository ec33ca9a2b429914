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

from registry_action.core.documents import PLUGINS_DIR, REGISTRY_PATH, manifest_path
from registry_action.core.ids import check_container
from registry_action.core.manifest import PluginSpec
from registry_action.core.registry import as_listed, as_spelled, find_entry
from registry_action.engine.state import RunState
from registry_action.settings.spelling import setting
from registry_action.store.interface import RegistryStore, StoredFile


def spelled(
    store: RegistryStore,
    spec: PluginSpec,
    index_file: StoredFile | None,
    index: dict[str, Any],
    state: RunState,
    clock: Callable[[], str],
) -> tuple[PluginSpec, dict[str, Any]]:
    """``spec`` under the spelling its id already has, and the index to merge it into.

    ``index_file`` is ``registry.json`` as read (None when missing), ``index`` its document.
    """
    spec = as_listed(spec, index)
    if index_file is None:
        spec, index = _with_found_manifests(store, spec, index, state, clock)
    elif find_entry(index, spec.id) is None:
        # An unlisted file in another case is found only by listing the folder.
        spec = _as_found(spec, store.list_dir(PLUGINS_DIR), state)
    check_container([entry["id"] for entry in index["plugins"]], spec.id)
    return spec, index


def _with_found_manifests(
    store: RegistryStore,
    spec: PluginSpec,
    index: dict[str, Any],
    state: RunState,
    clock: Callable[[], str],
) -> tuple[PluginSpec, dict[str, Any]]:
    """Without ``registry.json``: ``spec`` as its file is spelled, and the index of the others."""
    # Loaded only by a run that finds no index: a registry's first, or one whose index was lost.
    from registry_action.core.reindex import found_index
    from registry_action.engine.reading import read_manifest_files

    files = read_manifest_files(store)
    spec = _as_found(spec, list(files), state)
    own = manifest_path(spec.id)
    state.known[own] = files.get(own)  # read with the others, at one commit
    found = found_index({p: f.content for p, f in files.items() if p != own}, clock())
    if found is None:
        return spec, index
    state.found_index = found
    state.warn(
        f"{REGISTRY_PATH} did not exist: the new one also lists the {len(found['plugins'])} "
        f"manifest(s) already in {PLUGINS_DIR}/, as {setting('command', 'reindex')} would"
    )
    return spec, found


def _as_found(spec: PluginSpec, paths: list[str], state: RunState) -> PluginSpec:
    """``spec`` as its file among ``paths`` is spelled; a file the listing lacks is not read."""
    spec = as_spelled(spec, paths)
    own = manifest_path(spec.id)
    if own not in paths:
        # The listing is of one commit: an exact answer, unless the run has an exact read.
        state.known.setdefault(own, None)
    return spec
