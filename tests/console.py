"""Run the console script on a terminal, as a user does: mostly on a local registry folder."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness import Run, run, run_process


def terminal(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, process: bool = False
) -> Run:
    """``registry-action args`` as typed in ``cwd``: only PATH, HOME and ``env`` are set.

    With ``process`` it is the installed script in a process of its own.
    """
    full = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), **(env or {})}
    return run_process(full, args, cwd) if process else run(args, full, cwd)


def run_console(args: Sequence[str], env: Mapping[str, str], tmp: Path) -> Run:
    """Run ``registry-action args`` with exactly ``env`` (plus PATH) in a fresh folder ``tmp``."""
    tmp.mkdir(parents=True, exist_ok=True)
    output, summary = tmp / "output.txt", tmp / "summary.md"
    output.write_text("")
    summary.write_text("")
    full = {"PATH": os.environ.get("PATH", ""), **env}
    full.setdefault("GITHUB_OUTPUT", str(output))
    full.setdefault("GITHUB_STEP_SUMMARY", str(summary))
    return run(args, full, cwd=tmp)


def seed(folder: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` (path: bytes) into ``folder``, making folders as needed."""
    for path, content in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(content)


def validate_checkout(workspace: Path, tmp: Path) -> Run:
    """Run ``validate`` in Actions on the registry checked out in ``workspace``."""
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "INPUT_COMMAND": "validate",
        "INPUT_REGISTRY-REPOSITORY": "",
        "INPUT_TOKEN": "",
    }
    return run_console([], env, tmp)
