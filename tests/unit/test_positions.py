"""Finding the line of a key or value in a JSON text."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from registry_action.core.strictjson import line_of, value_lines

TEXT = """{
  "version": "1.0.0",
  "plugins": [
    {"id": "a\\"b",
     "name": "x"},
    {
      "id": "c"
    }
  ],
  "empty": {}, "none": [], "n": -1.5e3
}
"""


def test_every_key_and_item_has_its_line() -> None:
    lines = value_lines(TEXT)
    assert lines[()] == 1
    assert lines[("version",)] == 2
    assert lines[("plugins", 0)] == 4
    assert lines[("plugins", 0, "id")] == 4
    assert lines[("plugins", 0, "name")] == 5
    assert lines[("plugins", 1)] == 6
    assert lines[("plugins", 1, "id")] == 7
    assert lines[("n",)] == 10


def test_a_missing_pointer_falls_back_to_its_nearest_parent() -> None:
    lines = value_lines(TEXT)
    assert line_of(lines, ["plugins", 1, "version"]) == 6
    assert line_of(lines, ["nowhere"]) == 1


def test_damaged_text_keeps_what_came_before_the_damage() -> None:
    lines = value_lines('{\n  "a": [1,\n  2,\n  oops\n')
    # The damaged item itself is found too: its line is where the damage is.
    assert lines == {(): 1, ("a",): 2, ("a", 0): 2, ("a", 1): 3, ("a", 2): 4}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=10,
)


def _value(document: Any, pointer: tuple[str | int, ...]) -> Any:
    for step in pointer:
        document = document[step]
    return document


@given(json_values)
def test_each_pointer_is_found_on_the_line_that_starts_it(document: object) -> None:
    text = json.dumps(document, indent=2)
    rows = text.splitlines()
    lines = value_lines(text)
    for pointer, line in lines.items():
        row = rows[line - 1].strip()
        if pointer and isinstance(pointer[-1], str):
            assert row.startswith(json.dumps(pointer[-1]) + ":")
        else:
            assert row.startswith(json.dumps(_value(document, pointer), indent=2).splitlines()[0])
    # Every value of the document is found.
    assert len(lines) == _count(document)


def _count(document: object) -> int:
    if isinstance(document, dict):
        return 1 + sum(_count(v) for v in document.values())
    if isinstance(document, list):
        return 1 + sum(_count(v) for v in document)
    return 1
