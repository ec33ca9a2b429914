"""Unified diffs of the files a run changes (or, in a dry run, would change)."""

from __future__ import annotations

import difflib

from registry_action.publish import FileChange

# A job summary holds at most 1 MiB; a diff of a huge registry is cut rather than lost whole.
SUMMARY_DIFF_LINES = 400


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


def markdown_diff(change: FileChange, limit: int = SUMMARY_DIFF_LINES) -> str:
    """The diff as a fenced ``diff`` block for the job summary, cut after ``limit`` lines."""
    lines = unified_diff(change).splitlines()
    shown = lines[:limit]
    cut = len(lines) - len(shown)
    note = f"\n\n({cut} more lines not shown; the log has the whole diff)" if cut else ""
    # JSON lines never start with a backtick, so the fence cannot be closed early.
    return "```diff\n" + "\n".join(shown) + f"\n```{note}"
