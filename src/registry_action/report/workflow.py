"""The GitHub Actions side: workflow commands, outputs, the job summary, masking.

On a runner (``GITHUB_ACTIONS=true``) messages are workflow commands (``::error::`` and
friends, escaped as the runner expects); on a terminal they are plain lines on stderr.
"""

from __future__ import annotations

import re
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from registry_action.errors import RunnerFileError


def escape_data(text: str) -> str:
    """Escape a workflow command's message (the runner's ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (the runner's ``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


# Lines the runner reads as workflow commands: "::name::" and the older "##[name]" form,
# after leading white space. Line breaks are whatever .NET's ReadLine splits on.
_COMMAND_LIKE = re.compile(r"^\s*(?:::|##\[)")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Text shorter than this is not scrubbed: no GitHub token is that short, and replacing a word
# ("wrong", a brace of a multi-line secret) would garble every message that holds it.
_SHORTEST_SECRET = 8
_WORD = "A-Za-z0-9_"


def _whole(secret: str) -> str:
    """A pattern of ``secret`` not glued to more word characters (a whole token, not a part)."""
    # A line break written as an escape (``\n`` in a quoted header value) is a boundary too.
    before = f"(?:(?<![{_WORD}])|(?<=\\\\[nrt]))" if re.match(f"[{_WORD}]", secret) else ""
    after = f"(?![{_WORD}])" if re.match(f"[{_WORD}]", secret[-1]) else ""
    return f"{before}{re.escape(secret)}{after}"


@dataclass
class Reporter:
    """Where messages go: annotations on a runner, plain lines on a terminal.

    Every message is scrubbed of the secrets given to ``mask``, whatever a server echoed.
    """

    in_actions: bool
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    secrets: list[str] = field(default_factory=list)
    quiet: bool = False  # only warnings and errors
    _pattern: re.Pattern[str] | None = field(default=None, repr=False)

    def mask(self, secret: str) -> None:
        """Ask the runner to hide ``secret`` in every log line that follows; scrub it here."""
        lines = [line.strip() for line in secret.splitlines() or [secret]]
        for piece in {secret.strip(), *lines}:
            if len(piece) >= _SHORTEST_SECRET and piece not in self.secrets:
                self.secrets.append(piece)
        self.secrets.sort(key=len, reverse=True)
        if self.secrets:
            self._pattern = re.compile("|".join(_whole(piece) for piece in self.secrets))
        if self.in_actions and secret:
            for line in lines:
                if line:
                    print(f"::add-mask::{escape_data(line)}", file=self.out, flush=True)

    def scrub(self, text: str) -> str:
        """``text`` with every whole occurrence of a secret replaced by ``***``."""
        return self._pattern.sub("***", text) if self._pattern else text

    def info(self, message: str) -> None:
        if self.quiet:
            return
        message = self.scrub(message)
        if not self.in_actions:
            print(message, file=self.out, flush=True)
            return
        for line in _LINE_BREAK.split(message):
            if _COMMAND_LIKE.match(line):
                # Text from outside that reads like a command is printed with commands off.
                fence = secrets.token_hex(16)
                print(f"::stop-commands::{fence}\n{line}\n::{fence}::", file=self.out, flush=True)
            else:
                print(line, file=self.out, flush=True)

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
        message = self.scrub(message)
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
    try:
        with path.open("a", encoding="utf-8") as stream:
            for name, value in outputs.items():
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
                stream.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    except OSError as exc:
        raise RunnerFileError(
            f"cannot write the outputs to GITHUB_OUTPUT {path}: {_why(exc)}"
        ) from None


# GitHub refuses a step's summary over 1 MiB (and shows none of it); the margin keeps the note.
SUMMARY_LIMIT_BYTES = 1024 * 1024 - 1024


def write_summary(path: Path | None, markdown: str) -> None:
    """Append Markdown to the job summary (``GITHUB_STEP_SUMMARY``), cut to fit GitHub's limit."""
    if path is None:
        return
    try:
        with path.open("a", encoding="utf-8") as stream:
            room = SUMMARY_LIMIT_BYTES - stream.tell()
            text = markdown if markdown.endswith("\n") else markdown + "\n"
            stream.write(fit_summary(text, room))
    except OSError as exc:
        raise RunnerFileError(
            f"cannot write the job summary to GITHUB_STEP_SUMMARY {path}: {_why(exc)}"
        ) from None


def fit_summary(markdown: str, room: int) -> str:
    """``markdown`` if it fits in ``room`` bytes, else its first lines and a note of the cut."""
    data = markdown.encode("utf-8")
    if len(data) <= room:
        return markdown
    note_room = 300
    kept = data[: max(0, room - note_room)].decode("utf-8", "ignore")
    kept = kept[: kept.rfind("\n") + 1]
    cut = len(data) - len(kept.encode("utf-8"))
    fences = [line for line in kept.splitlines() if line.startswith("```")]
    closing = fences[-1].rstrip("abcdefghijklmnopqrstuvwxyz") + "\n" if len(fences) % 2 else ""
    return (
        f"{kept}{closing}\n> [!NOTE]\n> The summary was cut here: {cut:,} more bytes would pass "
        "GitHub's 1 MiB limit for a step summary. The job log has all of it.\n"
    )


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
