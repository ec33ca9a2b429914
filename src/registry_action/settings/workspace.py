"""Reading files named by inputs: regular files only, of bounded size, inside the workspace.

A workflow's inputs can come from a pull request's author, so a file input must not reach
outside the checked-out workspace (``../``, an absolute path, a symlink), wait forever (a FIFO)
or read without end (``/dev/zero``).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from registry_action.errors import InputError

# A manifest template or a package.json is a few kilobytes; an event payload some hundreds.
MAX_FILE_BYTES = 10 * 1024 * 1024


def read_file(path: Path, what: str, *, within: Path | None = None) -> bytes:
    """The bytes of ``path``; InputError naming ``what`` for anything but a small regular file.

    With ``within``, the file (its symlinks resolved) must lie inside that folder.
    FileNotFoundError is left to the caller, for whom a missing file may be no error.
    """
    if within is not None:
        _confine(path, what, within)
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise InputError(f"{what}: cannot read {path}: {_reason(exc)}") from None
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        raise InputError(f"{what}: {path} is not a regular file")
    with os.fdopen(handle, "rb") as stream:
        data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{what}: {path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    return data


def _confine(path: Path, what: str, within: Path) -> None:
    root = within.resolve()
    try:
        real = path.resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop on older Pythons
        raise InputError(f"{what}: cannot read {path}: {exc}") from None
    if not real.is_relative_to(root):
        raise InputError(
            f"{what}: {path} is outside the workspace {root}; name a file inside the "
            "repository's checkout"
        )


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "too many levels of symbolic links"
    return exc.strerror or str(exc)


def decode(data: bytes, path: Path, what: str) -> str:
    """UTF-8 text of a file's bytes; InputError naming ``what`` and the byte at fault."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what}: {path} is not UTF-8 text (byte {exc.start})") from None
