"""The publish loop: read, merge, write with the version read, retry on conflict.

It works on the RegistryStore interface only, so GitHub and a local folder behave the same.

Ordering keeps the registry referentially sound: a registration writes the manifest first and
then the index; an unregistration removes the index entry first and then the manifest. Every
write carries the version it read, so a concurrent writer makes it fail with ConflictError
instead of being overwritten; the whole step is then re-read, re-merged and retried.

Reads may be stale (GitHub's reads lag its writes for a moment), so no decision to write one
file rests on an unchecked read of the other: a registration writes both files or neither,
each write checked against the version read. A run that wrote a manifest owes the index a
write until one lands, so a run that dies half-way is completed by the next one.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from registry_action.documents import (
    REGISTRY_PATH,
    check_registry,
    dumps,
    load_manifest,
    load_registry,
    manifest_path,
    prepare_validators,
)
from registry_action.errors import DamagedFileError, GaveUpError
from registry_action.manifest import render_manifest, same_content
from registry_action.registry import (
    as_listed,
    entry_for,
    find_entry,
    new_registry,
    registered_id,
    remove,
    touched,
    upsert,
)
from registry_action.spec import PluginSpec
from registry_action.store.interface import (
    ConflictError,
    RegistryStore,
    StoredFile,
    VanishedError,
)
from registry_action.versions import guard_version

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with full-jitter exponential backoff."""

    max_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 10.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def retrying(
    step: Callable[[int], T],
    policy: RetryPolicy,
    subject: str,
    *,
    log: Callable[[str], None],
    sleep: Callable[[float], None],
    rng: random.Random,
) -> T:
    """Run ``step(attempt)`` until it meets no concurrent change, a bounded number of times.

    The one retry loop of the program for conflicts: each retry is logged in one line with its
    reason and attempt number; running out of attempts is a GaveUpError naming ``subject``.
    """
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return step(attempt)
        except ConflictError as exc:
            reason = " ".join(str(exc).split())  # one log line, whatever GitHub's text
            if attempt == policy.max_attempts:
                raise GaveUpError(
                    f"gave up after {attempt} attempts: {subject} kept changing under this "
                    f"run (last: {reason}); raise `max-attempts` or retry"
                ) from None
            pause = policy.delay(attempt, rng)
            log(
                f"Attempt {attempt}/{policy.max_attempts} met a concurrent change "
                f"({reason}); re-reading and retrying in {pause:.1f}s"
            )
            sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


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


# The version recorded in ``_Attempt.outdated`` for a file that was absent when read.
ABSENT = ""


@dataclass
class _Attempt:
    """What one run has learnt across its attempts."""

    # Every body this run sent, per path, including writes whose answer was lost (a 502 after
    # GitHub applied it): reading one back proves that write landed.
    sent: dict[str, set[bytes]] = field(default_factory=dict)
    # Versions a write of this run was refused against: reading one again is a stale read. Each
    # is believed once only, so that a wrong refusal cannot hold a run until it gives up.
    outdated: dict[str, set[str]] = field(default_factory=dict)
    # A manifest went out and no index write was confirmed after it: the index is still owed.
    index_owed: bool = False
    # Files as this run last wrote them. Reading one back could return the version before the
    # write (a stale read, and a needless conflict); the next write carries the version the
    # write produced instead, so a change by anyone else still makes it conflict.
    held: dict[str, StoredFile] = field(default_factory=dict)
    changes: dict[str, FileChange] = field(default_factory=dict)  # committed, across attempts
    previous_version: str | None = None
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
        # The slow part of an attempt (importing and building the validators) happens before the
        # first read: the shorter the time from reading the index to writing it, the fewer
        # concurrent runs conflict.
        prepare_validators()
        state = _Attempt()
        return self._retrying(lambda attempt: self._register_once(spec, message, state, attempt))

    def unregister(self, plugin_id: str, message: str) -> Outcome:
        """Remove the entry from ``registry.json``, then delete ``plugins/<id>.json``."""
        prepare_validators()
        state = _Attempt()
        return self._retrying(
            lambda attempt: self._unregister_once(plugin_id, message, state, attempt)
        )

    def reindex(self, message: str) -> Outcome:
        """Rebuild ``registry.json`` from ``plugins/*.json``."""
        prepare_validators()
        state = _Attempt()
        return self._retrying(lambda attempt: self._reindex_once(message, state, attempt))

    def _retrying(self, step: Callable[[int], Outcome]) -> Outcome:
        return retrying(
            step, self.policy, self.store.description, log=self.log, sleep=self.sleep, rng=self.rng
        )

    def _read(self, path: str, state: _Attempt) -> StoredFile | None:
        """Read ``path``; a version this run already saw replaced is a stale read: retry."""
        stored = self.store.read(path)
        version = stored.version if stored else ABSENT
        if version in state.outdated.get(path, ()):
            state.outdated[path].discard(version)
            raise ConflictError(f"{path} was read at a version already replaced (a stale read)")
        if stored is not None and stored.content in state.sent.get(path, ()):
            state.changes.setdefault(path, FileChange(path, None, stored.content))
            if path == REGISTRY_PATH:
                state.index_owed = False  # a write whose answer was lost did land
        return stored

    def _read_registry(self, state: _Attempt) -> tuple[StoredFile | None, dict[str, Any]]:
        stored = self._read(REGISTRY_PATH, state)
        if stored is None:
            return None, new_registry(self.clock())
        return stored, load_registry(REGISTRY_PATH, stored.content)

    def _read_manifest(
        self, plugin_id: str, state: _Attempt
    ) -> tuple[StoredFile | None, dict[str, Any] | None]:
        path = manifest_path(plugin_id)
        stored = state.held.get(path) or self._read(path, state)
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
        # Both files are read before any write, so a damaged registry stops the run with nothing
        # written; the index is read last, to keep the time until its write short.
        manifest_file, current = self._read_manifest(spec.id, state)
        index_file, index = self._read_registry(state)
        if (listed_spec := as_listed(spec, index)) is not spec:  # listed in another case
            spec = listed_spec
            manifest_file, current = self._read_manifest(spec.id, state)
        listed = find_entry(index, spec.id)
        self._guard_version(spec, listed, current, state)
        if attempt == 1:
            state.previous_version = listed["version"] if listed else None
        now = self.clock()
        manifest = render_manifest(spec, now)
        updated = upsert(index, entry_for(manifest), now)
        same = current is not None and same_content(current, manifest)
        if same and current is not None and updated is None and not state.index_owed:
            return self._outcome(spec.id, current, state, attempt)
        if same and current is not None and manifest_file in state.held.values():
            manifest = current  # written again as this run wrote it, not re-stamped
        # Both files are written, each carrying the version read, or neither: a stale read of
        # either one then conflicts, instead of leaving the index pointing at a manifest that
        # another run replaced meanwhile (or a new manifest that no index lists).
        state.index_owed = True
        self._write(manifest_file, manifest_path(spec.id), manifest, message, state)
        document = updated if updated is not None else touched(index, now)
        self._write(index_file, REGISTRY_PATH, document, message, state)
        state.index_owed = False
        return self._outcome(spec.id, manifest, state, attempt)

    def _outcome(
        self, plugin_id: str, manifest: dict[str, Any], state: _Attempt, attempt: int
    ) -> Outcome:
        return Outcome(
            plugin_id=plugin_id,
            changes=tuple(state.changes.values()),
            manifest=manifest,
            previous_version=state.previous_version,
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

    def _write(
        self,
        stored: StoredFile | None,
        path: str,
        document: dict[str, Any],
        message: str,
        state: _Attempt,
    ) -> None:
        body = dumps(document)
        before = stored.content if stored else None
        earlier = state.changes.get(path)
        if earlier is not None:
            before = earlier.before  # what the file held before this run touched it
        if self.dry_run:
            state.changes[path] = FileChange(path, before, body)
            return
        version = stored.version if stored else None
        state.sent.setdefault(path, set()).add(body)
        try:
            result = self.store.write(path, body, version, message)
        except ConflictError as exc:
            state.held.pop(path, None)
            if exc.outdated:
                state.outdated.setdefault(path, set()).add(version or ABSENT)
            raise
        if result.version is not None:
            state.held[path] = StoredFile(path, body, result.version)
        state.changes[path] = FileChange(path, before, body, result.commit_sha, result.commit_url)

    def _delete(self, stored: StoredFile, message: str, state: _Attempt) -> None:
        if self.dry_run:
            state.changes[stored.path] = FileChange(stored.path, stored.content, None)
            return
        try:
            result = self.store.delete(stored.path, stored.version, message)
        except VanishedError:
            return  # another writer deleted it first: what the unregister wanted is done
        state.changes[stored.path] = FileChange(
            stored.path, stored.content, None, result.commit_sha, result.commit_url
        )

    def _unregister_once(
        self, plugin_id: str, message: str, state: _Attempt, attempt: int
    ) -> Outcome:
        # The index is read (and checked) first: a damaged registry stops the run unwritten.
        index_file, index = self._read_registry(state)
        plugin_id = registered_id(index, plugin_id)  # its spelling names its file
        manifest_file = self.store.read(manifest_path(plugin_id))
        listed = find_entry(index, plugin_id)
        if attempt == 1:
            state.previous_version = listed["version"] if listed else None
        now = self.clock()
        updated = remove(index, plugin_id, now)
        if updated is not None:
            # Index first, so that it never points at a manifest that is already gone.
            self._write(index_file, REGISTRY_PATH, updated, message, state)
        if manifest_file is not None:
            self._delete(manifest_file, message, state)
        if updated is None and manifest_file is not None and index_file is not None:
            # An unlisted manifest may belong to a registration in flight: touching the index
            # after deleting it makes that registration's index write conflict, so it re-reads
            # and writes its manifest again instead of listing a file that is gone.
            self._write(index_file, REGISTRY_PATH, touched(index, now), message, state)
        return Outcome(
            plugin_id=plugin_id,
            changes=tuple(state.changes.values()),
            previous_version=state.previous_version,
            attempts=attempt,
            dry_run=self.dry_run,
        )

    def _reindex_once(self, message: str, state: _Attempt, attempt: int) -> Outcome:
        # Every writer of the registry writes the index with the version it read, so writing
        # it with ours detects any manifest added or removed since the listing.
        from registry_action.reindex import conversion
        from registry_action.validation import read_manifest_files

        index_file, index = self._read_registry(state)
        files = read_manifest_files(self.store)
        contents = {path: stored.content for path, stored in files.items()}
        plan = conversion(
            index if index_file else None, contents, self.clock(), self.store.last_changed
        )
        for path, document in plan.manifests.items():  # manifests first: the index lists them
            self._write(files[path], path, document, message, state)
        if plan.index is not None:
            check_registry(REGISTRY_PATH, plan.index)
            self._write(index_file, REGISTRY_PATH, plan.index, message, state)
        return Outcome(
            plugin_id="",
            changes=tuple(state.changes.values()),
            attempts=attempt,
            dry_run=self.dry_run,
        )
