"""Strict JSON: what browsers' ``JSON.parse`` accepts, and nothing a dashboard would choke on.

Python's reader takes ``NaN`` and ``Infinity``, reads ``1e400`` as infinity, keeps the last of
two equal keys, lets lone surrogate escapes through and recurses once per level of nesting;
its writer then emits what no browser parses. ``loads`` refuses all of them, and ``dumps`` and
``dumps_text`` refuse to write them. Every refusal to read is a ``json.JSONDecodeError`` (with
its line and column) or a DuplicateKeyError, so callers report it like any other syntax error;
``parse`` words either as the one message a user sees.

``dumps`` writes the registry's files deterministically: 2-space indent, UTF-8 characters as
themselves, a final newline, the same bytes for the same document.

The standard library's parser gives no positions, so ``value_lines`` walks a text once more,
recording for each JSON pointer (a tuple of keys and indexes) the line its key (in an object)
or its value (in an array, or the whole document) starts on, for annotations.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

# Manifests and registries are three levels deep; anything near this is not a registry. It also
# keeps every reader (json, jsonschema, pydantic, the template renderer) far from recursion limits.
MAX_DEPTH = 64
# Integers a browser holds exactly (Number.MAX_SAFE_INTEGER); JSON.parse rounds larger ones.
MAX_SAFE_INTEGER = 2**53 - 1
_MAX_INTEGER_DIGITS = len(str(MAX_SAFE_INTEGER))

Pointer = tuple[str | int, ...]

# Tokens of JSON text. The searches match a whole string token too, so that what they look for
# is never found inside a string.
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_JSON_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
_BRACKETS = re.compile(_STRING + r"|[\[\]{}]", re.DOTALL)
_NUMBER = re.compile(_STRING + "|" + _JSON_NUMBER, re.DOTALL)
_CONSTANT = re.compile(_STRING + r"|-?Infinity|NaN", re.DOTALL)
_STRING_TOKEN = re.compile(_STRING, re.DOTALL)
_SCALAR = re.compile(_JSON_NUMBER + "|true|false|null")
_SPACE = re.compile(r"[ \t\n\r]*")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# Half of a UTF-16 pair: what a str holds for a lone surrogate escape, and UTF-8 cannot encode.
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)


class DuplicateKeyError(ValueError):
    """An object names the same key twice (``str(error)`` is the key, as JSON)."""


class NotJSONError(ValueError):
    """Text ``parse`` refused: ``str(error)`` names it and says why; ``line`` is where, if known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


class _Refused(ValueError):
    def __init__(self, message: str, literal: str) -> None:
        super().__init__(message)
        self.message = message
        self.literal = literal


def loads(text: str) -> Any:
    """Parse RFC 8259 JSON strictly; JSONDecodeError or DuplicateKeyError on anything else."""
    try:
        document = json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_safe_integer,
        )
    except _Refused as exc:
        raise json.JSONDecodeError(exc.message, text, _locate(text, exc.literal)) from None
    except RecursionError:  # json's parser recurses once per level
        raise _too_deep(text) from None
    if _too_deep_document(document):
        raise _too_deep(text)
    if _SURROGATE_ESCAPE.search(text):
        _check_surrogates(text)
    return document


def parse(text: str, what: str) -> Any:
    """``loads``, each refusal a NotJSONError worded ``<what> is not valid JSON: <why>``."""
    try:
        return loads(text)
    except json.JSONDecodeError as exc:
        why, line = f"{exc.msg} at line {exc.lineno} column {exc.colno}", exc.lineno
    except DuplicateKeyError as exc:
        why, line = f"the key {exc} appears twice", None
    raise NotJSONError(f"{what} is not valid JSON: {why}", line)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(json.dumps(key))
            seen.add(key)
    return result


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON value", name)


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _Refused(f"the number {_clip(literal)} is too large for JSON readers", literal)
    return value


def _safe_integer(literal: str) -> int:
    digits = literal.lstrip("-")
    if len(digits) > _MAX_INTEGER_DIGITS or int(digits) > MAX_SAFE_INTEGER:
        raise _Refused(
            f"the integer {_clip(literal)} is larger than JSON readers hold exactly "
            f"({MAX_SAFE_INTEGER})",
            literal,
        )
    return int(literal)


def _clip(literal: str) -> str:
    return literal if len(literal) <= 24 else f"{literal[:20]}… ({len(literal)} characters)"


def _locate(text: str, literal: str) -> int:
    """Where ``literal`` (a number or constant json refused) first stands outside a string."""
    pattern = _CONSTANT if literal in ("NaN", "Infinity", "-Infinity") else _NUMBER
    for found in pattern.finditer(text):
        if found.group() == literal:
            return found.start()
    return 0  # pragma: no cover - json only hands over literals that are in the text


def _too_deep_document(document: Any) -> bool:
    # Walked without recursion, containers only: a fraction of what parsing costs.
    if type(document) is not dict and type(document) is not list:
        return False
    stack = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if type(node) is dict else node
        for child in children:
            if type(child) is dict or type(child) is list:
                if depth >= MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


def _too_deep(text: str) -> json.JSONDecodeError:
    return json.JSONDecodeError(f"nesting deeper than {MAX_DEPTH} levels", text, _too_deep_at(text))


def _too_deep_at(text: str) -> int:
    depth = 0
    for found in _BRACKETS.finditer(text):
        piece = found.group()
        if piece in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return found.start()
        elif piece in "]}":
            depth -= 1
    return 0


def _check_surrogates(text: str) -> None:
    for string in _STRING_TOKEN.finditer(text):
        units = [
            (int(escape.group(1), 16) if escape.group(1) else -1, escape.start())
            for escape in _ESCAPE.finditer(string.group())
        ]
        index = 0
        while index < len(units):
            unit, where = units[index]
            paired = (
                0xD800 <= unit <= 0xDBFF
                and index + 1 < len(units)
                and 0xDC00 <= units[index + 1][0] <= 0xDFFF
                and units[index + 1][1] == where + 6
            )
            if paired:
                index += 2
                continue
            if 0xD800 <= unit <= 0xDFFF:
                raise json.JSONDecodeError(
                    f"\\u{unit:04x} is a lone surrogate, not a character",
                    text,
                    string.start() + where,
                )
            index += 1


def dumps(document: object) -> bytes:
    """A document as written: 2-space indent, UTF-8 characters as themselves, final newline."""
    plugins = document.get("plugins") if isinstance(document, dict) else None
    if isinstance(document, dict) and isinstance(plugins, list) and _all_flat(plugins):
        text = _dumps_flat_plugins(document, plugins)
    else:
        text = _text(document, indent=2)
    # Encoding refuses a lone surrogate (UnicodeEncodeError, a ValueError), as allow_nan=False
    # refuses NaN and the infinities: what no browser's JSON.parse reads is never written.
    return (text + "\n").encode("utf-8")


def dumps_text(document: object, **options: Any) -> str:
    """``json.dumps`` that cannot write NaN, Infinity or a lone surrogate (ValueError)."""
    text = _text(document, **options)
    if _SURROGATE.search(text):
        raise ValueError("a string holds a lone surrogate, which is not a character")
    return text


def _text(document: object, **options: Any) -> str:
    return json.dumps(document, ensure_ascii=False, allow_nan=False, **options)


_SCALARS = (str, int, float, bool, type(None))
# What json.dumps makes of the top-level "plugins" set to "\0plugins\0". No JSON string holds
# a raw line break, so only the top-level key can sit at the start of a line indented by two.
_PLACEHOLDER = '\n  "plugins": "\\u0000plugins\\u0000"'
_ENTRY_SEPARATORS = (",\n      ", ": ")


def _all_flat(entries: list[Any]) -> bool:
    return all(
        isinstance(e, dict) and e and all(isinstance(v, _SCALARS) for v in e.values())
        for e in entries
    )


def _dumps_flat_plugins(document: dict[str, Any], plugins: list[dict[str, Any]]) -> str:
    """What ``json.dumps(indent=2)`` writes, much faster for a long list of flat entries.

    With ``indent``, json uses its pure-Python encoder. The entries are written instead by the
    C encoder, with separators that carry the line breaks and indentation of an entry's fields;
    since no string in JSON holds a raw line break, ``},<newline>`` only ever falls between two
    entries, where the indentation of the list is put in. The rest goes through json.dumps.
    """
    if not plugins:
        return _text(document, indent=2)
    compact = _text(plugins, separators=_ENTRY_SEPARATORS)
    body = compact[2:-2].replace("},\n      {", "\n    },\n    {\n      ")
    entries = "[\n    {\n      " + body + "\n    }\n  ]"
    shell = _text({**document, "plugins": "\0plugins\0"}, indent=2)
    return shell.replace(_PLACEHOLDER, '\n  "plugins": ' + entries, 1)


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
        match = (_STRING_TOKEN if char == '"' else _SCALAR).match(self.text, offset)
        if not match:
            raise _Damaged(offset)
        return match.end()

    def members(self, offset: int, at: Pointer) -> int:
        if self.text[self.skip(offset) : self.skip(offset) + 1] == "}":
            return self.skip(offset) + 1
        while True:
            start = self.skip(offset)
            found = _STRING_TOKEN.match(self.text, start)
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
