"""The GitHub Actions side: workflow commands, outputs, the job summary, masking.

On a runner (``GITHUB_ACTIONS=true``) messages are workflow commands (``::error::`` and
friends, escaped as the runner expects); on a terminal they are plain lines on stderr.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO


def escape_data(text: str) -> str:
    """Escape a workflow command's message (the runner's ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (the runner's ``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass
class Reporter:
    """Where messages go: annotations on a runner, plain lines on a terminal."""

    in_actions: bool
    out: TextIO = sys.stdout
    err: TextIO = sys.stderr

    def mask(self, secret: str) -> None:
        """Ask the runner to hide ``secret`` in every log line that follows."""
        if self.in_actions and secret:
            for line in secret.splitlines() or [secret]:
                if line.strip():
                    print(f"::add-mask::{escape_data(line)}", file=self.out, flush=True)

    def info(self, message: str) -> None:
        print(message, file=self.out, flush=True)

    def debug(self, message: str) -> None:
        if self.in_actions:
            print(f"::debug::{escape_data(message)}", file=self.out, flush=True)

    def warning(
        self,
        message: str,
        *,
        title: str | None = None,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        self._annotate("warning", message, title, file, line)

    def error(
        self,
        message: str,
        *,
        title: str | None = None,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        self._annotate("error", message, title, file, line)

    def _annotate(
        self, level: str, message: str, title: str | None, file: str | None, line: int | None
    ) -> None:
        if not self.in_actions:
            where = f"{file}:{line}: " if file and line else f"{file}: " if file else ""
            print(f"{level}: {where}{message}", file=self.err, flush=True)
            return
        properties = {"title": title, "file": file, "line": str(line) if line else None}
        given = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items() if v)
        print(
            f"::{level}{' ' + given if given else ''}::{escape_data(message)}",
            file=self.out,
            flush=True,
        )


def write_outputs(path: Path | None, outputs: Mapping[str, str]) -> None:
    """Append outputs to ``GITHUB_OUTPUT``, each with a random heredoc delimiter.

    The delimiter form carries multi-line values, and a random delimiter cannot be forged by
    a value that contains it.
    """
    if path is None:
        return
    with path.open("a", encoding="utf-8") as stream:
        for name, value in outputs.items():
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            stream.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def write_summary(path: Path | None, markdown: str) -> None:
    """Append Markdown to the job summary (``GITHUB_STEP_SUMMARY``)."""
    if path is None:
        return
    with path.open("a", encoding="utf-8") as stream:
        stream.write(markdown if markdown.endswith("\n") else markdown + "\n")
