"""What one run of the publish loop has learnt across its attempts, and how it reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from registry_action.core.documents import (
    PLUGINS_DIR,
    REGISTRY_PATH,
    load_registry,
    replaceable_manifest,
)
from registry_action.core.registry import entry_for, new_registry
from registry_action.engine.outcome import FileChange
from registry_action.store.interface import (
    ConflictError,
    RegistryStore,
    Snapshot,
    StoredFile,
    WriteResult,
)

# The version recorded in ``RunState.outdated`` for a file that was absent when read.
ABSENT = ""


@dataclass(frozen=True)
class Unsent:
    """A manifest write to make: ``manifest`` at ``path`` over ``stored``, as read in the
    snapshot whose head was ``head``."""

    stored: StoredFile | None
    path: str
    manifest: dict[str, Any]
    head: str | None


@dataclass
class RunState:
    """A run's reads, writes and decisions, kept across its attempts."""

    store: RegistryStore
    # Every body this run sent, per path, including writes whose answer was lost (a 502 after
    # GitHub applied it): reading one back proves that write landed.
    sent: dict[str, set[bytes]] = field(default_factory=dict)
    # Versions a write of this run was refused against: reading one again is a stale read. Each
    # is believed once only, so that a wrong refusal cannot hold a run until it gives up.
    outdated: dict[str, set[str]] = field(default_factory=dict)
    commits: list[WriteResult] = field(default_factory=list)
    changes: dict[str, FileChange] = field(default_factory=dict)
    # Changes of a commit sent but not answered (engine/bulk.py): found written later, they
    # are this run's.
    pending: dict[str, FileChange] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    previous_version: str | None = None
    stamp: str | None = None  # the time the manifest was rendered at, for the index write
    # The manifest the index entry must agree with (None: the plugin has none), once decided.
    target: dict[str, Any] | None = None
    target_path: str | None = None
    # With commit URLs: the commit known to hold ``target`` as it is, once found or made.
    target_commit: str | None = None
    # The plugin's id as the index lists it (its spelling kept), once the path is decided.
    plugin_id: str | None = None
    # This run made its own change to the manifest: it is never made twice.
    wrote_manifest: bool = False
    # The version the manifest had when this run replaced it (ABSENT: there was none): a read
    # that still shows it lags this run's write. Looks that showed it so far:
    replaced: str | None = None
    lagged: int = 0
    # The commit as of which this run knows both files (its manifest's, or the snapshot's).
    known_at: str | None = None
    # The index's version while this run waits for another run to list it, and how many
    # pauses it has waited at that version (engine/entries.py).
    waited_on: str | None = None
    pauses: int = 0
    # Seconds the quickest snapshot of this run took: the service's own time, without the
    # queues of a busy moment, which later pauses are measured in.
    round_trip: float = 0.0
    # Without registry.json: the index of the manifests already in plugins/, to merge into.
    found_index: dict[str, Any] | None = None
    # The manifest write another commit to the branch overtook (the file itself unchanged):
    # the next attempt sends it again as it was, without reading the branch first.
    overtaken: Unsent | None = None
    # The commit this run's manifest is parked at (``RegistryStore.park``), until a run commits
    # it to the branch, and the manifest it was parked over (None: there was none).
    parked: str | None = None
    park_from: StoredFile | None = None
    # False once the store parked nothing for this run: it does not ask again.
    may_park: bool = True

    def warn(self, warning: str) -> None:
        if warning not in self.warnings:
            self.warnings.append(warning)

    def look(
        self, paths: list[str], clock: Callable[[], float], last_commit_of: Sequence[str] = ()
    ) -> Snapshot:
        """The branch as of its head: ``paths`` and the manifests' versions (see
        ``RegistryStore.snapshot``); a version already replaced is a stale read: retry."""
        began = clock()
        found = self.store.snapshot(paths, PLUGINS_DIR, last_commit_of)
        took = max(clock() - began, 0.0)
        self.round_trip = min(self.round_trip, took) if self.round_trip else took
        for path, stored in found.files.items():
            version = stored.version if stored else ABSENT
            if version in self.outdated.get(path, ()):
                self.outdated[path].discard(version)
                raise ConflictError(f"{path} was read at a version already replaced (a stale read)")
            if stored is not None and stored.content in self.sent.get(path, ()):
                self._landed(stored)
        return found

    def _landed(self, stored: StoredFile) -> None:
        """A write whose answer was lost did land: it is this run's change."""
        if stored.path not in self.changes:
            self.changes[stored.path] = FileChange(stored.path, None, stored.content)
            self.commits.append(WriteResult(stored.path, stored.version, None))
        if stored.path != REGISTRY_PATH:
            self.wrote_manifest = True

    def registry(
        self, found: Snapshot, clock: Callable[[], str]
    ) -> tuple[StoredFile | None, dict[str, Any]]:
        """``registry.json`` as ``found`` has it, checked; a new registry when there is none."""
        stored = found.files.get(REGISTRY_PATH)
        if stored is None:
            return None, new_registry(clock())
        return stored, load_registry(REGISTRY_PATH, stored.content)

    def manifest(self, stored: StoredFile | None) -> dict[str, Any] | None:
        """The manifest in ``stored`` (None when there is none); a damaged one is warned about
        and counts as none, since the new one replaces it."""
        if stored is None:
            return None
        manifest, warning = replaceable_manifest(stored.path, stored.content)
        if warning is not None:
            self.warn(warning)
        return manifest

    def before(self, path: str, stored: StoredFile | None) -> bytes | None:
        """What the file held before this run first touched it."""
        earlier = self.changes.get(path)
        if earlier is not None:
            return earlier.before
        return stored.content if stored else None

    def write(
        self,
        store: RegistryStore,
        write: tuple[StoredFile | None, str, bytes, str],
        *,
        dry_run: bool,
        retry_limits: bool = True,
    ) -> WriteResult | None:
        """Write ``body`` at ``path`` over ``stored`` (as read) with ``message``, and record it;
        None in a dry run, which only records the change."""
        stored, path, body, message = write
        before = self.before(path, stored)
        if dry_run:
            self.changes[path] = FileChange(path, before, body)
            return None
        version = stored.version if stored else None
        self.sent.setdefault(path, set()).add(body)
        try:
            result = store.write(path, body, version, message, retry_limits=retry_limits)
        except ConflictError as exc:
            self.refused(path, version, exc)
            raise
        self.committed(result)
        self.changes[path] = FileChange(path, before, body, result.commit_sha, result.commit_url)
        return result

    def refused(self, path: str, version: str | None, exc: ConflictError) -> None:
        if exc.outdated:
            self.outdated.setdefault(path, set()).add(version or ABSENT)

    def committed(self, result: WriteResult) -> None:
        self.commits.append(result)


def parsed_manifest(stored: StoredFile | None) -> dict[str, Any] | None:
    """The manifest in ``stored``, or None when there is none or it is damaged."""
    return replaceable_manifest(stored.path, stored.content)[0] if stored else None


def agrees(entry: dict[str, Any] | None, manifest: dict[str, Any] | None) -> bool:
    """Whether an index entry (or its absence) points at ``manifest`` (or its absence)."""
    if manifest is None or entry is None:
        return manifest is None and entry is None
    return {**entry, **entry_for(manifest)} == entry
