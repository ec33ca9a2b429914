"""A registry folder in a git checkout whose every write is a commit, as on GitHub.

Part of the store layer: a LocalStore that also commits each write (only the files written,
whatever else is staged), so that ``manifest-urls: commit`` can name the commit that wrote a
manifest in a folder too. Reads at a commit come from git; ``last_commits`` from ``git log``.
The commits are the checkout's: they name the registry's files on GitHub once pushed as they
are (a rebase or a squash gives them other shas).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from registry_action.core.escaping import printable
from registry_action.errors import InputError, RegistryActionError
from registry_action.store.interface import (
    ConflictError,
    FileWrite,
    StoredFile,
    VanishedError,
    WriteResult,
    blob_sha,
)
from registry_action.store.local import LocalStore

_SECONDS = 60
# What a registry holds; other files of the checkout are not its concern.
REGISTRY_FILES = ("registry.json", "plugins", "maps")


class GitError(RegistryActionError):
    """git refused what the store asked of it."""

    title = "git failed"


def git_checkout(folder: Path) -> bool:
    """Whether ``folder`` is inside a git work tree."""
    git = shutil.which("git")
    if git is None or not folder.is_dir():
        return False
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [git, "rev-parse", "--is-inside-work-tree"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=_SECONDS,
        check=False,
    )
    return done.returncode == 0 and done.stdout.strip() == "true"


class GitFolder(LocalStore):
    """A registry folder in a git checkout; each write, delete and commit is a git commit."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, create=False)
        self._committed = False

    @property
    def notices(self) -> tuple[str, ...]:
        if not self._committed:
            return ()
        return (
            f"the index names commits made in {self.root}: push them as they are (a rebase or "
            "a squash gives them other shas, which the raw-file URLs would not find)",
        )

    def _git_checked(self, *args: str, stdin: bytes | None = None) -> bytes:
        git = shutil.which("git") or "git"
        done = subprocess.run(  # noqa: S603 - fixed arguments, paths after "--"
            [git, *args],
            cwd=self.root,
            input=stdin,
            capture_output=True,
            timeout=_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            said = " ".join(done.stderr.decode("utf-8", "replace").split()) or "no message"
            raise GitError(f"git {args[0]} failed in {self.root}: {printable(said)}")
        return done.stdout

    def head(self) -> str | None:
        return self._git_checked("rev-parse", "HEAD").decode().strip() if self._born() else None

    def _born(self) -> bool:
        """Whether the checkout's branch has a commit yet."""
        git = shutil.which("git") or "git"
        done = subprocess.run(  # noqa: S603 - fixed arguments
            [git, "rev-parse", "--verify", "--quiet", "HEAD"],
            cwd=self.root,
            capture_output=True,
            timeout=_SECONDS,
            check=False,
        )
        return done.returncode == 0

    def read_at(self, path: str, commit: str | None) -> StoredFile | None:
        if commit is None:
            return self.read(path)
        self._file(path)  # refuses a path outside the folder
        listed = self._git_checked("ls-tree", "-z", commit, "--", path).split(b"\0")[0]
        if not listed:
            return None
        content = self._git_checked("cat-file", "blob", listed.split()[2].decode())
        return StoredFile(path, content, blob_sha(content))

    def write(
        self,
        path: str,
        content: bytes,
        expected: str | None,
        message: str,
        *,
        retry_limits: bool = True,
    ) -> WriteResult:
        with self._locked():
            self._check(path, expected)
            self._replace(self._file(path), self._stage(self._file(path), content))
            sha, parent = self._commit_paths([path], message)
        return WriteResult(path, blob_sha(content), sha, None, parent)

    def delete(self, path: str, expected: str, message: str) -> WriteResult:
        with self._locked():
            if self.read(path) is None:
                raise VanishedError(f"{path} was deleted since it was read")
            self._check(path, expected)
            self._file(path).unlink()
            sha, parent = self._commit_paths([path], message)
        return WriteResult(path, None, sha, None, parent)

    def commit(
        self, changes: Sequence[FileWrite], expected_head: str | None, message: str
    ) -> list[WriteResult]:
        if expected_head is not None and self.head() != expected_head:
            raise ConflictError(f"{self.root} moved on from {expected_head[:7]}", outdated=False)
        written = super().commit(changes, expected_head, message)
        sha, parent = self._commit_paths([change.path for change in changes], message)
        return [WriteResult(w.path, w.version, sha, None, parent) for w in written]

    def _commit_paths(self, paths: list[str], message: str) -> tuple[str, str | None]:
        """Commit exactly ``paths`` as they are in the folder; the commit and its parent."""
        parent = self.head()
        self._git_checked("add", "--all", "--", *paths)
        self._git_checked("commit", "--quiet", "--only", "--no-verify", "-m", message, "--", *paths)
        self._committed = True
        return str(self.head()), parent

    def uncommitted(self) -> list[str]:
        """The registry's files in the folder whose changes no commit holds yet."""
        if not self._born():
            return sorted(
                self.list_dir("plugins") + [p for p in ("registry.json",) if self.read(p)]
            )
        prefix = self._git_checked("rev-parse", "--show-prefix").decode().strip()
        listed = self._git_checked(
            "status", "--porcelain", "-z", "--untracked-files=all", "--", *REGISTRY_FILES
        )
        return sorted(
            entry[3:].decode().removeprefix(prefix) for entry in listed.split(b"\0") if entry[3:]
        )

    def last_commits(self, paths: Sequence[str], at: str | None = None) -> dict[str, str | None]:
        """From one ``git log`` of the paths; None for a file changed since its last commit."""
        found: dict[str, str | None] = dict.fromkeys(paths)
        if not paths or not self._born():
            return found
        changed = self._git_checked(
            "status", "--porcelain", "-z", "--untracked-files=all", "--", *paths
        )
        dirty = {entry[3:].decode() for entry in changed.split(b"\0") if entry[3:]}
        log = self._git_checked(
            "log", "--relative", "--format=%x00%H", "--name-only", at or "HEAD", "--", *paths
        )
        commit = ""
        for line in log.decode("utf-8", "replace").split("\n"):
            if line.startswith("\0"):
                commit = line[1:]
            elif line in found and found[line] is None and commit:
                found[line] = commit
        prefix = self._git_checked("rev-parse", "--show-prefix").decode().strip()
        for path in paths:
            if f"{prefix}{path}" in dirty:
                found[path] = None  # git status names paths from the top of the work tree
        return found


def open_git_folder(folder: Path, why: str) -> GitFolder:
    """The folder as a GitFolder; InputError saying ``why`` when it is no git checkout, or
    when the registry's files in it have changes no commit holds."""
    if not git_checkout(folder):
        raise InputError(f"{why}, and {folder} is not a git checkout, so its writes make none")
    store = GitFolder(folder)
    changed = store.uncommitted()
    if changed:
        shown = ", ".join(changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        )
        raise InputError(
            f"{why}, and {shown} in {folder} {'has' if len(changed) == 1 else 'have'} changes no "
            "commit holds: commit or discard them first"
        )
    return store
