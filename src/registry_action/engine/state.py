"""What one run of the publish loop has learnt across its attempts, and how it reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from registry_action.core.documents import (
    REGISTRY_PATH,
    load_registry,
    manifest_path,
    replaceable_manifest,
)
from registry_action.core.registry import entry_for, new_registry
from registry_action.engine.outcome import FileChange
from registry_action.store.interface import ConflictError, RegistryStore, StoredFile, WriteResult

# The version recorded in ``RunState.outdated`` for a file that was absent when read.
ABSENT = ""


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
    # Files as this run last wrote them: a read could return the version before the write.
    held: dict[str, StoredFile] = field(default_factory=dict)
    # Exact reads (at a commit) that the next read of the path uses instead of asking again.
    known: dict[str, StoredFile | None] = field(default_factory=dict)
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
    # The index as last read, when it already agreed and needed no write.
    unwritten: StoredFile | None = None
    # Without registry.json: the index of the manifests already in plugins/, to merge into.
    found_index: dict[str, Any] | None = None

    def warn(self, warning: str) -> None:
        if warning not in self.warnings:
            self.warnings.append(warning)

    def read(self, path: str) -> StoredFile | None:
        """Read ``path``; a version this run already saw replaced is a stale read: retry."""
        if path in self.known:
            return self.known.pop(path)
        if path in self.held:
            return self.held[path]
        stored = self.store.read(path)
        version = stored.version if stored else ABSENT
        if version in self.outdated.get(path, ()):
            self.outdated[path].discard(version)
            raise ConflictError(f"{path} was read at a version already replaced (a stale read)")
        if stored is not None and stored.content in self.sent.get(path, ()):
            # A write whose answer was lost did land.
            self.changes.setdefault(path, FileChange(path, None, stored.content))
            self.commits.append(WriteResult(path, stored.version, None))
            self.held[path] = stored
            if path != REGISTRY_PATH:
                self.wrote_manifest = True
        return stored

    def read_registry(self, clock: Callable[[], str]) -> tuple[StoredFile | None, dict[str, Any]]:
        stored = self.read(REGISTRY_PATH)
        if stored is None:
            return None, new_registry(clock())
        return stored, load_registry(REGISTRY_PATH, stored.content)

    def read_manifest(self, path: str) -> tuple[StoredFile | None, dict[str, Any] | None]:
        stored = self.read(path)
        if stored is None:
            return None, None
        manifest, warning = replaceable_manifest(path, stored.content)
        if warning is not None:
            self.warn(warning)
        return stored, manifest

    def before(self, path: str, stored: StoredFile | None) -> bytes | None:
        """What the file held before this run first touched it."""
        earlier = self.changes.get(path)
        if earlier is not None:
            return earlier.before
        return stored.content if stored else None

    def refused(self, path: str, version: str | None, exc: ConflictError) -> None:
        self.held.pop(path, None)
        if exc.outdated:
            self.outdated.setdefault(path, set()).add(version or ABSENT)

    def committed(self, result: WriteResult, body: bytes | None) -> None:
        self.commits.append(result)
        self.unwritten = None
        if body is not None and result.version is not None:
            self.held[result.path] = StoredFile(result.path, body, result.version)
        else:
            self.held.pop(result.path, None)

    def at_last_commit(self, plugin_id: str) -> tuple[dict[str, Any], StoredFile | None] | None:
        """The index and the plugin's manifest as of this run's last commit; None if known good.

        One file is the one this run just wrote; the other is read at that commit. When the
        commit directly follows this run's commit of the other file, both are known unread.
        """
        if not self.commits:
            return None
        path = manifest_path(plugin_id)
        last = self.commits[-1]
        index_file: StoredFile | None
        if len(self.commits) >= 2 and _in_order(self.commits[-2], last, path):
            return None
        if last.path == REGISTRY_PATH:
            index_file = self.held.get(REGISTRY_PATH)
            manifest_file = self.store.read_at(path, last.commit_sha)
            self.known[path] = manifest_file
        else:
            index_file = self.store.read_at(REGISTRY_PATH, last.commit_sha)
            manifest_file = self.held.get(path)
        return _index(index_file), manifest_file

    def at_head(self, plugin_id: str) -> tuple[dict[str, Any], StoredFile | None]:
        """Both files as of the branch's head commit, read exactly; kept for the next reads.

        For when the index already agreed as read, with no commit of this run showing it.
        """
        head, path = self.store.head(), manifest_path(plugin_id)
        index_file = self.store.read_at(REGISTRY_PATH, head)
        manifest_file = self.store.read_at(path, head)
        self.known[REGISTRY_PATH], self.known[path] = index_file, manifest_file
        return _index(index_file), manifest_file


def _index(stored: StoredFile | None) -> dict[str, Any]:
    if stored is None:
        return {"plugins": []}
    return load_registry(REGISTRY_PATH, stored.content)


def _in_order(previous: WriteResult, last: WriteResult, path: str) -> bool:
    """A manifest then its index entry, or an entry's removal then the manifest's, back to back."""
    paired = (previous.path == path and last.path == REGISTRY_PATH) or (
        previous.path == REGISTRY_PATH and last.path == path and last.version is None
    )
    return paired and last.parent_sha is not None and last.parent_sha == previous.commit_sha


def parsed_manifest(stored: StoredFile | None) -> dict[str, Any] | None:
    """The manifest in ``stored``, or None when there is none or it is damaged."""
    return replaceable_manifest(stored.path, stored.content)[0] if stored else None


def agrees(entry: dict[str, Any] | None, manifest: dict[str, Any] | None) -> bool:
    """Whether an index entry (or its absence) points at ``manifest`` (or its absence)."""
    if manifest is None or entry is None:
        return manifest is None and entry is None
    return {**entry, **entry_for(manifest)} == entry
