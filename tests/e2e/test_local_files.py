"""A registry folder whose files are not what they seem: refused in one line, never a hang.

A named pipe waits forever for a writer, a symbolic link can loop or lead nowhere, a file can
sit where a folder belongs, a name can be bytes that are not UTF-8. None of it is read or
written past; each is named, and the folder is left as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from console import seed, terminal, validate_checkout
from registry_files import manifest, registry_files

REGISTER = ("register", "--registry-dir", "registry", "--manifest-base-url", "https://r.example")
PLUGIN = ("--plugin-id", "calendar", "--version", "1.4.3")


def seeded(tmp_path: Path) -> Path:
    folder = tmp_path / "registry"
    seed(folder, registry_files(manifest("calendar")))
    return folder


def fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def loop(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.name)


def dangling(path: Path) -> None:
    path.unlink()
    path.symlink_to("gone.json")


def file_for_folder(path: Path) -> None:
    for child in path.iterdir():
        child.unlink()
    path.rmdir()
    path.write_text("not a folder")


CASES = [
    ("registry.json", fifo, "registry.json in registry is a named pipe (FIFO), not a file"),
    (
        "plugins/calendar.json",
        fifo,
        "plugins/calendar.json in registry is a named pipe (FIFO), not a file",
    ),
    ("registry.json", loop, "registry.json in registry is a symbolic link that loops"),
    (
        "registry.json",
        dangling,
        "registry.json in registry is a symbolic link to gone.json, which does not exist",
    ),
    ("plugins", file_for_folder, "plugins in registry is a regular file, not a folder"),
]


def snapshot(folder: Path) -> dict[str, str]:
    """What the folder holds, symbolic links and pipes as what they are, never opened."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            found[str(path)] = f"-> {os.readlink(path)}"
        elif path.is_fifo():
            found[str(path)] = "fifo"
        elif path.is_file():
            found[str(path)] = path.read_text()
    return found


@pytest.mark.parametrize("command", ["register", "validate"])
@pytest.mark.parametrize(
    ("path", "spoil", "line"), CASES, ids=[f"{c[1].__name__}: {c[0]}" for c in CASES]
)
def test_what_is_not_a_file_or_a_folder_is_refused_in_one_line(
    tmp_path: Path, command: str, path: str, spoil: Callable[[Path], None], line: str
) -> None:
    folder = seeded(tmp_path)
    spoil(folder / path)
    before = snapshot(folder)
    args = (
        (*REGISTER, *PLUGIN)
        if command == "register"
        else ("validate", "--registry-dir", "registry")
    )
    # The harness's own timeout (60 s) would end a run that hangs on a pipe; this one ends at once.
    done = terminal(*args, cwd=tmp_path)
    assert (done.status, done.stdout, done.stderr) == (1, "", f"error: {line}\n")
    assert snapshot(folder) == before


@pytest.mark.parametrize(
    ("make", "line"),
    [
        (
            lambda p: p.symlink_to(p.name),
            "the registry folder registry is a symbolic link that loops",
        ),
        (
            lambda p: p.symlink_to("elsewhere"),
            "the registry folder registry is a symbolic link to elsewhere, which does not exist",
        ),
        (os.mkfifo, "the registry folder registry is a named pipe (FIFO), not a folder"),
    ],
    ids=["a loop", "dangling", "a pipe"],
)
def test_a_registry_folder_that_is_no_folder_is_refused(
    tmp_path: Path, make: Callable[[Path], None], line: str
) -> None:
    make(tmp_path / "registry")
    done = terminal(*REGISTER, *PLUGIN, cwd=tmp_path)
    assert (done.status, done.stdout, done.stderr) == (1, "", f"error: {line}\n")
    assert [p.name for p in tmp_path.iterdir()] == ["registry"]


def test_a_file_name_that_is_not_utf8_is_left_out_with_a_warning(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    seed(workspace, registry_files(manifest("calendar")))
    stray = os.fsencode(workspace / "plugins") + b"/caf\xe9.json"
    with open(stray, "wb") as stream:
        stream.write(b"{}")
    run = validate_checkout(workspace, tmp_path / "run")
    assert run.status == 0, run.stdout + run.stderr
    assert run.errors == []
    warnings = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert warnings == [
        f"::warning::plugins/caf\\xe9.json in {workspace} is left out: its name is not UTF-8, "
        "so no URL or registry entry can name it; rename it"
    ]
    assert "no problems found" in run.summary
    assert "Traceback" not in run.stderr
