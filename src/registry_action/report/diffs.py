"""Unified diffs of the files a run changes (or, in a dry run, would change)."""

from __future__ import annotations

import difflib

from registry_action.core.escaping import code_fence
from registry_action.engine.outcome import FileChange

# A job summary holds at most 1 MiB; a diff of a huge registry is cut rather than lost whole.
SUMMARY_DIFF_LINES = 400
SUMMARY_LINE_CHARACTERS = 1000


def unified_diff(change: FileChange) -> str:
    """The change as a unified diff; a created or deleted file is diffed against /dev/null."""
    before = _lines(change.before)
    after = _lines(change.after)
    lines = difflib.unified_diff(
        before,
        after,
        fromfile=f"a/{change.path}" if change.before is not None else "/dev/null",
        tofile=f"b/{change.path}" if change.after is not None else "/dev/null",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _lines(content: bytes | None) -> list[str]:
    if content is None:
        return []
    text = content.decode("utf-8", "replace")
    return text.splitlines(keepends=True)


def markdown_diff(
    change: FileChange, limit: int = SUMMARY_DIFF_LINES, width: int = SUMMARY_LINE_CHARACTERS
) -> str:
    """The diff as a fenced ``diff`` block for the job summary, cut after ``limit`` lines.

    A line longer than ``width`` characters (one huge field) is cut too.
    """
    lines = unified_diff(change).splitlines()
    shown = [_clip(line, width) for line in lines[:limit]]
    cut = len(lines) - len(shown)
    clipped = sum(len(line) > width for line in lines[:limit])
    notes = []
    if cut:
        notes.append(f"{cut} more lines not shown")
    if clipped:
        notes.append(f"{clipped} long lines cut at {width} characters")
    note = f"\n\n({'; '.join(notes)}; the log has the whole diff)" if notes else ""
    # A damaged file being replaced may hold backticks: the fence is longer than any of them.
    return code_fence("\n".join(shown), "diff") + note


def _clip(line: str, width: int) -> str:
    return line if len(line) <= width else line[:width] + " …"
