"""The fast serialisation of big registries writes exactly what json.dumps(indent=2) writes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry_action.core.strictjson import dumps

scalars = st.one_of(
    st.text(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
entries = st.dictionaries(st.text(), scalars, min_size=1, max_size=6)
nested = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=5,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    plugins=st.lists(st.one_of(entries, st.dictionaries(st.text(), nested)), max_size=5),
    extra=st.dictionaries(st.text(), nested, max_size=3),
)
def test_the_output_is_byte_for_byte_json_dumps(plugins: list[Any], extra: dict[str, Any]) -> None:
    document = {"version": "1.0.0", **extra, "plugins": plugins}
    assert dumps(document) == (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), "\ud800"])
@pytest.mark.parametrize("flat", [True, False])
def test_neither_path_writes_what_json_parse_refuses(bad: object, flat: bool) -> None:
    entry = {"id": "a", "extra": bad} if flat else {"id": "a", "extra": [bad]}
    with pytest.raises(ValueError):
        dumps({"version": "1.0.0", "plugins": [entry, {"id": "b"}]})
