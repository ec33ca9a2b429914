"""A GraphQL document's fields, as far as the fake reads them: no engine, only the parse.

The grammar is the GraphQL specification's ("Language", https://spec.graphql.org/October2021/):
a document is definitions; an operation is ``query``, ``mutation`` or ``subscription`` with an
optional name, variable definitions and directives, then a selection set (a bare selection set
is a query); a field is ``[alias:] name[(arguments)][directives][{selections}]``; commas are
insignificant, ``#`` starts a comment. Fragment definitions are skipped, an inline fragment
(``... on Commit { ... }``) is kept as a field named ``... on Commit``, and a spread as
``...Name``. Variables are looked up in the request's ``variables`` when an argument is read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(
    r"""
    (?P<skip>[\s,\ufeff]+|\#[^\n\r]*)
    | (?P<block>\"\"\"(?:\\\"\"\"|[^"]|"(?!""))*\"\"\")
    | (?P<string>"(?:\\.|[^"\\\n\r])*")
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
    | (?P<punct>\.\.\.|[!$&()\:=@\[\]{|}])
    """,
    re.VERBOSE,
)
OPERATIONS = ("query", "mutation", "subscription")


class DocumentError(Exception):
    """The document does not parse."""


@dataclass(frozen=True)
class Variable:
    """``$name`` in an argument."""

    name: str


@dataclass(frozen=True)
class Field:
    """One selected field: its response key is its alias, else its name."""

    alias: str | None
    name: str
    arguments: Mapping[str, object]
    selections: tuple[Field, ...]

    @property
    def key(self) -> str:
        return self.alias or self.name

    def argument(self, name: str, variables: Mapping[str, Any]) -> object:
        """The argument's value, its variables substituted (``None`` when absent)."""
        return _substitute(self.arguments.get(name), variables)

    def has(self, name: str) -> bool:
        return name in self.arguments

    def field(self, name: str) -> Field | None:
        """The first selected field named ``name``."""
        return next((f for f in self.selections if f.name == name), None)


def operation(document: str) -> tuple[str, tuple[Field, ...]]:
    """The first operation of ``document``: its kind and its top-level fields."""
    parser = _Parser(document)
    while not parser.done():
        if parser.peek() == "{":
            return "query", parser.selection_set()
        word = parser.take()
        if word == "fragment":
            parser.take()  # its name
            parser.expect("on")
            parser.take()
            parser.directives()
            parser.selection_set()
            continue
        if word not in OPERATIONS:
            raise DocumentError(f'Parse error on "{word}": expected an operation')
        if parser.peek() not in ("(", "@", "{"):
            parser.take()  # the operation's name
        if parser.peek() == "(":
            parser.skip_balanced("(", ")")
        parser.directives()
        return word, parser.selection_set()
    raise DocumentError("The document holds no operation")


def _substitute(value: object, variables: Mapping[str, Any]) -> object:
    if isinstance(value, Variable):
        return variables.get(value.name)
    if isinstance(value, list):
        return [_substitute(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, variables) for key, item in value.items()}
    return value


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                raise DocumentError(f"Parse error on {text[position]!r} at {position}")
            position = match.end()
            if match.lastgroup != "skip":
                self.tokens.append((str(match.lastgroup), match.group()))
        self.at = 0

    def done(self) -> bool:
        return self.at >= len(self.tokens)

    def peek(self) -> str | None:
        return None if self.done() else self.tokens[self.at][1]

    def take(self) -> str:
        if self.done():
            raise DocumentError("Parse error: the document ends too early")
        self.at += 1
        return self.tokens[self.at - 1][1]

    def expect(self, token: str) -> None:
        found = self.take()
        if found != token:
            raise DocumentError(f'Parse error on "{found}": expected "{token}"')

    def name(self) -> str:
        kind, text = self.tokens[self.at] if not self.done() else ("", "the end")
        if kind != "name":
            raise DocumentError(f'Parse error on "{text}": expected a name')
        self.at += 1
        return text

    def skip_balanced(self, opening: str, closing: str) -> None:
        depth = 0
        while True:
            token = self.take()
            depth += (token == opening) - (token == closing)
            if depth == 0:
                return

    def directives(self) -> None:
        while self.peek() == "@":
            self.take()
            self.name()
            if self.peek() == "(":
                self.skip_balanced("(", ")")

    def selection_set(self) -> tuple[Field, ...]:
        self.expect("{")
        fields: list[Field] = []
        while self.peek() != "}":
            fields.append(self.selection())
        self.take()
        if not fields:
            raise DocumentError("Parse error: an empty selection set")
        return tuple(fields)

    def selection(self) -> Field:
        if self.peek() == "...":
            self.take()
            if self.peek() == "on":
                self.take()
                name = f"... on {self.name()}"
            elif self.peek() in ("@", "{"):
                name = "..."
            else:
                return Field(None, f"...{self.name()}", {}, ())
            self.directives()
            return Field(None, name, {}, self.selection_set())
        alias, name = None, self.name()
        if self.peek() == ":":
            self.take()
            alias, name = name, self.name()
        arguments: dict[str, object] = {}
        if self.peek() == "(":
            self.take()
            while self.peek() != ")":
                argument = self.name()
                self.expect(":")
                arguments[argument] = self.value()
            self.take()
        self.directives()
        selections = self.selection_set() if self.peek() == "{" else ()
        return Field(alias, name, arguments, selections)

    def value(self) -> object:
        kind, text = self.tokens[self.at] if not self.done() else ("", "")
        if text == "$":
            self.take()
            return Variable(self.name())
        if text == "[":
            self.take()
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.take()
            return items
        if text == "{":
            self.take()
            fields: dict[str, object] = {}
            while self.peek() != "}":
                key = self.name()
                self.expect(":")
                fields[key] = self.value()
            self.take()
            return fields
        self.take()
        if kind == "number":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "string":
            return str(json.loads(text))
        if kind == "block":
            return text[3:-3].replace('\\"""', '"""')
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(text, text)
        raise DocumentError(f'Parse error on "{text}": expected a value')
