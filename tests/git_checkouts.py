"""Registry folders that are git checkouts, for the tests of the folder store's commits and
history: git run in a folder, and a new checkout whose own commits have an author."""

from __future__ import annotations

import subprocess
from pathlib import Path

# Given to every command, so that a test's own commits need no configuration.
_IDENTITY = ("-c", "user.name=Registry Test", "-c", "user.email=registry@example.invalid")


def git(folder: Path, *args: str) -> str:
    """``git args`` in ``folder``; its standard output, stripped."""
    done = subprocess.run(
        ["git", "-C", str(folder), *_IDENTITY, *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def new_checkout(folder: Path) -> Path:
    """``folder`` made a checkout on ``main`` whose configuration names an author, so that the
    program's own commits in it have one; returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "config", "user.name", "Registry Test")
    git(folder, "config", "user.email", "registry@example.invalid")
    return folder
