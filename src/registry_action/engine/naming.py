"""Which file a registration writes: the spelling its id already has in the registry.

Ids are one regardless of case (two files differing only in case cannot both exist on macOS or
Windows), so an id listed, or with a file, in another case takes that spelling. An id that
would load the Module Federation container of another listed plugin is refused before any
write.
"""

from __future__ import annotations

from typing import Any

from registry_action.core.documents import PLUGINS_DIR, manifest_path
from registry_action.core.ids import check_container
from registry_action.core.manifest import PluginSpec
from registry_action.core.registry import as_listed, as_spelled, find_entry
from registry_action.engine.state import RunState
from registry_action.store.interface import RegistryStore


def spelled(
    store: RegistryStore, spec: PluginSpec, index: dict[str, Any], state: RunState
) -> tuple[PluginSpec, dict[str, Any]]:
    """``spec`` under the spelling its id already has, and the index to merge it into."""
    spec = as_listed(spec, index)
    if find_entry(index, spec.id) is None:
        # An unlisted file in another case is found only by listing the folder.
        spec = _as_found(store, spec, store.list_dir(PLUGINS_DIR), state)
    check_container([entry["id"] for entry in index["plugins"]], spec.id)
    return spec, index


def _as_found(
    store: RegistryStore, spec: PluginSpec, paths: list[str], state: RunState
) -> PluginSpec:
    """``spec`` as its file among ``paths`` is spelled; a file the listing lacks is not read."""
    spec = as_spelled(spec, paths)
    own = manifest_path(spec.id)
    if own not in paths:
        state.known[own] = None  # the listing is of one commit: an exact answer
    return spec
