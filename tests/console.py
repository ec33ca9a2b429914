"""Run the installed console script as a subprocess, as the container or a terminal does."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# The console script installed next to the interpreter running the tests.
SCRIPT = str(Path(sys.executable).with_name("registry-action"))
_OUTPUT = re.compile(
    r"^(?P<name>[^\n<]+)<<(?P<delim>\S+)\n(?P<value>.*?)\n(?P=delim)\n", re.S | re.M
)


@dataclass(frozen=True)
class Run:
    """What a user sees of one run."""

    status: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str

    def lines(self, prefix: str) -> list[str]:
        """The stdout lines that start with ``prefix`` (``::error``, ``::warning``...)."""
        return [line for line in self.stdout.splitlines() if line.startswith(prefix)]


def run_console(
    args: Sequence[str], env: Mapping[str, str], tmp: Path, *, cwd: Path | None = None
) -> Run:
    """Run ``registry-action args`` with exactly ``env`` (plus PATH), in a fresh output folder."""
    tmp.mkdir(parents=True, exist_ok=True)
    output, summary = tmp / "output.txt", tmp / "summary.md"
    output.write_text(""), summary.write_text("")
    full = {"PATH": os.environ.get("PATH", ""), **env}
    full.setdefault("GITHUB_OUTPUT", str(output))
    full.setdefault("GITHUB_STEP_SUMMARY", str(summary))
    done = subprocess.run(
        [SCRIPT, *args], env=full, cwd=cwd or tmp, capture_output=True, text=True, timeout=120
    )
    found = {m["name"]: m["value"] for m in _OUTPUT.finditer(output.read_text())}
    return Run(done.returncode, done.stdout, done.stderr, found, summary.read_text())
