"""The publish loop: read, merge, write with the version read, retry on conflict.

It works on the RegistryStore interface only, so GitHub and a local folder behave the same.

Every attempt starts from a snapshot: the branch's head and, exactly as of that commit, the
index, the plugin's manifest and the versions of every manifest (``RegistryStore.snapshot``,
one GraphQL query on GitHub). Reads of a branch may lag its writes; a snapshot is one commit's
files, so what it shows held together.

A registration writes the manifest, then gets its index entry (engine/entries.py): at once
when nothing landed between the snapshot and its manifest's commit, else in turn with the
runs racing it, one index write listing all of them. Every write carries the version it read,
so a concurrent writer makes it fail with ConflictError. The index never lists a manifest that
does not exist: entries are written only for manifests a snapshot showed, and an unregistration
removes the entry and deletes the manifest in one commit, made only if the branch is still
where its snapshot was.

A run commits each file at most once for its own change, and never content identical to what
is stored (GitHub would make an empty commit of it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from registry_action.core.documents import REGISTRY_PATH, manifest_path, prepare_validators
from registry_action.core.folding import unlisted
from registry_action.core.manifest import PluginSpec, render_manifest, same_content
from registry_action.core.registry import find_entry, registered_id, remove, touched, upsert
from registry_action.core.strictjson import dumps
from registry_action.core.versions import guard_version
from registry_action.engine.entries import Entries
from registry_action.engine.maps import maps_for
from registry_action.engine.naming import spelled
from registry_action.engine.outcome import FileChange, Outcome
from registry_action.engine.pinning import UNKNOWN_COMMIT, commit_of, entry_at
from registry_action.engine.retry import RunOptions, retrying
from registry_action.engine.state import ABSENT, RunState, Unsent
from registry_action.store.interface import (
    ConflictError,
    FileWrite,
    RegistryStore,
    Snapshot,
    StoredFile,
    WriteResult,
)

# The most in-flight registrations a manifest write spreads itself over (Publisher._spread): a
# registry whose unlisted manifests no run is waiting on (damaged ones, say) costs a lone run a
# pause of at most the backoff's longest.
SPREAD_RUNS = 16


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
        """Remove the entry from ``registry.json`` and delete ``plugins/<id>.json``, in one
        commit."""
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
        entries = Entries(self.store, self.options, state, message)
        if state.overtaken is not None:
            # Its commit, made now, cannot follow that snapshot's head: the index step looks.
            if not self._park(state.overtaken, message, state):
                self._send_manifest(state.overtaken, message, state)
        elif state.target_path is None:
            found = state.look([REGISTRY_PATH, manifest_path(spec.id)], self._ticks)
            quiet = self._place_manifest(spec, message, state, attempt, found)
            if quiet is None:  # nothing to change
                return self._outcome(state, attempt, unchanged=True)
            if quiet or self.options.dry_run:
                # Nothing landed between the snapshot and this run's manifest: its index is
                # the index as of the manifest's commit.
                written = entries.write(found, state.known_at)
                if written is None or written.parent_sha == state.known_at:
                    return self._outcome(state, attempt)
        entries.settle()
        return self._outcome(state, attempt)

    @property
    def _ticks(self) -> Callable[[], float]:
        return self.options.deadline.clock

    def _place_manifest(
        self, spec: PluginSpec, message: str, state: RunState, attempt: int, found: Snapshot
    ) -> bool | None:
        """Write the plugin's manifest unless it already says the same.

        Returns None when neither file needs a change, else whether the snapshot still held
        when the manifest was in place: no write was needed, or its commit follows the
        snapshot's head directly.
        """
        # Both files are read before any write, so a damaged registry stops the run with nothing
        # written. The manifest's path is decided here, against the index just read: an id
        # listed, or with a file, in another case keeps that spelling and that file.
        index_file, index = state.registry(found, self.options.clock)
        read = (index_file, index)
        spec, index = spelled(self.store, spec, found, read, state, self.options.clock)
        state.plugin_id, path = spec.id, manifest_path(spec.id)
        stored = self._stored(found, path)
        current = state.manifest(stored)
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
            state.target, state.target_path = current, path  # kept as stored, not re-stamped
            state.target_commit = commit
            entry = entry_at(current, self.options.commit_urls, commit)
            # With maps, the maps may still need writing: the index step looks.
            if upsert(index, entry, now) is None and not state.changes and not self.options.maps:
                return None
            state.known_at = found.head
            return True
        unsent = Unsent(stored, path, manifest, found.head)
        # Other registrations in flight: manifests the index does not list yet.
        racing = sum(other != path for other in unlisted(index, found.folder))
        if (racing or found.parked) and self._park(unsent, message, state):
            return False
        self._spread(racing)
        return self._send_manifest(unsent, message, state)

    def _park(self, unsent: Unsent, message: str, state: RunState) -> bool:
        """Park the manifest on a branch of its own (``RegistryStore.park``) when other
        registrations race this one for the branch: the run first in line commits it with
        theirs and the index (engine/entries.py). Whether it was parked."""
        if not self.options.parks or not state.may_park or unsent.head is None:
            return False
        parked = self.store.park(unsent.path, dumps(unsent.manifest), unsent.head, message)
        if parked is None:
            state.may_park = False
            return False
        state.overtaken = None
        state.parked, state.park_from = parked, unsent.stored
        state.target, state.target_path, state.target_commit = unsent.manifest, unsent.path, None
        self.options.log(
            f"Parked {unsent.path} beside the branch: registrations racing for it are committed "
            "together"
        )
        return True

    def _spread(self, racing: int) -> None:
        """Before the manifest's write, when other registrations are in flight (manifests the
        index does not list yet), wait a random share of the conflict backoff's first window
        for each of them (at most SPREAD_RUNS) and one more, and at most the backoff's longest
        pause.

        ``racing``: the other registrations the snapshot shows in flight. Runs released
        together cannot know of each other before their first write, and GitHub
        refuses each write another commit overtook, so a burst's first writes mostly fail. The
        registrations already landed are the one measure of a burst a snapshot holds, and the
        runs still to land are more: a run that sees them waits as if it had met their
        conflicts already. A constant, not the run's own round trip: a round trip measured
        while many runs share a machine (bench/concurrency.py) is not the service's."""
        if racing and not self.options.dry_run:
            policy = self.options.policy
            span = policy.base_delay * (1 + min(racing, SPREAD_RUNS))
            self.options.sleep(self.options.rng.uniform(0, min(span, policy.max_delay)))

    def _send_manifest(self, unsent: Unsent, message: str, state: RunState) -> bool:
        """Write the manifest; whether its commit follows the snapshot's head directly.

        A write refused because another commit moved the branch during it (GitHub builds a
        Contents API write on the head it saw; the file itself did not change) is kept in
        ``state.overtaken``, so that the next attempt sends it again without reading the branch
        first: racing runs then spend one request a lost race, not two."""
        stored, path = unsent.stored, unsent.path
        try:
            result = self._write(stored, path, unsent.manifest, message, state)
        except ConflictError as exc:
            # Overtaken, it parks at once; refused by a rate limit, only after the wait.
            if not exc.outdated and exc.least is None and self._park(unsent, message, state):
                return False
            state.overtaken = None if exc.outdated else unsent
            raise
        state.overtaken = None
        state.target, state.target_path = unsent.manifest, path
        state.target_commit = result.commit_sha if result else UNKNOWN_COMMIT
        state.wrote_manifest = True
        state.replaced = stored.version if stored else ABSENT
        state.known_at = result.commit_sha if result else unsent.head
        return result is None or result.parent_sha == unsent.head

    def _commit_of(
        self, path: str, manifest: dict[str, Any], listed: dict[str, Any] | None
    ) -> str | None:
        """With commit URLs, the commit that holds ``manifest`` as it is (None: none known)."""
        if self.options.commit_urls is None:
            return None
        return commit_of(self.store, path, manifest, listed)

    def _stored(self, found: Snapshot, path: str) -> StoredFile | None:
        """The manifest at ``path`` as of the snapshot, read on its own when the snapshot asked
        for another spelling of it."""
        if path in found.files:
            return found.files[path]
        version = found.folder.get(path)
        return None if version is None else self.store.read_versions({path: version}).get(path)

    def _outcome(self, state: RunState, attempt: int, *, unchanged: bool = False) -> Outcome:
        return Outcome(
            plugin_id=state.plugin_id or "",
            changes=() if unchanged else tuple(state.changes.values()),
            manifest=state.target,
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
    ) -> WriteResult | None:
        write = (stored, path, dumps(document), message)
        return state.write(self.store, write, dry_run=self.options.dry_run)

    def _unregister_once(
        self, plugin_id: str, message: str, state: RunState, attempt: int
    ) -> Outcome:
        found = state.look([REGISTRY_PATH, manifest_path(plugin_id)], self._ticks)
        # The index is read (and checked) first: a damaged registry stops the run.
        index_file, index = state.registry(found, self.options.clock)
        # An id listed in another case is that plugin: its spelling names its file.
        state.plugin_id = registered_id(index, plugin_id)
        listed = find_entry(index, plugin_id)
        if attempt == 1 and state.previous_version is None:
            state.previous_version = listed["version"] if listed else None
        manifest_file = self._stored(found, manifest_path(state.plugin_id))
        now = self.options.clock()
        updated = remove(index, state.plugin_id, now)
        if updated is None and manifest_file is not None:
            # The index changes with every deletion, even of a manifest it does not list: a
            # run folding that manifest into its index write (engine/entries.py) is refused.
            updated = touched(index, now)
        changes: list[tuple[FileWrite, bytes | None]] = []
        if updated is not None:
            version, before = (
                (index_file.version, index_file.content) if index_file else (None, None)
            )
            changes.append((FileWrite(REGISTRY_PATH, dumps(updated), version), before))
        if manifest_file is not None:
            write = FileWrite(manifest_file.path, None, manifest_file.version)
            changes.append((write, manifest_file.content))
        if changes:  # the maps leave the plugin out in the same commit
            changes += maps_for(self.store, self.options.maps, found.head, updated or index)
        self._commit(changes, found.head, message, state)
        return self._outcome(state, attempt)

    def _commit(
        self,
        changes: list[tuple[FileWrite, bytes | None]],
        head: str | None,
        message: str,
        state: RunState,
    ) -> None:
        """Make ``changes`` in one commit on ``head`` (none when there is nothing to change)."""
        if not changes:
            return
        if not self.options.dry_run:
            results = self.store.commit([change for change, _ in changes], head, message)
        for index, (change, before) in enumerate(changes):
            sha = url = None
            if not self.options.dry_run:
                result = results[index]
                state.committed(result)
                sha, url = result.commit_sha, result.commit_url
            state.changes[change.path] = FileChange(change.path, before, change.content, sha, url)

    def _reindex_once(self, message: str, state: RunState, attempt: int) -> Outcome:
        from registry_action.engine.bulk import reindex_once  # only reindex changes many files

        return reindex_once(self.store, self.options, message, state, attempt)
