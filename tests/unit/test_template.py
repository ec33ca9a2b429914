"""Placeholders in inputs and in templates."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from registry_action.core.manifest import parse_template, render_value, substitute
from registry_action.errors import TemplateError

CONTEXT = {"id": "calendar", "version": "1.2.3", "name": "Calendar"}


def test_placeholders_are_replaced() -> None:
    assert substitute("https://{id}.fly.dev/{version}", CONTEXT, "x") == (
        "https://calendar.fly.dev/1.2.3"
    )


def test_double_braces_are_literal_braces() -> None:
    assert substitute("{{id}} is {id}; }}{{", CONTEXT, "x") == "{id} is calendar; }{"


def test_unknown_placeholder_is_named() -> None:
    with pytest.raises(TemplateError) as caught:
        substitute("https://{plugin}.dev", CONTEXT, "input `ui-remote-entry`")
    assert str(caught.value) == (
        "input `ui-remote-entry`: unknown placeholder {plugin}; known: {id}, {version}, {name}"
    )


@pytest.mark.parametrize("text", ["a { b", "a } b", "{id"])
def test_unmatched_brace_is_an_error(text: str) -> None:
    with pytest.raises(TemplateError, match="unmatched"):
        substitute(text, CONTEXT, "x")


def test_values_with_quotes_stay_valid_json() -> None:
    template = parse_template("t.json", '{"description": "{name} says \\"hi\\" \\\\ {id}"}')
    context = {**CONTEXT, "name": 'He said "no" \\ {id}'}
    rendered = render_value(template, context, "template")
    round_trip = json.loads(json.dumps(rendered))
    assert round_trip["description"] == 'He said "no" \\ {id} says "hi" \\ calendar'


def test_keys_and_non_strings_are_left_alone() -> None:
    rendered = render_value({"{id}": ["{id}", 3, True, None]}, CONTEXT, "t")
    assert rendered == {"{id}": ["calendar", 3, True, None]}


def test_template_must_be_a_json_object() -> None:
    with pytest.raises(TemplateError, match=r"not valid JSON: Expecting .* at line 1 column"):
        parse_template("manifest.json", "{id: 1}")
    with pytest.raises(TemplateError, match="must be a JSON object"):
        parse_template("manifest.json", "[1]")


def test_the_program_offers_exactly_the_documented_placeholders() -> None:
    from registry_action.core.manifest import RepositoryContext, placeholder_context

    context = placeholder_context("calendar", "1.0.0", RepositoryContext("a/b", "o/r", "main"))
    offered = {*context, "name"}  # the name is known once its own placeholders are substituted
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    sentence = readme[readme.index("Placeholders `{") :].partition(" are substituted")[0]
    assert set(re.findall(r"`\{(\w+)\}`", sentence)) == offered
