"""An in-memory RegistryStore for core tests, able to inject conflicts and record writes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from registry_action.store.interface import (
    ConflictError,
    FileWrite,
    Parked,
    RegistryStore,
    Snapshot,
    StoredFile,
    WriteResult,
    blob_sha,
)

# Called before a write or delete is checked: (operation, path) -> None. It may change the
# store (to play a concurrent writer) or raise.
Hook = Callable[[str, str], None]


@dataclass
class MemoryStore(RegistryStore):
    """Files in a dict; versions are git blob shas, as on GitHub."""

    files: dict[str, bytes] = field(default_factory=dict)
    log: list[tuple[str, str]] = field(default_factory=list)  # (operation, path)
    before_write: Hook | None = None
    commits: int = 0
    # The files as of each commit, so that reads at a commit are exact, as on GitHub.
    snapshots: dict[str, dict[str, bytes]] = field(default_factory=dict)
    # Whether it parks manifests (RegistryStore.park), and those parked: the commit, the
    # content and the version the file had where it was parked, by path.
    parking: bool = False
    parked: dict[str, tuple[str, bytes, str | None]] = field(default_factory=dict)
    parked_messages: dict[str, str] = field(default_factory=dict)  # by parked commit
    messages: list[str] = field(default_factory=list)  # of each commit of many files
    listed: int | None = None  # the most parked manifests a snapshot lists (None: all)

    @property
    def description(self) -> str:
        return "memory"

    def read(self, path: str) -> StoredFile | None:
        self.log.append(("read", path))
        content = self.files.get(path)
        return None if content is None else StoredFile(path, content, blob_sha(content))

    def read_at(self, path: str, commit: str | None) -> StoredFile | None:
        if commit is None:
            return self.read(path)
        self.log.append(("read_at", path))
        content = self.snapshots[commit].get(path)
        return None if content is None else StoredFile(path, content, blob_sha(content))

    def head(self) -> str | None:
        last = f"commit{self.commits}" if self.commits else None
        if last is None or self.snapshots[last] != self.files:
            last = self._record()  # a test changed files directly: that is a commit too
        return last

    def _record(self) -> str:
        self.commits += 1
        sha = f"commit{self.commits}"
        self.snapshots[sha] = dict(self.files)
        return sha

    def _commit(self, path: str, content: bytes | None) -> WriteResult:
        last = f"commit{self.commits}" if self.commits else None
        if last is not None and self.snapshots[last] != self.files:
            last = self._record()  # a test changed files directly: that is a commit too
        if content is None:
            del self.files[path]
        else:
            self.files[path] = content
        sha = self._record()
        version = blob_sha(content) if content is not None else None
        return WriteResult(path, version, sha, parent_sha=last)

    def list_dir(self, path: str) -> list[str]:
        self.log.append(("list", path))
        prefix = path.rstrip("/") + "/"
        return sorted(p for p in self.files if p.startswith(prefix) and "/" not in p[len(prefix) :])

    def _check(self, path: str, expected: str | None) -> None:
        current = self.files.get(path)
        if (blob_sha(current) if current is not None else None) != expected:
            raise ConflictError(f"{path} does not match {expected}")

    def write(
        self,
        path: str,
        content: bytes,
        expected: str | None,
        message: str,
        *,
        retry_limits: bool = True,
    ) -> WriteResult:
        if self.before_write:
            self.before_write("write", path)
        self._check(path, expected)
        self.log.append(("write", path))
        return self._commit(path, content)

    def delete(self, path: str, expected: str, message: str) -> WriteResult:
        if self.before_write:
            self.before_write("delete", path)
        self._check(path, expected)
        self.log.append(("delete", path))
        return self._commit(path, None)

    def commit(
        self, changes: Sequence[FileWrite], expected_head: str | None, message: str
    ) -> list[WriteResult]:
        assert changes, "a commit needs at least one change"
        self.messages.append(message)
        for change in changes:
            if self.before_write:  # a hook may take itself away once it has played
                self.before_write("commit", change.path)
        parent = self.head()
        if expected_head is not None and parent != expected_head:
            raise ConflictError(f"the branch is at {parent}, not {expected_head}", outdated=False)
        for change in changes:
            self._check(change.path, change.expected)
        for change in changes:
            self.log.append(("commit", change.path))
            if change.content is None:
                del self.files[change.path]
            else:
                self.files[change.path] = change.content
        sha = self._record()
        return [
            WriteResult(
                c.path, None if c.content is None else blob_sha(c.content), sha, parent_sha=parent
            )
            for c in changes
        ]

    def snapshot(
        self, paths: Sequence[str], folder: str, last_commit_of: Sequence[str] = ()
    ) -> Snapshot:
        found = super().snapshot(paths, folder, last_commit_of)
        parked = {path: self.parked[path][0] for path in sorted(self.parked)[: self.listed]}
        return replace(found, parked=parked, parked_all=len(parked) == len(self.parked))

    def park(self, path: str, content: bytes, head: str, message: str) -> str | None:
        if not self.parking or path in self.parked:
            return None  # a store that parks nothing, or a branch another run holds
        self.log.append(("park", path))
        base = self.snapshots[head].get(path)
        commit = f"parked{len(self.log)}"
        self.parked[path] = (commit, content, None if base is None else blob_sha(base))
        self.parked_messages[commit] = message
        return commit

    def read_parked(self, parked: Mapping[str, str]) -> list[Parked]:
        self.log.append(("read_parked", ",".join(sorted(parked))))
        return [
            Parked(path, commit, content, base, self.parked_messages.get(commit, ""))
            for path, (commit, content, base) in self.parked.items()
            if parked.get(path) == commit
        ]

    def unpark(self, parked: Mapping[str, str]) -> None:
        self.log.append(("unpark", ",".join(sorted(parked))))
        for path, commit in parked.items():
            if self.parked.get(path, ("",))[0] == commit:
                del self.parked[path]

    @property
    def writes(self) -> list[tuple[str, str]]:
        kinds = ("write", "delete", "commit", "park", "unpark")
        return [entry for entry in self.log if entry[0] in kinds]
