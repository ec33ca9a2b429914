"""Where things are in a JSON text: the line of every key and value, for annotations.

The standard library's parser gives no positions, so this walks the text once, recording for
each JSON pointer (as a tuple of keys and indexes) the line its key (in an object) or its
value (in an array, or the whole document) starts on. Damaged text yields what was found
before the damage.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from collections.abc import Mapping, Sequence

Pointer = tuple[str | int, ...]
_SPACE = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\.)*"')
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")


class _Damaged(ValueError):
    pass


class _Walker:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.lines: dict[Pointer, int] = {}

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def skip(self, offset: int) -> int:
        match = _SPACE.match(self.text, offset)
        return match.end() if match else offset

    def expect(self, offset: int, char: str) -> int:
        offset = self.skip(offset)
        if self.text[offset : offset + 1] != char:
            raise _Damaged(offset)
        return offset + 1

    def value(self, offset: int, at: Pointer) -> int:
        offset = self.skip(offset)
        self.lines.setdefault(at, self.line(offset))
        char = self.text[offset : offset + 1]
        if char == "{":
            return self.members(offset + 1, at)
        if char == "[":
            return self.items(offset + 1, at)
        match = (_STRING if char == '"' else _SCALAR).match(self.text, offset)
        if not match:
            raise _Damaged(offset)
        return match.end()

    def members(self, offset: int, at: Pointer) -> int:
        if self.text[self.skip(offset) : self.skip(offset) + 1] == "}":
            return self.skip(offset) + 1
        while True:
            start = self.skip(offset)
            found = _STRING.match(self.text, start)
            if not found:
                raise _Damaged(start)
            key: str = json.loads(found.group())
            offset = found.end()
            self.lines.setdefault((*at, key), self.line(start))
            offset = self.skip(self.value(self.expect(offset, ":"), (*at, key)))
            if self.text[offset : offset + 1] != ",":
                return self.expect(offset, "}")
            offset += 1

    def items(self, offset: int, at: Pointer) -> int:
        if self.text[self.skip(offset) : self.skip(offset) + 1] == "]":
            return self.skip(offset) + 1
        index = 0
        while True:
            offset = self.skip(self.value(offset, (*at, index)))
            if self.text[offset : offset + 1] != ",":
                return self.expect(offset, "]")
            offset, index = offset + 1, index + 1


def value_lines(text: str) -> dict[Pointer, int]:
    """The 1-based line of every key and value in ``text``, by pointer."""
    walker = _Walker(text)
    # On damaged text, keep the lines found before the damage.
    with contextlib.suppress(_Damaged, json.JSONDecodeError, IndexError):
        walker.value(0, ())
    return walker.lines


def line_of(lines: Mapping[Pointer, int], at: Sequence[str | int]) -> int | None:
    """The line of ``at``, or of its nearest enclosing key or value that was found."""
    pointer = tuple(at)
    while pointer not in lines and pointer:
        pointer = pointer[:-1]
    return lines.get(pointer)
