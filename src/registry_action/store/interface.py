"""The ports the engine works on: a registry store, and the host of pull-request mode.

A store holds files addressed by a slash-separated path relative to the registry root.
Every file comes with an opaque version token (the git blob sha of its content, on GitHub and
on a local folder alike); writes and deletes happen only if the caller's token still holds,
which is what makes concurrent registrations safe.

A protected registry branch cannot be written directly; in pull-request mode a change is made
on a branch of its own and proposed as a pull request into the registry branch.
"""

from __future__ import annotations

import hashlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
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


def blob_sha(content: bytes) -> str:
    """The git blob sha of ``content`` (what GitHub reports as a file's ``sha``)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


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


@dataclass(frozen=True)
class FileWrite:
    """One file of a commit: what it becomes (None deletes it) and the version it was read at."""

    path: str
    content: bytes | None
    expected: str | None  # None: there was no file


@dataclass(frozen=True)
class Revision:
    """A file as one commit of its history left it."""

    commit: str
    date: datetime  # when the commit was made (its committer date)
    message: str
    content: bytes | None  # None: the commit deleted the file


@dataclass(frozen=True)
class Snapshot:
    """Files of one commit of the branch, read together: exactly as of ``head``."""

    head: str | None  # None on a store without commits
    files: Mapping[str, StoredFile | None]  # each path asked for; None when there is no file
    folder: Mapping[str, str]  # the version of each file directly inside the folder, by path
    # Manifests parked on branches of their own (``RegistryStore.park``): the commit of each,
    # by the path it is for. A store that parks nothing has none.
    parked: Mapping[str, str] = field(default_factory=dict)
    # False when ``parked`` is only the first of them (a store lists so many at once).
    parked_all: bool = True
    # The commit that last changed each path asked for (``snapshot``'s ``last_commit_of``).
    last_commits: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Parked:
    """A parked manifest (``RegistryStore.park``) as its commit holds it: ``content`` at
    ``path`` (None: the commit has no such file), ``base``, the version the file had in the
    commit it was parked on (None: there was no file), and the commit's message."""

    path: str
    commit: str
    content: bytes | None
    base: str | None
    message: str = ""


@dataclass(frozen=True)
class CommitLimit:
    """How much one commit of a store may carry: files, and bytes of their content."""

    files: int
    size: int


class ConflictError(RegistryActionError):
    """The file changed since it was read: re-read, re-merge and try again.

    ``outdated`` is False when the refusal does not say the file's version is gone (the branch
    moved under the write because of another file): the same version may be read again.
    """

    def __init__(self, message: str, *, outdated: bool = True) -> None:
        super().__init__(message)
        self.outdated = outdated
        # Seconds after which a retry is worth making, when the refusal tells (see
        # engine/retry.py); None: the usual backoff.
        self.pause: float | None = None
        # Seconds the retry must wait at least (a rate limit's wait); None: no such wait.
        self.least: float | None = None


class NoHistoryError(RegistryActionError):
    """The store keeps no history of its files (a folder that is not a git checkout)."""

    title = "No history to read"


class VanishedError(ConflictError):
    """The file was deleted by someone else after it was read.

    A conflict like any other, except for a delete, whose goal is then already reached.
    """


class RegistryStore(ABC):
    """Read a file with its version; write or delete it only if that version still holds.

    ``commit`` changes many files at once: a store with commits makes one of them.
    """

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

    def read_folder_at(self, path: str, commit: str | None) -> dict[str, StoredFile]:
        """Every file of the folder as of ``commit``, exactly (a store without commits: now)."""
        return self.read_folder(path)

    def snapshot(
        self, paths: Sequence[str], folder: str, last_commit_of: Sequence[str] = ()
    ) -> Snapshot:
        """The branch's head and, exactly as of it, ``paths``, the versions of the files
        directly inside ``folder``, and the commit that last changed each of
        ``last_commit_of`` (``last_commits``). A store may read them in one request; this
        reads each."""
        head = self.head()
        files = {path: self.read_at(path, head) for path in paths}
        inside = self.read_folder_at(folder, head)
        versions = {path: stored.version for path, stored in inside.items()}
        last = self.last_commits(list(last_commit_of), head) if last_commit_of else {}
        return Snapshot(head, files, versions, last_commits=last)

    def read_versions(self, versions: Mapping[str, str]) -> dict[str, StoredFile]:
        """The files at the versions given (by path); a file no longer at its version is left
        out. A version names its content (a git blob sha), so a store may read it exactly."""
        found = (self.read(path) for path in versions)
        return {f.path: f for f in found if f is not None and f.version == versions[f.path]}

    @property
    def notices(self) -> tuple[str, ...]:
        """Warnings about where the registry is (such as a renamed repository)."""
        return ()

    @abstractmethod
    def write(
        self,
        path: str,
        content: bytes,
        expected: str | None,
        message: str,
        *,
        retry_limits: bool = True,
    ) -> WriteResult:
        """Create or replace ``path``.

        ``expected`` is the version the caller read, or None when it found no file. Raises
        ConflictError when the file's current version is not ``expected``. With
        ``retry_limits`` False, a write a rate limit refuses is not made again after the wait:
        ConflictError, whose ``least`` is the wait, lets the caller read again first.
        """

    def pace(self) -> None:
        """Wait as the store's limits ask before reading for a write that a wait between the
        read and the write would make stale (``write`` with ``retry_limits`` False). A store
        without such limits waits nothing."""
        return None

    @abstractmethod
    def delete(self, path: str, expected: str, message: str) -> WriteResult:
        """Delete ``path`` if its version is still ``expected``; ConflictError otherwise."""

    @abstractmethod
    def commit(
        self, changes: Sequence[FileWrite], expected_head: str | None, message: str
    ) -> list[WriteResult]:
        """Write and delete every file of ``changes`` in one commit, or none of them.

        ``expected_head`` is what ``head()`` returned before the caller read the files: the
        commit every ``expected`` version holds at (None on a store without commits). Raises
        ConflictError when the branch has moved since, or a file's version no longer holds.
        ``changes`` must change something (a store never makes an empty commit); the results
        come in their order.
        """

    def park(self, path: str, content: bytes, head: str, message: str) -> str | None:
        """Put ``content`` at ``path`` in a commit on ``head``, on a branch of its own rather
        than the registry's, for a run that commits the parked manifests together with the
        index (``Snapshot.parked`` lists them). Returns that commit; None when the store parks
        nothing, or it could not park this one (another run holds the branch, or the
        repository forbids creating it): the caller writes as it would have.
        """
        return None

    def read_parked(self, parked: Mapping[str, str]) -> list[Parked]:
        """The manifests at the commits ``parked`` names, by path (``Snapshot.parked``)."""
        return []

    def unpark(self, parked: Mapping[str, str]) -> None:
        """Remove the parked branches of ``parked`` (commits by path) that still point at those
        commits; one parked again meanwhile is kept."""
        return None

    @property
    def commit_limit(self) -> CommitLimit | None:
        """The most one ``commit`` may carry; None when a commit of any size is fine."""
        return None

    def last_commits(self, paths: Sequence[str], at: str | None = None) -> dict[str, str | None]:
        """The commit that wrote each file as it is: the newest, up to ``at`` (a commit; None:
        the branch's head), that changed it.

        None for a file that no commit holds as it is (missing, never committed, or in a
        checkout, changed since), and for every file of a store that keeps no commits.
        """
        return dict.fromkeys(paths)

    def last_changed(self, path: str) -> datetime | None:
        """When the commit that last changed ``path`` was made; None when the store cannot tell.

        Only the one-run conversion asks, to date manifests whose stamp names no moment. A
        store that keeps no history, or whose history is costly to read, answers None.
        """
        return None

    def history(self, path: str, commit: str | None = None) -> Iterator[Revision]:
        """Every commit that changed ``path``, newest first, with the file as each left it.

        From ``commit`` (what ``head()`` returned), else from the branch's head. Read lazily:
        a caller that stops early spends no more requests. A store that keeps no history
        raises NoHistoryError.
        """
        raise NoHistoryError(f"{self.description} keeps no history: there are no earlier versions")


@dataclass(frozen=True)
class PullRequest:
    """An open pull request, as the action's outputs report it."""

    number: int
    url: str


class ProposalHost(ABC):
    """Branches and pull requests into one base branch of a repository."""

    @property
    @abstractmethod
    def base(self) -> str:
        """The branch pull requests go into (the registry branch)."""

    @abstractmethod
    def files_on(self, branch: str) -> RegistryStore:
        """The files of ``branch``, read and written as any registry store."""

    @abstractmethod
    def find_open_pull(self, head: str) -> PullRequest | None:
        """The open pull request from ``head`` into the base branch, if there is one."""

    @abstractmethod
    def start_branch(self, name: str) -> None:
        """Point ``name`` at the base branch's head, creating the branch if it is missing."""

    @abstractmethod
    def create_pull(self, head: str, title: str, body: str) -> PullRequest:
        """Open a pull request from ``head``; ConflictError if one was opened meanwhile."""

    @abstractmethod
    def update_pull(self, number: int, title: str, body: str) -> PullRequest:
        """Replace the title and description of pull request ``number``."""
