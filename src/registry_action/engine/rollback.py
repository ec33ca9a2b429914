"""Rollback: a plugin's manifest and index entry restored as an earlier registration left them.

Part of the engine: it works on the RegistryStore port only. A rollback reads the branch's
head, then ``registry.json`` and the plugin's manifest exactly as of that head, and the
manifest's history from there (engine/history.py) until it finds the version to restore: the
one asked for, else the newest earlier registration of a lower version than the current one
(so a second rollback steps further back instead of undoing the first). The manifest is
restored as that commit left it, but for ``lastUpdated`` (now) and ``manifestUrl`` (where
dashboards fetch it today, should the branch or the base URL have changed), and both files
go in one commit, made only if the branch has not moved since it was read; a conflict reads
again. It is a command of its own, so the version guard of register does not apply. A
rollback to what is already registered writes nothing.

With ``maps``, the maps change in the commit that writes the index. With ``manifest-urls:
commit``, the entry names a commit that holds the restored manifest as it is: the commit
that already does when the manifest is kept as stored, else the manifest's own commit, made
first, with the index (and the maps) in a second commit on top of it, as register writes.
A retry after that first commit restores the same version again, never the one before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from registry_action.core.commit_urls import named_commit
from registry_action.core.documents import (
    REGISTRY_PATH,
    check_manifest,
    load_manifest,
    load_registry,
    manifest_path,
    prepare_validators,
    replaceable_manifest,
)
from registry_action.core.manifest import same_content
from registry_action.core.registry import find_entry, new_registry, registered_id, upsert
from registry_action.core.strictjson import dumps
from registry_action.core.versions import compare
from registry_action.engine.bulk import adopt_landed, commit_all
from registry_action.engine.history import PluginHistory, Registration
from registry_action.engine.maps import Change, maps_for, read_maps
from registry_action.engine.outcome import FileChange, Outcome
from registry_action.engine.pinning import UNKNOWN_COMMIT, commit_of, entry_at
from registry_action.engine.retry import RunOptions, retrying
from registry_action.engine.state import RunState
from registry_action.errors import GaveUpError, InputError
from registry_action.settings.spelling import setting
from registry_action.store.interface import FileWrite, RegistryStore, StoredFile

# A refusal lists at most this many versions that were registered, newest first.
LISTED_VERSIONS = 20


@dataclass(frozen=True)
class Rollback:
    """What to restore: the plugin, the version (None: the one before), and the message."""

    plugin_id: str
    version: str | None
    base_url: str | None  # where dashboards fetch the files, for a plugin no longer listed
    message: Callable[[str, str], str]  # the commit message, of the id and the version


def roll_back(store: RegistryStore, options: RunOptions, asked: Rollback) -> Outcome:
    """Restore the plugin's manifest and index entry as the chosen registration left them."""
    prepare_validators()
    state = RunState(store)
    return retrying(
        lambda attempt: _once(store, options, asked, state, attempt), options, store.description
    )


def _once(
    store: RegistryStore, options: RunOptions, asked: Rollback, state: RunState, attempt: int
) -> Outcome:
    head = store.head()
    now = options.clock()
    found = _read(store, head, asked.plugin_id, now)
    maps = read_maps(store, options.maps, head)
    # An earlier attempt's commit whose answer was lost shows in what was just read.
    adopt_landed(state, {found.path: found.manifest_file, REGISTRY_PATH: found.index_file, **maps})
    asked = _again(asked, state, found.path)
    history = PluginHistory(store, found.path, options.deadline, head)
    chosen = choose(history, asked, found.plugin_id, found.current, store.description)
    restored, write, commit = _restored(store, found, chosen, asked.base_url, now, options)
    message = asked.message(found.plugin_id, chosen.version)
    manifest, onto = [write] if write else [], head
    if write is not None and options.commit_urls is not None:
        # The entry names the commit that writes the manifest, and no commit can name itself:
        # the manifest gets a commit of its own, and the index follows on top of it.
        onto = _commit(store, options, manifest, head, message, state)
        commit = state.changes[found.path].commit_sha or UNKNOWN_COMMIT
        manifest = []
    updated = upsert(found.index, entry_at(restored, options.commit_urls, commit), now)
    tail = [_write(REGISTRY_PATH, dumps(updated), found.index_file)] if updated else []
    if manifest or tail:  # the maps change in the index's commit, the index last
        listed = updated or found.index
        tail = maps_for(store, options.maps, head, listed, maps, {found.path: restored}) + tail
    _commit(store, options, manifest + tail, onto, message, state)
    current = found.current
    return Outcome(
        plugin_id=found.plugin_id,
        changes=tuple(state.changes.values()),
        manifest=restored,
        previous_version=current["version"] if current else None,
        warnings=(*history.warnings, *found.warnings),
        attempts=attempt,
        dry_run=options.dry_run,
    )


def _again(asked: Rollback, state: RunState, path: str) -> Rollback:
    """What a retry restores once this run's restored manifest has landed (the answer to its
    commit lost, or the index's commit refused): that version again, not the one before it."""
    landed = state.changes.get(path)
    if asked.version is not None or landed is None or landed.after is None:
        return asked
    return replace(asked, version=load_manifest(path, landed.after)["version"])


def _commit(
    store: RegistryStore,
    options: RunOptions,
    changes: list[Change],
    head: str | None,
    message: str,
    state: RunState,
) -> str | None:
    """Commit ``changes`` on ``head`` (a dry run only records them); the head after."""
    if options.dry_run:
        for change, before in changes:
            state.changes[change.path] = FileChange(change.path, before, change.content)
        return head
    return commit_all(store, changes, head, message, state) if changes else head


@dataclass(frozen=True)
class _Found:
    """The index and the plugin's manifest, read exactly at one commit."""

    index_file: StoredFile | None
    index: dict[str, Any]
    plugin_id: str  # as the index spells it
    manifest_file: StoredFile | None
    current: dict[str, Any] | None  # None: no manifest, or a damaged one
    warnings: tuple[str, ...]

    @property
    def path(self) -> str:
        return manifest_path(self.plugin_id)


def _read(store: RegistryStore, head: str | None, plugin_id: str, now: str) -> _Found:
    index_file = store.read_at(REGISTRY_PATH, head)
    index = load_registry(REGISTRY_PATH, index_file.content) if index_file else new_registry(now)
    listed_id = registered_id(index, plugin_id)
    manifest_file = store.read_at(manifest_path(listed_id), head)
    current, warning = (
        replaceable_manifest(manifest_file.path, manifest_file.content)
        if manifest_file
        else (None, None)
    )
    warnings = (warning,) if warning else ()
    return _Found(index_file, index, listed_id, manifest_file, current, warnings)


def _restored(
    store: RegistryStore,
    found: _Found,
    chosen: Registration,
    base_url: str | None,
    now: str,
    options: RunOptions,
) -> tuple[dict[str, Any], Change | None, str | None]:
    """The restored manifest, its write (None: kept as stored), and, with commit URLs, the
    commit that holds it as it is when it is kept."""
    entry = find_entry(found.index, found.plugin_id)
    url = _manifest_url(found.current, entry, base_url, found.path, chosen)
    restored = restore(found.path, chosen.manifest, url, now)
    current = found.current
    if current is not None and same_content(current, restored):
        # Kept as it is, not re-stamped; with commit URLs, only when a commit holds it so (one
        # that none does is written, and its commit is named).
        if options.commit_urls is None:
            return current, None, None
        commit = commit_of(store, found.path, current, entry)
        if commit is not None:
            return current, None, commit
    return restored, _write(found.path, dumps(restored), found.manifest_file), None


def _write(path: str, body: bytes, stored: StoredFile | None) -> Change:
    if stored is None:
        return FileWrite(path, body, None), None
    return FileWrite(path, body, stored.version), stored.content


def restore(path: str, earlier: dict[str, Any], manifest_url: str, now: str) -> dict[str, Any]:
    """The ``earlier`` manifest as it was, with ``manifestUrl`` and ``lastUpdated`` of today."""
    document = {**earlier, "manifestUrl": manifest_url, "lastUpdated": now}  # keys keep order
    check_manifest(path, document)
    return document


def _manifest_url(
    current: dict[str, Any] | None,
    entry: dict[str, Any] | None,
    base_url: str | None,
    path: str,
    chosen: Registration,
) -> str:
    """Where dashboards fetch the manifest today: the current one's URL, else the entry's, else
    the base URL's, else (a folder with no URL known) the restored one's."""
    if current is not None:
        return str(current["manifestUrl"])
    branch_url = f"{base_url.rstrip('/')}/{path}" if base_url else None
    listed = str(entry["manifestUrl"]) if entry is not None else None
    # An entry that names the commit of its manifest (`manifest-urls: commit`) does not say
    # where the branch serves it.
    if listed is not None and not (branch_url and named_commit(listed, branch_url)):
        return listed
    if branch_url:
        return branch_url
    return str(chosen.manifest["manifestUrl"])


def choose(
    history: PluginHistory,
    asked: Rollback,
    plugin_id: str,
    current: dict[str, Any] | None,
    where: str,
) -> Registration:
    """The registration to restore; InputError naming the versions registered otherwise."""
    seen: list[str] = []
    for registration in history:
        if _wanted(registration, asked.version, current):
            return registration
        seen.append(registration.version)
    if history.cut:
        looked = asked.version or "an earlier version"
        raise GaveUpError(
            f"gave up reading the history of {plugin_id} in {where} before finding {looked}: "
            f"{history.deadline.advice()}"
        )
    raise InputError(_not_found(plugin_id, asked.version, current, where, seen))


def _wanted(
    registration: Registration, version: str | None, current: dict[str, Any] | None
) -> bool:
    if version is not None:
        return registration.version == version
    return current is not None and compare(registration.version, current["version"]) < 0


def _not_found(
    plugin_id: str,
    version: str | None,
    current: dict[str, Any] | None,
    where: str,
    seen: Iterable[str],
) -> str:
    versions = list(dict.fromkeys(seen))
    if not versions:
        return f"{plugin_id} was never registered in {where}: there is nothing to roll back to"
    listed = ", ".join(versions[:LISTED_VERSIONS])
    if len(versions) > LISTED_VERSIONS:
        listed += f" and {len(versions) - LISTED_VERSIONS} older"
    registered = f"it was registered at {listed}"
    if version is not None:
        return f"{plugin_id} was never registered at {version} in {where}: {registered}"
    if current is None:
        return (
            f"{plugin_id} is not registered in {where}, so there is no current version to roll "
            f"back from: {registered}; name the version to restore with {setting('version')}"
        )
    return (
        f"{plugin_id} has no version lower than {current['version']} registered before it in "
        f"{where}: {registered}"
    )
