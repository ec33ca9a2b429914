"""Writing the maps for other hosts (`maps`) in the same commit as ``registry.json``.

Part of the engine, over the store port. The maps are derived from the index and the manifests
as of one commit (core/maps.py); that commit is read exactly, and the index and the maps that
differ from it are committed together only if the branch is still there (``commit``), so that
at every commit of the branch the maps agree with the index. A map that already says what it
should is not written again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry_action.core.documents import REGISTRY_PATH
from registry_action.core.maps import build_maps, map_path
from registry_action.core.strictjson import dumps
from registry_action.engine.outcome import FileChange
from registry_action.engine.pinning import readable
from registry_action.engine.reading import read_manifest_files
from registry_action.engine.retry import RunOptions
from registry_action.engine.state import RunState
from registry_action.store.interface import FileWrite, RegistryStore, StoredFile, WriteResult

Change = tuple[FileWrite, bytes | None]


def read_maps(
    store: RegistryStore, kinds: tuple[str, ...], head: str | None
) -> dict[str, StoredFile | None]:
    """Each map of ``kinds`` as of ``head``, by path (None: there is none)."""
    return {path: store.read_at(path, head) for path in map(map_path, kinds)}


def map_writes(
    documents: Mapping[str, Any], stored: Mapping[str, StoredFile | None]
) -> list[Change]:
    """The writes that bring each map in ``stored`` (by path) to its document."""
    changes: list[Change] = []
    for path, document in documents.items():
        found, body = stored.get(path), dumps(document)
        if found is None or found.content != body:
            version, before = (found.version, found.content) if found else (None, None)
            changes.append((FileWrite(path, body, version), before))
    return changes


def maps_for(
    store: RegistryStore,
    kinds: tuple[str, ...],
    head: str | None,
    index: dict[str, Any],
    stored: Mapping[str, StoredFile | None] | None = None,
    written: Mapping[str, dict[str, Any]] | None = None,
) -> list[Change]:
    """The writes that bring the maps of ``kinds`` as of ``head`` (``stored``, when already
    read) to what ``index`` and the manifests it lists there give, with the manifests of
    ``written`` (by path) as the same commit writes them."""
    if not kinds:
        return []
    stored = read_maps(store, kinds, head) if stored is None else stored
    manifests = {**readable(read_manifest_files(store, head)), **(written or {})}
    return map_writes(build_maps(index, manifests, kinds), stored)


def commit_index_and_maps(
    store: RegistryStore,
    options: RunOptions,
    state: RunState,
    head: str | None,
    read: tuple[StoredFile | None, dict[str, Any]],
    updated: dict[str, Any] | None,
    message: str,
) -> WriteResult | None:
    """Commit the index ``updated`` (None: as ``read`` at ``head``) and the maps it gives, and
    return the commit's result (None: nothing to change)."""
    index_file, index = read
    stored = read_maps(store, options.maps, head)
    _adopt_landed(state, {REGISTRY_PATH: index_file, **stored})
    changes = maps_for(store, options.maps, head, updated or index, stored)
    if updated is not None:
        version = index_file.version if index_file else None
        before = index_file.content if index_file else None
        changes.append((FileWrite(REGISTRY_PATH, dumps(updated), version), before))
    if not changes:
        return None
    if options.dry_run:
        for change, before in changes:
            state.changes[change.path] = FileChange(change.path, before, change.content)
        return None
    for change, before in changes:
        state.pending[change.path] = FileChange(change.path, before, change.content)
    results = store.commit([change for change, _ in changes], head, message)
    for (change, before), result in zip(changes, results, strict=True):
        state.pending.pop(change.path, None)
        state.changes[change.path] = FileChange(
            change.path, before, change.content, result.commit_sha, result.commit_url
        )
    state.committed(results[-1])
    return results[-1]


def _adopt_landed(state: RunState, found: Mapping[str, StoredFile | None]) -> None:
    """Count as this run's the changes of an earlier attempt found written (answer lost)."""
    for path, change in list(state.pending.items()):
        current = found.get(path)
        if current is not None and current.content == change.after:
            state.changes[path] = change
        if path in found:
            state.pending.pop(path)
