"""Placeholders in inputs and manifest templates.

``{name}`` is replaced by a value from the context; ``{{`` and ``}}`` are literal braces. In a
template, substitution happens in every string value *after* the JSON is parsed, so a value that
contains quotes or backslashes can never break the document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from registry_action.core import strictjson
from registry_action.errors import TemplateError

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def substitute(text: str, context: Mapping[str, str], where: str) -> str:
    """Replace every ``{placeholder}`` in ``text``; unknown ones are an error naming them."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name is None:
            raise TemplateError(
                f"{where}: unmatched {token!r} in {text!r} "
                f"(write {token * 2!r} for a literal brace)"
            )
        if name not in context:
            known = ", ".join("{" + key + "}" for key in context)
            raise TemplateError(f"{where}: unknown placeholder {{{name}}}; known: {known}")
        return context[name]

    return _TOKEN.sub(replace, text)


def render_value(value: Any, context: Mapping[str, str], where: str) -> Any:
    """Substitute placeholders in every string inside a parsed JSON value (keys are left alone)."""
    if isinstance(value, str):
        return substitute(value, context, where)
    if isinstance(value, list):
        return [render_value(item, context, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        return {key: render_value(item, context, f"{where}.{key}") for key, item in value.items()}
    return value


def parse_template(source: str, text: str) -> dict[str, Any]:
    """Parse a manifest template file; it must be a JSON object."""
    try:
        document = strictjson.parse(text, f"the manifest template {source}")
    except strictjson.NotJSONError as exc:
        raise TemplateError(str(exc)) from None
    if not isinstance(document, dict):
        raise TemplateError(f"the manifest template {source} must be a JSON object")
    return document
