"""Text from outside (servers, files, documents) made safe to print.

For the log, control characters are shown as escapes, so a server's reason phrase cannot end
a line and start a workflow command. For the job summary, Markdown and HTML are escaped, so a
``|``, a backtick, a newline or a ``<`` in a file name cannot break a table or inject markup.
"""

from __future__ import annotations

import html
import re

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MARKDOWN = re.compile(r"([\\`*_\[\]|~#!])")
_CODE_SAFE = re.compile(r"[^`|<>&\x00-\x1f\x7f-\x9f\u2028\u2029]*")


def printable(text: str) -> str:
    """``text`` on one line, each control character written as an escape (``\\r``, ``\\x1b``)."""
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], text)


def markdown_text(text: str) -> str:
    """``text`` as literal Markdown prose or table-cell content, on one line."""
    flat = html.escape(printable(text), quote=False)
    return _MARKDOWN.sub(r"\\\1", flat)


def markdown_code(text: str) -> str:
    """``text`` as inline code: a plain code span, or ``<code>`` when it holds special text."""
    if _CODE_SAFE.fullmatch(text):
        return f"`{text}`"
    escaped = html.escape(printable(text), quote=False).replace("|", "&#124;")
    return f"<code>{escaped.replace('`', '&#96;')}</code>"


def code_fence(body: str, info: str = "") -> str:
    """``body`` in a fenced block whose fence no line of it can close (CommonMark)."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"
