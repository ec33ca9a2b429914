"""An in-memory RegistryStore for core tests, able to inject conflicts and record writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from registry_action.store.interface import ConflictError, RegistryStore, StoredFile, WriteResult
from registry_action.store.local import blob_sha

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

    @property
    def description(self) -> str:
        return "memory"

    def read(self, path: str) -> StoredFile | None:
        self.log.append(("read", path))
        content = self.files.get(path)
        return None if content is None else StoredFile(path, content, blob_sha(content))

    def list_dir(self, path: str) -> list[str]:
        self.log.append(("list", path))
        prefix = path.rstrip("/") + "/"
        return sorted(p for p in self.files if p.startswith(prefix) and "/" not in p[len(prefix) :])

    def _check(self, path: str, expected: str | None) -> None:
        current = self.files.get(path)
        if (blob_sha(current) if current is not None else None) != expected:
            raise ConflictError(f"{path} does not match {expected}")

    def write(self, path: str, content: bytes, expected: str | None, message: str) -> WriteResult:
        if self.before_write:
            self.before_write("write", path)
        self._check(path, expected)
        self.log.append(("write", path))
        self.files[path] = content
        self.commits += 1
        return WriteResult(path, blob_sha(content), f"commit{self.commits}")

    def delete(self, path: str, expected: str, message: str) -> WriteResult:
        if self.before_write:
            self.before_write("delete", path)
        self._check(path, expected)
        self.log.append(("delete", path))
        del self.files[path]
        self.commits += 1
        return WriteResult(path, None, f"commit{self.commits}")

    @property
    def writes(self) -> list[tuple[str, str]]:
        return [entry for entry in self.log if entry[0] in ("write", "delete")]
