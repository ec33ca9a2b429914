"""How a registration gets its entry into ``registry.json``, in as few writes as racing allows.

Part of the engine: it works on the RegistryStore port only. Racing registrations each commit
a manifest and then need the one index. Instead of each writing it in turn (every write but
one refused, and read again), the index write of one run lists every manifest on the branch
that the index does not list yet (core/folding.py: folding), and the runs behind it find their
entry there and stop without writing.

Who writes is decided by the snapshot each run sees: among the manifests the index does not
list, the first by id writes at once; the others look again after a pause that grows with
their place in that order and with the time a snapshot takes, and stop if they are listed by
then. A run that keeps finding the index unchanged waits twice as long each time, and after as
many pauses as its place in line writes itself: the runs before it may have died, or be
someone's half-finished registration. The write carries the index's version
from the snapshot, so two runs that both decided to write cannot both succeed, and the loser
looks again (it is usually listed by then).

An entry is written only for a manifest the snapshot showed, at the version it showed, and
the index write holds only if the index is unchanged since: every deletion of a manifest
changes the index in the same commit (an unregistration), so a manifest being deleted is never
listed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry_action.core.commit_urls import pinned
from registry_action.core.documents import REGISTRY_PATH, plugin_id_of
from registry_action.core.folding import fold, fold_parked, in_line, unlisted
from registry_action.core.registry import find_entry, remove, upsert
from registry_action.core.strictjson import dumps
from registry_action.engine.history import run_of, with_carried
from registry_action.engine.maps import commit_index_and_maps
from registry_action.engine.outcome import FileChange
from registry_action.engine.pinning import agrees_at_commit, commit_of, entry_at
from registry_action.engine.retry import RunOptions
from registry_action.engine.state import ABSENT, RunState, agrees, parsed_manifest
from registry_action.store.interface import (
    ConflictError,
    FileWrite,
    RegistryStore,
    Snapshot,
    StoredFile,
    WriteResult,
    blob_sha,
)

# Snapshots a run takes waiting for its entry before it backs off like any conflict.
LOOKS = 16
# A write of the index by another run takes about this many snapshots' time (its snapshot, the
# texts of the manifests it lists, the write); later places in line wait a little longer each.
FOLD_TRIPS = 3.0
PER_PLACE = 0.5
# While the index does not change, each pause doubles (up to LONGEST times the first), and a
# run writes the index itself only after as many pauses as its place in line (at most
# LAST_PLACE): the run before it had the time of all of them to write it. So the runs behind
# one that is slow (a secondary limit holding its write) do not all write instead, one after
# another, and no run sleeps long past the moment it comes first in line.
LAST_PLACE = 6
LONGEST = 4
# Looks that may show this run's manifest as it was before its write before that is believed.
LAGS = 3
_UNSETTLED = "the index did not list this run's manifest yet after this run's looks"


@dataclass
class Entries:
    """The index step of one registration: ``state.target`` at ``state.target_path``."""

    store: RegistryStore
    options: RunOptions
    state: RunState
    message: str

    def write(self, found: Snapshot, at: str | None = None) -> WriteResult | None:
        """Write the index of ``found`` with this run's entry and every manifest of ``found``
        that it can fold; ConflictError when the index changed since ``found``. Returns the
        write's result (None when nothing was written).

        ``at`` is the commit that holds the files as ``found`` shows them, when it is not the
        snapshot's own (the run's manifest commit directly after it): with the maps, the
        commit is made on it."""
        state, options = self.state, self.options
        index_file, index = state.registry(found, options.clock)
        if index_file is None and state.found_index is not None and state.target is not None:
            index = state.found_index  # the manifests found without an index stay listed
        # Both files of one registration carry the same time.
        now, state.stamp = state.stamp or options.clock(), None
        plugin_id = state.plugin_id or ""
        if state.target is None:
            updated = remove(index, plugin_id, now)
        elif state.parked is None:
            updated = upsert(index, self._entry(index), now)
        else:
            updated = None  # listed with its parked manifest, as every parked one is
        if self._folds:
            updated = self._folded(updated or index, found, now) or updated
        if options.parks and found.parked:
            return self._commit_parked(found, at or found.head, (index_file, index), updated, now)
        if options.maps:
            read = (index_file, index)
            head = at or found.head
            return commit_index_and_maps(
                self.store, options, state, head, read, updated, self.message
            )
        if updated is None:
            return None
        # Refused by a secondary limit, this write would be stale after the wait: the run reads
        # again then, and is most often listed by another run meanwhile.
        write = (index_file, REGISTRY_PATH, dumps(updated), self.message)
        return state.write(self.store, write, dry_run=options.dry_run, retry_limits=False)

    @property
    def _folds(self) -> bool:
        """Whether this run's index write lists the manifests racing runs committed: not in a
        dry run, which writes nothing others could find."""
        return not self.options.dry_run

    def _entry(self, index: dict[str, Any]) -> dict[str, Any]:
        """The index entry of ``state.target``, naming the commit that wrote it if need be."""
        state, urls = self.state, self.options.commit_urls
        assert state.target is not None  # noqa: S101 - only asked for a manifest to list
        if urls is not None and state.target_commit is None:
            path = state.target_path or ""
            listed = find_entry(index, state.plugin_id or "")
            state.target_commit = commit_of(self.store, path, state.target, listed)
            if state.target_commit is None:
                raise ConflictError(f"{path} is not yet as a commit of it wrote it", outdated=False)
        return entry_at(state.target, urls, state.target_commit)

    def _agrees(self, index: dict[str, Any]) -> bool:
        """Whether ``index`` lists this run's manifest as it is (and, with commit URLs, names a
        commit that holds it)."""
        state = self.state
        entry = find_entry(index, state.plugin_id or "")
        if self.options.commit_urls is None:
            return agrees(entry, state.target)
        known = (state.target_commit, state.target)
        path = state.target_path or ""
        return agrees_at_commit(self.store, path, entry, state.target, known)

    def _folded(self, index: dict[str, Any], found: Snapshot, now: str) -> dict[str, Any] | None:
        """``index`` with the other manifests of ``found`` it does not list; None if none.

        With commit URLs, each entry names the last commit that changed its manifest as of the
        snapshot, which holds it as it is; a manifest no commit is found for is left to its run.
        """
        others = [path for path in unlisted(index, found.folder) if path != self.state.target_path]
        if not others:
            return None
        read = self.store.read_versions({path: found.folder[path] for path in others})
        texts = {path: stored.content for path, stored in read.items()}
        urls = self.options.commit_urls
        commits: dict[str, str] = {}
        if urls is not None:
            last = self.store.last_commits(list(texts), found.head)
            commits = {plugin_id_of(path): sha for path, sha in last.items() if sha is not None}
            texts = {path: text for path, text in texts.items() if plugin_id_of(path) in commits}
        folded, ids = fold(index, texts, now)
        if folded is None:
            return None
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        self.options.log(f"Also listing what concurrent runs registered: {shown}")
        return folded if urls is None else pinned(folded, commits, urls)

    def _commit_parked(
        self,
        found: Snapshot,
        head: str | None,
        read: tuple[StoredFile | None, dict[str, Any]],
        updated: dict[str, Any] | None,
        now: str,
    ) -> WriteResult | None:
        """Commit the parked manifests of ``found`` with the index listing them (``updated``,
        else the index ``read``, with their entries) on ``head``, then remove their branches.

        A parked manifest is committed only if the file is still as it was parked over: one
        changed since (another registration, an unregistration) is dropped, and its run, if
        it still waits, registers again from what it finds."""
        state, store = self.state, self.store
        drop: dict[str, str] = {}
        texts: dict[str, bytes] = {}
        runs: dict[str, str | None] = {}
        asked = dict(found.parked)
        if state.parked is not None and state.target_path:
            asked[state.target_path] = state.parked  # its own, even past a listing's end
        for parked in store.read_parked(asked):
            drop[parked.path] = parked.commit
            content = parked.content
            if content is None or blob_sha(content) == parked.base:
                continue  # its commit did not change the file: nothing parked there
            if parked.base == found.folder.get(parked.path):
                texts[parked.path] = content
                runs[parked.path] = run_of(parked.message)
        index_file, index = read
        folded, paths = fold_parked(updated or index, texts, now)
        changes = [
            FileWrite(path, texts[path], found.folder.get(path))
            for path in paths
            if blob_sha(texts[path]) != found.folder.get(path)
        ]
        if folded is not None or updated is not None:
            version = index_file.version if index_file else None
            changes.append(FileWrite(REGISTRY_PATH, dumps(folded or updated), version))
        if not changes:
            store.unpark(drop)
            return None
        if len(paths) > 1 or (paths and paths[0] != state.target_path):
            shown = ", ".join(plugin_id_of(path) for path in paths[:5])
            more = f" and {len(paths) - 5} more" if len(paths) > 5 else ""
            self.options.log(f"Also committing what concurrent runs parked: {shown}{more}")
        carried = [(plugin_id_of(p), runs[p]) for p in paths if p != state.target_path]
        results = store.commit(changes, head, with_carried(self.message, carried))
        store.unpark(drop)
        for change, result in zip(changes, results, strict=True):
            state.committed(result)
            if change.path in (REGISTRY_PATH, state.target_path):
                before = state.before(change.path, found.files.get(change.path))
                state.changes[change.path] = FileChange(
                    change.path, before, change.content, result.commit_sha, result.commit_url
                )
                if change.path == state.target_path:
                    state.parked, state.wrote_manifest = None, True
                    state.target_commit = result.commit_sha
        return results[-1]

    def settle(self) -> None:
        """Look until the index entry agrees with the manifest, writing the index when this
        run is first in line or the runs before it did not write it."""
        state = self.state
        for _ in range(LOOKS):
            self.store.pace()  # before the read a write may follow, not between them
            # A parked run's look also asks for the last commit of its manifest: the one that
            # carried it, once a run did.
            path = state.target_path or ""
            last = [path] if state.parked is not None else []
            found = state.look([REGISTRY_PATH, path], self.options.deadline.clock, last)
            usable = self._follow(found)
            if usable is None:
                return
            if not usable:
                continue
            index_file, index = state.registry(found, self.options.clock)
            if state.parked is None and self._agrees(index):
                return
            place = min(self._place(index, found), LAST_PLACE)
            version = index_file.version if index_file else ABSENT
            if version != state.waited_on:
                state.waited_on, state.pauses = version, 0
            if state.pauses < place:
                self.options.sleep(self._pause(place) * min(2**state.pauses, LONGEST))
                state.pauses += 1
                continue
            try:
                written = self.write(found)
            except ConflictError as exc:
                # Another run wrote the index first, most likely listing this one: look again
                # soon rather than back off.
                exc.pause = state.round_trip * self.options.rng.uniform(1.0, 2.0)
                raise
            if (written is None or written.parent_sha == found.head) and state.parked is None:
                return
            # Other commits landed between the snapshot and this write: one may have changed
            # this plugin's manifest without touching the index (back to the version listed).
        raise ConflictError(_UNSETTLED, outdated=False)

    def _follow(self, found: Snapshot) -> bool | None:
        """Whether ``found`` can settle the entry, following a manifest changed after this
        run's; False when it lags this run's own write (look again after a pause), None when
        there is nothing left for this run to do."""
        state = self.state
        stored = found.files.get(state.target_path or "")
        manifest = parsed_manifest(stored)
        if state.parked is not None:
            return self._follow_parked(found, stored, manifest)
        if manifest == state.target:
            return True
        version = stored.version if stored else ABSENT
        if version == state.replaced and state.lagged < LAGS:
            # The file as it was before this run's write: the snapshot lags it (or, once
            # LAGS looks show the same, another run put it back).
            self.options.sleep(state.round_trip * 2**state.lagged)
            state.lagged += 1
            return False
        if stored is not None and manifest is None:
            return None  # damaged by someone else: the next registration replaces it
        if not state.wrote_manifest:
            changed, state.target_path = state.target_path, None  # make this run's change again
            raise ConflictError(f"{changed} changed meanwhile", outdated=False)
        where = stored.path if stored else state.target_path
        state.warn(f"{where} was changed by a concurrent run; the index now follows it")
        state.target, state.target_commit = manifest, None
        return True

    def _follow_parked(
        self, found: Snapshot, stored: StoredFile | None, manifest: dict[str, Any] | None
    ) -> bool:
        """Whether ``found`` can settle a parked manifest: True once a run committed it (this
        run's change, made in that commit), or while it still waits, parked over the file as
        it is; else its branch is removed and the run registers again from what it finds."""
        state = self.state
        path, parked = state.target_path or "", state.parked
        before = state.park_from
        if manifest == state.target and stored is not None:
            if found.parked.get(path) == parked:
                # The run that committed it did not remove its branch (its answer failed).
                self.store.unpark({path: parked or ""})
            commit = found.last_commits.get(path)  # asked for by every look while parked
            change = FileChange(path, before.content if before else None, stored.content, commit)
            state.changes[path], state.target_commit = change, commit
            state.parked, state.wrote_manifest = None, True
            return True
        version = stored.version if stored else None
        listed = found.parked.get(path)
        if listed == parked or (listed is None and not found.parked_all):
            # Still parked, as far as the snapshot shows (a listing cut short may not show it).
            if version == (before.version if before else None):
                return True
            self.store.unpark({path: parked or ""})
        state.parked, state.target_path = None, None
        raise ConflictError(f"{path} changed while parked: registering again", outdated=False)

    def _place(self, index: dict[str, Any], found: Snapshot) -> int:
        """This run's place among the manifests the index does not list and the parked ones
        (0: write now)."""
        if not self._folds:
            return 0  # nobody lists another run's manifest: each writes its own entry
        waiting = unlisted(index, found.folder)
        path = self.state.target_path
        if self.options.parks and (found.parked or self.state.parked):
            own = {path} if self.state.parked and path else set()
            waiting = sorted({*waiting, *found.parked, *own}, key=in_line)
        return waiting.index(path) if path in waiting else 0

    def _pause(self, place: int) -> float:
        """Seconds to wait for the runs before this one to write the index."""
        trips = FOLD_TRIPS + PER_PLACE * place
        return self.state.round_trip * trips * self.options.rng.uniform(1.0, 1.25)
