"""The publish loop: read, merge, write with the version read, retry on conflict.

It works on the RegistryStore interface only, so GitHub and a local folder behave the same.

Ordering keeps the registry referentially sound: a registration writes the manifest first and
then the index; an unregistration removes the index entry first and then the manifest. Every
write carries the version it read, so a concurrent writer makes it fail with ConflictError.

A run commits each file at most once for its own change, and never content identical to what
is stored (GitHub would make an empty commit of it). A conflict on the index re-reads and
re-merges the index only; a race on the plugin's manifest is settled by reading it again.

Reads may lag writes, and GitHub accepts a write that carries the version of a file deleted
meanwhile, so neither write proves the other file still holds what the run saw. After its last
commit a run therefore checks, at that commit (an exact read), that the index entry agrees
with the manifest, and rewrites the index until it does. Whichever run touches a plugin's
files last sees the final state in that check, so the registry ends in agreement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from registry_action.core.documents import (
    REGISTRY_PATH,
    load_registry,
    manifest_path,
    prepare_validators,
)
from registry_action.core.manifest import PluginSpec, render_manifest, same_content
from registry_action.core.registry import (
    find_entry,
    new_registry,
    registered_id,
    remove,
    upsert,
)
from registry_action.core.strictjson import dumps
from registry_action.core.versions import guard_version
from registry_action.engine.maps import commit_index_and_maps
from registry_action.engine.naming import spelled
from registry_action.engine.outcome import FileChange, Outcome
from registry_action.engine.pinning import UNKNOWN_COMMIT, agrees_at_commit, commit_of, entry_at
from registry_action.engine.retry import RunOptions, retrying
from registry_action.engine.state import RunState, agrees, parsed_manifest
from registry_action.store.interface import (
    ConflictError,
    RegistryStore,
    StoredFile,
    VanishedError,
)

# Passes of read, merge and check in one attempt; past them the files are still moving (or
# reads still lag), and the attempt backs off like any conflict.
SETTLE_PASSES = 4
_UNSETTLED = "the index and the manifest did not agree yet after this run's writes"


@dataclass
class Publisher:
    """Runs the commands against one store."""

    store: RegistryStore
    options: RunOptions

    def register(self, spec: PluginSpec, message: str) -> Outcome:
        """Write ``plugins/<id>.json``, then point ``registry.json`` at it."""
        # The slow part of an attempt (importing and building the validators) happens before the
        # first read: the shorter the time from reading the index to writing it, the fewer
        # concurrent runs conflict.
        prepare_validators()
        state = RunState(self.store)
        return self._retrying(lambda attempt: self._register_once(spec, message, state, attempt))

    def unregister(self, plugin_id: str, message: str) -> Outcome:
        """Remove the entry from ``registry.json``, then delete ``plugins/<id>.json``."""
        prepare_validators()
        state = RunState(self.store)
        return self._retrying(
            lambda attempt: self._unregister_once(plugin_id, message, state, attempt)
        )

    def reindex(self, message: str) -> Outcome:
        """Rebuild ``registry.json`` from ``plugins/*.json``."""
        prepare_validators()
        state = RunState(self.store)
        return self._retrying(lambda attempt: self._reindex_once(message, state, attempt))

    def _retrying(self, step: Callable[[int], Outcome]) -> Outcome:
        return retrying(step, self.options, self.store.description)

    def _register_once(
        self, spec: PluginSpec, message: str, state: RunState, attempt: int
    ) -> Outcome:
        for _ in range(SETTLE_PASSES):
            if state.target_path is None:
                unchanged = self._place_manifest(spec, message, state, attempt)
                if unchanged is not None:
                    return unchanged
            listed_id = state.plugin_id or spec.id  # the spelling the index lists it under
            self._agree_index(listed_id, message, state)
            if self._settled(listed_id, state):
                return self._outcome(listed_id, state, attempt)
        raise ConflictError(_UNSETTLED, outdated=False)

    def _place_manifest(
        self, spec: PluginSpec, message: str, state: RunState, attempt: int
    ) -> Outcome | None:
        """Write the plugin's manifest unless it already says the same; None when work remains."""
        # Both files are read before any write, so a damaged registry stops the run with nothing
        # written. The manifest's path is decided here, against the index just read: an id
        # listed, or with a file, in another case keeps that spelling and that file.
        index_file, index = state.read_registry(self.options.clock)
        spec, index = spelled(self.store, spec, index_file, index, state, self.options.clock)
        state.plugin_id, path = spec.id, manifest_path(spec.id)
        manifest_file, current = state.read_manifest(path)
        listed = find_entry(index, spec.id)
        self._guard_version(spec, listed, current, state)
        if attempt == 1 and not state.commits and state.previous_version is None:
            state.previous_version = listed["version"] if listed else None
        now = state.stamp = self.options.clock()
        manifest = render_manifest(spec, now)
        unchanged = current is not None and same_content(current, manifest)
        # With commit URLs, a manifest no commit holds as it is gets one: it is written.
        commit = self._commit_of(path, current, listed) if current and unchanged else None
        if current is not None and unchanged and (commit or not self.options.commit_urls):
            manifest = current  # kept as stored, not re-stamped
            state.target_commit = commit
            entry = entry_at(manifest, self.options.commit_urls, commit)
            # With maps, the maps may still need writing: the index step looks.
            if upsert(index, entry, now) is None and not state.commits and not self.options.maps:
                return self._outcome(spec.id, state, attempt, manifest)
        else:
            self._write(manifest_file, path, manifest, message, state)
            state.wrote_manifest = True
            state.target_commit = state.commits[-1].commit_sha if state.commits else None
            if self.options.dry_run:
                state.target_commit = UNKNOWN_COMMIT
        # The index just read is what the index write merges into; it is not read twice.
        state.known[REGISTRY_PATH] = index_file
        state.target, state.target_path = manifest, path
        return None

    def _agree_index(self, plugin_id: str, message: str, state: RunState) -> None:
        """Make the index entry agree with ``state.target`` (its manifest, or none)."""
        if self.options.maps:
            return self._agree_index_and_maps(plugin_id, message, state)
        index_file, index = state.read_registry(self.options.clock)
        if index_file is None and state.found_index is not None and state.target is not None:
            index = state.found_index
        # Both files of one registration carry the same time.
        now, state.stamp = state.stamp or self.options.clock(), None
        if state.target is None:
            updated = remove(index, plugin_id, now)
        else:
            updated = upsert(index, self._entry(plugin_id, index, state), now)
        if updated is not None:
            self._write(index_file, REGISTRY_PATH, updated, message, state)
        else:
            state.unwritten = index_file

    def _agree_index_and_maps(self, plugin_id: str, message: str, state: RunState) -> None:
        """As _agree_index, with the maps: all read exactly at the head, committed together."""
        head = self.store.head()
        index_file = self.store.read_at(REGISTRY_PATH, head)
        clock = self.options.clock
        index = load_registry(REGISTRY_PATH, index_file.content) if index_file else None
        if index is None and state.found_index is not None and state.target is not None:
            index = state.found_index  # the manifests found without an index stay listed
        index = index if index is not None else new_registry(clock())
        now, state.stamp = state.stamp or clock(), None
        if state.target is None:
            updated = remove(index, plugin_id, now)
        else:
            updated = upsert(index, self._entry(plugin_id, index, state), now)
        read = (index_file, index)
        commit_index_and_maps(self.store, self.options, state, head, read, updated, message)

    def _commit_of(
        self, path: str, manifest: dict[str, Any], listed: dict[str, Any] | None
    ) -> str | None:
        """With commit URLs, the commit that holds ``manifest`` as it is (None: none known)."""
        if self.options.commit_urls is None:
            return None
        return commit_of(self.store, path, manifest, listed)

    def _entry(self, plugin_id: str, index: dict[str, Any], state: RunState) -> dict[str, Any]:
        """The index entry of ``state.target``, naming the commit that wrote it if need be."""
        assert state.target is not None  # noqa: S101 - only asked for a manifest to list
        urls = self.options.commit_urls
        if urls is not None and state.target_commit is None:
            path = manifest_path(plugin_id)
            state.target_commit = self._commit_of(path, state.target, find_entry(index, plugin_id))
            if state.target_commit is None:
                raise ConflictError(f"{path} is not yet as a commit of it wrote it", outdated=False)
        return entry_at(state.target, urls, state.target_commit)

    def _agrees(
        self, found: tuple[dict[str, Any], StoredFile | None], plugin_id: str, state: RunState
    ) -> bool:
        if self.options.commit_urls is None:
            return _agree(found, plugin_id)
        index, manifest_file = found
        manifest = parsed_manifest(manifest_file)
        if manifest_file is not None and manifest is None:
            return True  # damaged by someone else: the next registration replaces it
        known = (state.target_commit, state.target)
        path = manifest_path(plugin_id)
        return agrees_at_commit(self.store, path, find_entry(index, plugin_id), manifest, known)

    def _settled(self, plugin_id: str, state: RunState) -> bool:
        """Whether, at this run's last commit, the index entry agrees with the manifest.

        If not, what was found there becomes the next step: this run's own manifest change
        when it has not made it yet (the read it relied on was stale), else the index adopts
        the manifest found (a concurrent run's change came after this run's).
        """
        found = state.at_last_commit(plugin_id)
        if found is None or self._agrees(found, plugin_id, state):
            return True
        if state.unwritten is not None:
            # The index read already agreed: it may be newer than this run's last commit.
            state.unwritten = None
            found = state.at_head(plugin_id)
            if self._agrees(found, plugin_id, state):
                return True
        manifest = parsed_manifest(found[1])
        path = manifest_path(plugin_id)
        if manifest != state.target and not state.wrote_manifest:
            state.known[path] = found[1]
            state.target_path = None  # make this run's own change, from the exact read
        elif manifest != state.target:
            state.warn(f"{path} was changed by a concurrent run; the index now follows it")
            state.target, state.target_commit = manifest, None
        return False

    def _outcome(
        self,
        plugin_id: str,
        state: RunState,
        attempt: int,
        manifest: dict[str, Any] | None = None,
    ) -> Outcome:
        return Outcome(
            plugin_id=plugin_id,
            changes=tuple(state.changes.values()),
            manifest=manifest if manifest is not None else state.target,
            previous_version=state.previous_version,
            warnings=tuple(state.warnings),
            attempts=attempt,
            dry_run=self.options.dry_run,
        )

    def _guard_version(
        self,
        spec: PluginSpec,
        listed: dict[str, Any] | None,
        current: dict[str, Any] | None,
        state: RunState,
    ) -> None:
        # Both the index and the manifest count: after a half-finished registration, or in
        # pull-request mode before a reindex, the manifest can be ahead of the index. The check
        # runs on every fresh read, so a higher version registered concurrently stops a retry.
        registered = {REGISTRY_PATH: listed["version"]} if listed else {}
        if current is not None:
            registered[manifest_path(spec.id)] = current["version"]
        warning = guard_version(
            spec.id, spec.version, registered, allow_downgrade=self.options.allow_downgrade
        )
        if warning:
            state.warn(warning)

    def _write(
        self,
        stored: StoredFile | None,
        path: str,
        document: dict[str, Any],
        message: str,
        state: RunState,
    ) -> None:
        body = dumps(document)
        before = state.before(path, stored)
        if self.options.dry_run:
            state.changes[path] = FileChange(path, before, body)
            return
        version = stored.version if stored else None
        state.sent.setdefault(path, set()).add(body)
        try:
            result = self.store.write(path, body, version, message)
        except ConflictError as exc:
            state.refused(path, version, exc)
            raise
        state.committed(result, body)
        state.changes[path] = FileChange(path, before, body, result.commit_sha, result.commit_url)

    def _delete(self, stored: StoredFile, message: str, state: RunState) -> None:
        if self.options.dry_run:
            state.changes[stored.path] = FileChange(stored.path, stored.content, None)
            return
        try:
            result = self.store.delete(stored.path, stored.version, message)
        except VanishedError:
            return  # another writer deleted it first: what the unregister wanted is done
        except ConflictError as exc:
            state.refused(stored.path, stored.version, exc)
            raise
        state.committed(result, None)
        state.changes[stored.path] = FileChange(
            stored.path, stored.content, None, result.commit_sha, result.commit_url
        )

    def _unregister_once(
        self, plugin_id: str, message: str, state: RunState, attempt: int
    ) -> Outcome:
        for _ in range(SETTLE_PASSES):
            if state.target_path is None:
                # The index is read (and checked) first: a damaged registry stops the run.
                index_file, index = state.read_registry(self.options.clock)
                # An id listed in another case is that plugin: its spelling names its file.
                state.plugin_id = registered_id(index, plugin_id)
                listed = find_entry(index, plugin_id)
                if attempt == 1 and not state.commits and state.previous_version is None:
                    state.previous_version = listed["version"] if listed else None
                state.known[REGISTRY_PATH] = index_file
                state.target, state.target_path = None, manifest_path(state.plugin_id)
            listed_id = state.plugin_id or plugin_id
            # Index first, so that it never points at a manifest that is already gone.
            self._agree_index(listed_id, message, state)
            if not state.wrote_manifest and state.target is None:
                manifest_file = state.read(manifest_path(listed_id))
                if manifest_file is not None:
                    self._delete(manifest_file, message, state)
                    state.wrote_manifest = True
            if self._settled(listed_id, state):
                return self._outcome(listed_id, state, attempt)
        raise ConflictError(_UNSETTLED, outdated=False)

    def _reindex_once(self, message: str, state: RunState, attempt: int) -> Outcome:
        from registry_action.engine.bulk import reindex_once  # only reindex changes many files

        return reindex_once(self.store, self.options, message, state, attempt)


def _agree(found: tuple[dict[str, Any], StoredFile | None], plugin_id: str) -> bool:
    index, manifest_file = found
    manifest = parsed_manifest(manifest_file)
    if manifest_file is not None and manifest is None:
        return True  # damaged by someone else: the next registration replaces it
    return agrees(find_entry(index, plugin_id), manifest)
