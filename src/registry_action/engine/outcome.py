"""What a command did: the files it changed and the manifest it left, as values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
