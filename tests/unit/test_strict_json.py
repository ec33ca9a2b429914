"""Strict JSON both ways: whatever a document holds, what is written parses strictly and whole."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry_action.core import strictjson
from registry_action.core.documents import parse_json
from registry_action.core.strictjson import dumps
from registry_action.errors import DamagedFileError
from strict_checks import strict_parse

# Strings with lone surrogates, controls, line separators and quotes; numbers past every bound.
hostile_text = st.text(
    alphabet=st.characters(codec=None, categories=None, exclude_categories=()), max_size=12
) | st.sampled_from(["\ud800", "a\udfffb", "\u2028", "\x00", '"}', "\\u0000", "NaN"])
hostile_numbers = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.sampled_from([float("nan"), float("inf"), -float("inf"), 2**53, -(2**53), 10**400])
)
scalars = hostile_text | hostile_numbers | st.booleans() | st.none()
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=8,
)


def _same(left: Any, right: Any) -> bool:
    """Equal as JSON values (1.0 and 1 differ only in how they were written)."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_same, left, right))
    if isinstance(left, float) or isinstance(right, float):
        return isinstance(left, int | float) and math.isclose(left, right, rel_tol=0, abs_tol=0)
    return bool(left == right) and type(left) is type(right)


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(extra=st.dictionaries(hostile_text, values, max_size=4), entry_extra=values)
def test_what_is_written_parses_strictly_and_round_trips(extra: Any, entry_extra: Any) -> None:
    document = {
        "version": "1.0.0",
        **extra,
        "plugins": [{"id": "a", "extra": entry_extra}, {"id": "b"}],
    }
    try:
        written = dumps(document)
    except ValueError:
        # Refused only for what JSON cannot hold: a lone surrogate, NaN or an infinity.
        assert _unwritable(document)
        return
    back = strict_parse(written)
    assert _same(back, document)
    if _too_big(document):  # written whole, but refused on reading: a browser would round it
        with pytest.raises(DamagedFileError, match="larger than JSON readers hold exactly"):
            parse_json("registry.json", written)
    else:
        assert _same(parse_json("registry.json", written), document)


def _unwritable(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_unwritable(k) or _unwritable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(map(_unwritable, value))
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in value)


def _too_big(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_too_big(v) for v in value.values())
    if isinstance(value, list):
        return any(map(_too_big, value))
    return isinstance(value, int) and abs(value) > strictjson.MAX_SAFE_INTEGER


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(document=values)
def test_what_is_read_is_refused_or_written_back_whole(document: Any) -> None:
    # Python's writer produces NaN, Infinity and lone surrogate escapes; the reader refuses them.
    text = json.dumps(document, allow_nan=True)
    try:
        read = strictjson.loads(text)
    except (json.JSONDecodeError, strictjson.DuplicateKeyError):
        # Refused only for what JSON cannot hold (Python's writer emits it) or cannot hold
        # exactly: a lone surrogate, NaN, an infinity, an integer past 2**53 - 1.
        assert _unwritable(document) or _too_big(document)
        return
    back = strict_parse(strictjson.dumps_text(read).encode("utf-8"))
    assert _same(back, document)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": NaN}', "NaN is not a JSON value at line 1 column 7"),
        ('{"a": Infinity}', "Infinity is not a JSON value at line 1 column 7"),
        ('{"a": [1, -Infinity]}', "-Infinity is not a JSON value at line 1 column 11"),
        ('{"a": 1e999}', "the number 1e999 is too large for JSON readers at line 1 column 7"),
        (
            '{"a": 9007199254740992}',
            "the integer 9007199254740992 is larger than JSON readers hold exactly "
            "(9007199254740991) at line 1 column 7",
        ),
        ('{"a": "\\udc00x"}', "\\udc00 is a lone surrogate, not a character at line 1 column 8"),
        (
            '{"a": "\\ud800\\u0041"}',
            "\\ud800 is a lone surrogate, not a character at line 1 column 8",
        ),
        ("[" * 65 + "]" * 65, "nesting deeper than 64 levels at line 1 column 65"),
        ("[" * 100000, "nesting deeper than 64 levels at line 1 column 65"),
        ('{"a": 1, "a": 1}', 'the key "a" appears twice'),
    ],
)
def test_each_refusal_names_the_file_and_the_place(text: str, message: str) -> None:
    with pytest.raises(DamagedFileError) as caught:
        parse_json("plugins/x.json", text.encode())
    assert str(caught.value) == f"plugins/x.json is not valid JSON: {message}"


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 9007199254740991, "b": -9007199254740991, "c": 1.5e300, "d": "NaN"}',
        '{"a": "\\ud83d\\ude00", "b": "\\\\ud800", "c": "[[[[", "d": -0}',
        "[" * 64 + "]" * 64,
    ],
)
def test_what_browsers_read_is_still_read(text: str) -> None:
    assert parse_json("x.json", text.encode()) == json.loads(text)
