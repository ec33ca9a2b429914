"""A registry in a folder on disk: the CLI's store, and the test double of the GitHub store.

Versions are git blob shas of the content, as on GitHub. A write checks the version and
replaces the file atomically (temporary file, fsync, rename) while holding an exclusive lock
on the folder, so two local runs never interleave a read-check-write.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from registry_action.errors import InputError
from registry_action.store.interface import (
    ConflictError,
    RegistryStore,
    StoredFile,
    VanishedError,
    WriteResult,
    blob_sha,
)


class LocalStore(RegistryStore):
    """A registry kept in ``root`` on the local file system."""

    def __init__(self, root: Path, *, create: bool = True) -> None:
        if root.exists() and not root.is_dir():
            raise InputError(f"the registry folder {root} is not a folder")
        if not root.exists() and not create:
            raise InputError(f"the registry folder {root} does not exist")
        self.root = root
        # A missing folder is made by the first write, so a run that fails first leaves none.
        self._created = False

    @property
    def notices(self) -> tuple[str, ...]:
        if not self._created:
            return ()
        return (f"created the registry folder {self.root}, which did not exist: a new registry",)

    @property
    def description(self) -> str:
        return str(self.root)

    def _file(self, path: str) -> Path:
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise InputError(f"{path} is outside the registry folder")
        return target

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        descriptor = os.open(self.root, os.O_RDONLY)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # closing releases the lock

    def read(self, path: str) -> StoredFile | None:
        try:
            content = self._file(path).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except IsADirectoryError:
            raise InputError(f"{path} in {self.root} is a folder, not a file") from None
        return StoredFile(path, content, blob_sha(content))

    def list_dir(self, path: str) -> list[str]:
        folder = self._file(path)
        if not folder.is_dir():
            return []
        return sorted(f"{path}/{entry.name}" for entry in folder.iterdir() if entry.is_file())

    def _check(self, path: str, expected: str | None) -> None:
        current = self.read(path)
        version = current.version if current else None
        if version != expected:
            raise ConflictError(f"{path} changed since it was read")

    def write(self, path: str, content: bytes, expected: str | None, message: str) -> WriteResult:
        target = self._file(path)
        if not self.root.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            self._created = True
        with self._locked():
            self._check(path, expected)
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(content)
                    stream.flush()
                    os.fsync(stream.fileno())
                os.chmod(temporary, 0o644)  # mkstemp makes 0600; a registry is meant to be read
                os.replace(temporary, target)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
                raise
        return WriteResult(path, blob_sha(content), None)

    def delete(self, path: str, expected: str, message: str) -> WriteResult:
        with self._locked():
            if self.read(path) is None:
                raise VanishedError(f"{path} was deleted since it was read")
            self._check(path, expected)
            self._file(path).unlink()
        return WriteResult(path, None, None)

    def last_changed(self, path: str) -> datetime | None:
        """The committer date of the last commit that changed ``path``, in a git checkout."""
        git = shutil.which("git")
        if git is None:
            return None
        try:
            done = subprocess.run(  # noqa: S603 - fixed arguments, the path after "--"
                [git, "log", "-1", "--format=%cI", "--", str(self._file(path))],
                cwd=self.root,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        # Outside a checkout, or a file never committed, git says nothing on stdout.
        try:
            return datetime.fromisoformat(done.stdout.strip()) if done.returncode == 0 else None
        except ValueError:
            return None
