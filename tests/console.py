"""Run the installed console script on a local registry folder, as a terminal user does."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness import Run, console_script, parse_outputs


def run_console(args: Sequence[str], env: Mapping[str, str], tmp: Path) -> Run:
    """Run ``registry-action args`` with exactly ``env`` (plus PATH) in a fresh folder ``tmp``."""
    tmp.mkdir(parents=True, exist_ok=True)
    output, summary = tmp / "output.txt", tmp / "summary.md"
    output.write_text("")
    summary.write_text("")
    full = {"PATH": os.environ.get("PATH", ""), **env}
    full.setdefault("GITHUB_OUTPUT", str(output))
    full.setdefault("GITHUB_STEP_SUMMARY", str(summary))
    done = subprocess.run(
        [console_script(), *args],
        env=full,
        cwd=tmp,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    outputs = parse_outputs(output.read_text())
    return Run(done.returncode, done.stdout, done.stderr, outputs, summary.read_text())


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
