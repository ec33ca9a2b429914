"""A registry in a folder on disk: the CLI's store, and the test double of the GitHub store.

Versions are git blob shas of the content, as on GitHub. A write checks the version and
replaces the file atomically (temporary file, fsync, rename) while holding an exclusive lock
on the folder, so two local runs never interleave a read-check-write.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from registry_action.core.escaping import printable
from registry_action.errors import InputError
from registry_action.store.interface import (
    ConflictError,
    FileWrite,
    NoHistoryError,
    RegistryStore,
    Revision,
    StoredFile,
    VanishedError,
    WriteResult,
    blob_sha,
)


class LocalStore(RegistryStore):
    """A registry kept in ``root`` on the local file system.

    What is not a folder or a regular file where one is expected (a named pipe, which would
    block a read forever; a symbolic link that loops or leads nowhere; a file where a folder
    belongs) is refused with one line naming it, before anything is read or written.
    """

    def __init__(self, root: Path, *, create: bool = True) -> None:
        kind = _kind(root, f"the registry folder {root}")
        if kind is None:
            if not create:
                raise InputError(f"the registry folder {root} does not exist")
        elif kind == "a regular file":
            raise InputError(f"the registry folder {root} is not a folder")
        elif kind != "a folder":
            raise InputError(f"the registry folder {root} is {kind}, not a folder")
        self.root = root
        # A missing folder is made by the first write, so a run that fails first leaves none.
        self._notices: dict[str, None] = {}  # in the order found, once each

    @property
    def description(self) -> str:
        return str(self.root)

    @property
    def notices(self) -> tuple[str, ...]:
        return tuple(self._notices)

    def _file(self, path: str, *, folder: bool = False) -> Path:
        """Where ``path`` is, once every folder on the way is one (and, with ``folder``, it)."""
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            shown = "/".join(parts[:depth])
            kind = _kind(self.root / shown, f"{shown} in {self.root}")
            if kind is None:
                break  # missing from here on: a write makes the folders
            if kind != "a folder" and (depth < len(parts) or folder):
                raise InputError(f"{shown} in {self.root} is {kind}, not a folder")
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
            # O_NONBLOCK: opening a named pipe for reading would otherwise wait for a writer.
            handle = os.open(self._file(path), os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise InputError(f"cannot read {path} in {self.root}: {exc.strerror}") from None
        kind = _what(os.fstat(handle).st_mode)
        if kind != "a regular file":
            os.close(handle)
            raise InputError(f"{path} in {self.root} is {kind}, not a file")
        with os.fdopen(handle, "rb") as stream:
            content = stream.read()
        return StoredFile(path, content, blob_sha(content))

    def list_dir(self, path: str) -> list[str]:
        folder = self._file(path, folder=True)
        if not folder.is_dir():
            return []
        found = []
        for entry in folder.iterdir():
            if entry.is_dir():
                continue  # anything else that is no regular file is refused when read
            if not _utf8(entry.name):
                shown = os.fsencode(entry.name).decode("utf-8", "backslashreplace")
                notice = (
                    f"{path}/{shown} in {self.root} is left out: its name is not UTF-8, so no "
                    "URL or registry entry can name it; rename it"
                )
                self._notices[notice] = None
                continue
            found.append(f"{path}/{entry.name}")
        return sorted(found)

    def _check(self, path: str, expected: str | None) -> None:
        current = self.read(path)
        version = current.version if current else None
        if version != expected:
            raise ConflictError(f"{path} changed since it was read")

    def write(
        self,
        path: str,
        content: bytes,
        expected: str | None,
        message: str,
        *,
        retry_limits: bool = True,
    ) -> WriteResult:
        target = self._file(path)
        self._make_root()
        with self._locked():
            self._check(path, expected)
            self._replace(target, self._stage(target, content))
        return WriteResult(path, blob_sha(content), None)

    def _make_root(self) -> None:
        if not self.root.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            notice = f"created the registry folder {self.root}, which did not exist: a new registry"
            self._notices[notice] = None

    def _stage(self, target: Path, content: bytes) -> str:
        """``content`` written and synced to a temporary file beside ``target``; its path."""
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(content)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, 0o644)  # mkstemp makes 0600; a registry is meant to be read
        except BaseException:
            _discard([temporary])
            raise
        return temporary

    def _replace(self, target: Path, temporary: str) -> None:
        try:
            os.replace(temporary, target)
        except BaseException:
            _discard([temporary])
            raise

    def commit(
        self, changes: Sequence[FileWrite], expected_head: str | None, message: str
    ) -> list[WriteResult]:
        """Every change, or none: all versions are checked and all contents staged first."""
        if not changes:
            raise ValueError("a commit needs at least one change")
        targets = [self._file(change.path) for change in changes]
        with self._locked():
            for change in changes:
                self._check(change.path, change.expected)
            staged: list[str | None] = []
            try:
                for change, target in zip(changes, targets, strict=True):
                    content = change.content
                    staged.append(None if content is None else self._stage(target, content))
            except BaseException:
                _discard([name for name in staged if name is not None])
                raise
            # Renames and unlinks only from here on, in the order given (the index last).
            for done, (target, temporary) in enumerate(zip(targets, staged, strict=True)):
                try:
                    if temporary is None:
                        target.unlink()
                    else:
                        os.replace(temporary, target)
                except BaseException:
                    _discard([name for name in staged[done:] if name is not None])
                    raise
        return [
            WriteResult(c.path, None if c.content is None else blob_sha(c.content), None)
            for c in changes
        ]

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

    def history(self, path: str, commit: str | None = None) -> Iterator[Revision]:
        """The commits of the folder's git checkout that changed ``path``, newest first.

        One ``git log`` and one ``git cat-file --batch`` read them all; what the folder holds
        but was never committed is not history. A folder outside a checkout has none.
        """
        self._file(path)  # a path outside the folder is refused before git sees it
        prefix = self._git("rev-parse", "--show-prefix")
        if prefix is None:
            raise NoHistoryError(
                f"the registry folder {self.root} is not in a git checkout: it keeps no history"
            )
        # An empty repository (no commit yet) answers with an error: no history either.
        log = self._git("log", "-z", "--format=%H%x1f%cI%x1f%B", "--", path) or b""
        commits = [entry.split(b"\x1f", 2) for entry in log.split(b"\0") if entry.strip()]
        top = prefix.decode().rstrip("\n")  # the folder's path from the checkout's top
        names = [f"{sha.decode().strip()}:{top}{path}" for sha, _, _ in commits]
        contents = self._objects(names)
        for (sha, date, message), content in zip(commits, contents, strict=True):
            moment = datetime.fromisoformat(date.decode())
            yield Revision(
                sha.decode().strip(),
                moment if moment.tzinfo else moment.replace(tzinfo=UTC),
                message.decode("utf-8", "replace"),
                content,
            )

    def _git(self, *arguments: str, given: bytes | None = None) -> bytes | None:
        """What ``git arguments`` prints in the folder, or None when it fails or is missing."""
        git = shutil.which("git")
        if git is None:
            return None
        try:
            done = subprocess.run(  # noqa: S603 - an argument list, no shell; paths after "--"
                [git, "--literal-pathspecs", *arguments],
                cwd=self.root,
                input=given,
                capture_output=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else None

    def _objects(self, names: list[str]) -> list[bytes | None]:
        """The blobs ``commit:path`` names, in order; None where the commit has no such file."""
        if not names:
            return []
        output = self._git("cat-file", "--batch", given="".join(f"{n}\n" for n in names).encode())
        if output is None:
            raise NoHistoryError(f"git could not read the history of {self.root}")
        found: list[bytes | None] = []
        at = 0
        for _ in names:
            end = output.index(b"\n", at)
            header = output[at:end].split()
            if header[-1] in (b"missing", b"ambiguous"):  # no such file at that commit
                found.append(None)
                at = end + 1
                continue
            size = int(header[2])
            content = output[end + 1 : end + 1 + size]
            found.append(content if header[1] == b"blob" else None)
            at = end + 1 + size + 1  # the content, then a line break
        return found


def _discard(temporaries: list[str]) -> None:
    for temporary in temporaries:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _utf8(name: str) -> bool:
    # A name that is not UTF-8 comes back from the file system with surrogate escapes.
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _kind(path: Path, shown: str) -> str | None:
    """What ``path`` is, symbolic links followed ("a folder"...); None when nothing is there."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError(
                f"{shown} is a symbolic link to {printable(os.readlink(path))}, which does not "
                "exist"
            ) from None
        return None
    except NotADirectoryError:
        return None  # a file on the way: the caller names it
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{shown} is a symbolic link that loops") from None
        raise InputError(f"cannot read {shown}: {exc.strerror}") from None
    return _what(mode)


def _what(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"
