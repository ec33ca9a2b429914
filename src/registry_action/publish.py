"""The publish loop: read, merge, write with the version read, retry on conflict.

It works on the RegistryStore interface only, so GitHub and a local folder behave the same.

Ordering keeps the registry referentially sound: a registration writes the manifest first and
then the index; an unregistration removes the index entry first and then the manifest. Every
write carries the version it read, so a concurrent writer makes it fail with ConflictError
instead of being overwritten; the whole step is then re-read, re-merged and retried.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from registry_action.documents import (
    REGISTRY_PATH,
    check_registry,
    dumps,
    load_manifest,
    load_registry,
    manifest_path,
)
from registry_action.errors import DamagedFileError, GaveUpError
from registry_action.manifest import render_manifest, same_content
from registry_action.registry import entry_for, find_entry, new_registry, remove, upsert
from registry_action.reindex import rebuild, usable_manifests
from registry_action.spec import PluginSpec
from registry_action.store.interface import ConflictError, RegistryStore, StoredFile
from registry_action.validation import read_manifests
from registry_action.versions import guard_version


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with full-jitter exponential backoff."""

    max_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 10.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class FileChange:
    """One file written (or, in a dry run, that would be written)."""

    path: str
    before: bytes | None
    after: bytes | None
    commit_sha: str | None = None
    commit_url: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What a command did; expected results are values, not exceptions."""

    plugin_id: str
    changes: tuple[FileChange, ...] = ()
    manifest: dict[str, Any] | None = None
    previous_version: str | None = None
    warnings: tuple[str, ...] = ()
    attempts: int = 1
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def commit_sha(self) -> str | None:
        """The last commit made, if any."""
        shas = [change.commit_sha for change in self.changes if change.commit_sha]
        return shas[-1] if shas else None


@dataclass
class _Attempt:
    """What one run has learnt across its attempts."""

    written: set[bytes] = field(default_factory=set)  # every manifest body this run sent
    conflicts: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class Publisher:
    """Runs the commands against one store."""

    store: RegistryStore
    clock: Callable[[], str]
    policy: RetryPolicy = RetryPolicy()
    dry_run: bool = False
    log: Callable[[str], None] = print
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    allow_downgrade: bool = False

    def register(self, spec: PluginSpec, message: str) -> Outcome:
        """Write ``plugins/<id>.json``, then point ``registry.json`` at it."""
        state = _Attempt()
        return self._retrying(lambda attempt: self._register_once(spec, message, state, attempt))

    def unregister(self, plugin_id: str, message: str) -> Outcome:
        """Remove the entry from ``registry.json``, then delete ``plugins/<id>.json``."""
        return self._retrying(lambda attempt: self._unregister_once(plugin_id, message, attempt))

    def reindex(self, message: str) -> Outcome:
        """Rebuild ``registry.json`` from ``plugins/*.json``."""
        return self._retrying(lambda attempt: self._reindex_once(message, attempt))

    def _retrying(self, step: Callable[[int], Outcome]) -> Outcome:
        for attempt in range(1, self.policy.max_attempts + 1):
            try:
                return step(attempt)
            except ConflictError as exc:
                if attempt == self.policy.max_attempts:
                    raise GaveUpError(
                        f"gave up after {attempt} attempts: {self.store.description} kept "
                        f"changing under this run (last: {exc}); raise `max-attempts` or retry"
                    ) from None
                pause = self.policy.delay(attempt, self.rng)
                self.log(
                    f"Attempt {attempt}/{self.policy.max_attempts} met a concurrent change "
                    f"({exc}); re-reading and retrying in {pause:.1f}s"
                )
                self.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    def _read_registry(self) -> tuple[StoredFile | None, dict[str, Any]]:
        stored = self.store.read(REGISTRY_PATH)
        if stored is None:
            return None, new_registry(self.clock())
        return stored, load_registry(REGISTRY_PATH, stored.content)

    def _read_manifest(
        self, plugin_id: str, state: _Attempt
    ) -> tuple[StoredFile | None, dict[str, Any] | None]:
        path = manifest_path(plugin_id)
        stored = self.store.read(path)
        if stored is None:
            return None, None
        try:
            return stored, load_manifest(path, stored.content)
        except DamagedFileError as exc:
            warning = f"{exc}; it is replaced by the new manifest"
            if warning not in state.warnings:
                state.warnings.append(warning)
            return stored, None

    def _register_once(
        self, spec: PluginSpec, message: str, state: _Attempt, attempt: int
    ) -> Outcome:
        # The index is read first so that a damaged registry stops the run before any write.
        index_file, index = self._read_registry()
        manifest_file, current = self._read_manifest(spec.id, state)
        listed = find_entry(index, spec.id)
        self._guard_version(spec, listed, current, state)
        now = self.clock()
        manifest = render_manifest(spec, now)
        changes: list[FileChange] = []
        if current is not None and self._keeps(current, manifest_file, manifest, state, attempt):
            manifest = current
        else:
            changes.append(self._write(manifest_file, manifest_path(spec.id), manifest, message))
            state.written.add(dumps(manifest))
        # A replaced manifest that the index did not point at means another registration is
        # in flight (or died half-way): touching the index makes its index write conflict.
        in_flight = bool(changes) and current is not None and listed != entry_for(current)
        updated = upsert(index, entry_for(manifest), now)
        if updated is None and in_flight:
            updated = {**index, "lastUpdated": now}
        if updated is not None:
            changes.append(self._write(index_file, REGISTRY_PATH, updated, message))
        return Outcome(
            plugin_id=spec.id,
            changes=tuple(changes),
            manifest=manifest,
            previous_version=listed["version"] if listed else None,
            warnings=tuple(state.warnings),
            attempts=attempt,
            dry_run=self.dry_run,
        )

    def _guard_version(
        self,
        spec: PluginSpec,
        listed: dict[str, Any] | None,
        current: dict[str, Any] | None,
        state: _Attempt,
    ) -> None:
        # Both the index and the manifest count: after a half-finished registration, or in
        # pull-request mode before a reindex, the manifest can be ahead of the index. The check
        # runs on every attempt's fresh reads, so a higher version registered concurrently
        # stops a retry as well.
        registered = {REGISTRY_PATH: listed["version"]} if listed else {}
        if current is not None:
            registered[manifest_path(spec.id)] = current["version"]
        warning = guard_version(
            spec.id, spec.version, registered, allow_downgrade=self.allow_downgrade
        )
        if warning and warning not in state.warnings:
            state.warnings.append(warning)

    @staticmethod
    def _keeps(
        current: dict[str, Any],
        stored: StoredFile | None,
        rendered: dict[str, Any],
        state: _Attempt,
        attempt: int,
    ) -> bool:
        """Whether the manifest on the branch already says what this run would write.

        After a conflict a read may be stale, so only a manifest this run itself wrote is
        trusted then; otherwise the write goes ahead and its version check settles it.
        """
        if stored is None or not same_content(current, rendered):
            return False
        return attempt == 1 or stored.content in state.written

    def _write(
        self, stored: StoredFile | None, path: str, document: dict[str, Any], message: str
    ) -> FileChange:
        body = dumps(document)
        before = stored.content if stored else None
        if self.dry_run:
            return FileChange(path, before, body)
        result = self.store.write(path, body, stored.version if stored else None, message)
        return FileChange(path, before, body, result.commit_sha, result.commit_url)

    def _delete(self, stored: StoredFile, message: str) -> FileChange:
        if self.dry_run:
            return FileChange(stored.path, stored.content, None)
        result = self.store.delete(stored.path, stored.version, message)
        return FileChange(stored.path, stored.content, None, result.commit_sha, result.commit_url)

    def _unregister_once(self, plugin_id: str, message: str, attempt: int) -> Outcome:
        # The index is read (and checked) first: a damaged registry stops the run unwritten.
        index_file, index = self._read_registry()
        manifest_file = self.store.read(manifest_path(plugin_id))
        listed = find_entry(index, plugin_id)
        now = self.clock()
        changes: list[FileChange] = []
        updated = remove(index, plugin_id, now)
        if updated is not None:
            # Index first, so that it never points at a manifest that is already gone.
            changes.append(self._write(index_file, REGISTRY_PATH, updated, message))
        if manifest_file is not None:
            changes.append(self._delete(manifest_file, message))
        if updated is None and manifest_file is not None and index_file is not None:
            # An unlisted manifest may belong to a registration in flight: touching the index
            # after deleting it makes that registration's index write conflict, so it re-reads
            # and writes its manifest again instead of listing a file that is gone.
            touched = {**index, "lastUpdated": now}
            changes.append(self._write(index_file, REGISTRY_PATH, touched, message))
        return Outcome(
            plugin_id=plugin_id,
            changes=tuple(changes),
            previous_version=listed["version"] if listed else None,
            attempts=attempt,
            dry_run=self.dry_run,
        )

    def _reindex_once(self, message: str, attempt: int) -> Outcome:
        # Every writer of the registry writes the index with the version it read, so writing
        # it with ours detects any manifest added or removed since the listing.
        index_file, index = self._read_registry()
        manifests = usable_manifests(read_manifests(self.store))
        rebuilt = rebuild(index if index_file else None, manifests, self.clock())
        changes: list[FileChange] = []
        if rebuilt is not None:
            check_registry(REGISTRY_PATH, rebuilt)
            changes.append(self._write(index_file, REGISTRY_PATH, rebuilt, message))
        return Outcome(plugin_id="", changes=tuple(changes), attempts=attempt, dry_run=self.dry_run)
