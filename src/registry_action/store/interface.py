"""The one interface every registry store implements.

A store holds files addressed by a slash-separated path relative to the registry root.
Every file comes with an opaque version token (the git blob sha on GitHub, a content hash
on a local folder); writes and deletes happen only if the caller's token still holds, which
is what makes concurrent registrations safe.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from registry_action.errors import RegistryActionError
from registry_action.settings.spelling import setting


@dataclass
class Deadline:
    """The time a whole run may take; the clock is injectable so tests need not wait."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=-1.0)

    def __post_init__(self) -> None:
        if self.started < 0:
            self.started = self.clock()

    def elapsed(self) -> float:
        return self.clock() - self.started

    def remaining(self) -> float:
        return self.seconds - self.elapsed()

    def allows(self, pause: float) -> bool:
        """Whether waiting ``pause`` seconds still leaves the run inside its deadline."""
        return pause <= self.remaining()

    def advice(self) -> str:
        """What to raise, for messages that stop at the deadline."""
        return (
            f"the run's deadline is {setting('timeout')} ({self.seconds:g} s): raise it, or "
            "re-run later"
        )


@dataclass(frozen=True)
class StoredFile:
    """A file's bytes and the version token they were read at."""

    path: str
    content: bytes
    version: str


@dataclass(frozen=True)
class WriteResult:
    """What a successful write or delete left behind."""

    path: str
    version: str | None  # the file's new version; None after a delete
    commit_sha: str | None  # the commit that recorded it, where the store makes commits
    commit_url: str | None = None
    # The commit the write's commit follows on the branch: when it is this run's previous
    # commit, nothing else landed in between, so the run knows both files without a read.
    parent_sha: str | None = None


class ConflictError(RegistryActionError):
    """The file changed since it was read: re-read, re-merge and try again.

    ``outdated`` is False when the refusal does not say the file's version is gone (the branch
    moved under the write because of another file): the same version may be read again.
    """

    def __init__(self, message: str, *, outdated: bool = True) -> None:
        super().__init__(message)
        self.outdated = outdated


class VanishedError(ConflictError):
    """The file was deleted by someone else after it was read.

    A conflict like any other, except for a delete, whose goal is then already reached.
    """


class RegistryStore(ABC):
    """Read a file with its version; write or delete it only if that version still holds."""

    @property
    @abstractmethod
    def description(self) -> str:
        """Where the registry lives, for messages (``org/plugin-registry@main``, a folder)."""

    @abstractmethod
    def read(self, path: str) -> StoredFile | None:
        """Return the file at ``path``, or None when there is none."""

    def read_at(self, path: str, commit: str | None) -> StoredFile | None:
        """The file as of ``commit``, exactly: never a lagging replica's older version.

        Stores without commits, whose reads never lag, read the current file.
        """
        return self.read(path)

    def head(self) -> str | None:
        """The commit the branch is at now, where the store has commits; None otherwise."""
        return None

    @abstractmethod
    def list_dir(self, path: str) -> list[str]:
        """Return the paths of the files directly inside the folder ``path`` (empty if none)."""

    def read_folder(self, path: str) -> dict[str, StoredFile]:
        """Every file directly inside the folder ``path``, by path (a store may read in bulk)."""
        found = (self.read(child) for child in self.list_dir(path))
        # A file deleted since the listing is simply gone.
        return {stored.path: stored for stored in found if stored is not None}

    @property
    def notices(self) -> tuple[str, ...]:
        """Warnings about where the registry is (such as a renamed repository)."""
        return ()

    @abstractmethod
    def write(self, path: str, content: bytes, expected: str | None, message: str) -> WriteResult:
        """Create or replace ``path``.

        ``expected`` is the version the caller read, or None when it found no file. Raises
        ConflictError when the file's current version is not ``expected``.
        """

    @abstractmethod
    def delete(self, path: str, expected: str, message: str) -> WriteResult:
        """Delete ``path`` if its version is still ``expected``; ConflictError otherwise."""

    def last_changed(self, path: str) -> datetime | None:
        """When the commit that last changed ``path`` was made; None when the store cannot tell.

        Only the one-run conversion asks, to date manifests whose stamp names no moment. A
        store that keeps no history, or whose history is costly to read, answers None.
        """
        return None
