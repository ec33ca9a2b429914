"""Every pattern of both schemas means the same in jsonschema-rs, jsonschema and the models.

A schema's pattern is ECMA-262, where ``$`` is the very end of the string; Python's ``$`` also
matches before a final newline. The tests iterate over whatever patterns the schemas hold, so
a pattern changed later is held to the same rule.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from pydantic import ValidationError

from registry_action.core import documents
from registry_action.core.documents import Kind, python_pattern, schema
from registry_action.core.models import Manifest, Registry

# Values that some pattern of the schemas accepts whole.
BASES = [
    "calendar",
    "Calendar2",
    "1.2.3",
    "2.0.0-rc.1+build.5",
    "1.0.0",
    "2024-01-20T12:00:00.000Z",
    "https://calendar.fly.dev",
    "https://raw.githubusercontent.com/org/plugin-registry/main/plugins/calendar.json",
    "/api/health",
    "sha384-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
]
# Each is bad under any plugin-id pattern (lower-case only, or upper case allowed).
SUFFIXES = ["\n", "\r\n", "\r", "\n\n", "\u2028", "\x00", " ", "\t"]
PREFIXES = ["\n", " ", "\ufeff"]
BAD_IDS = ["a..b", "-calendar", ".calendar", "x" * 101, "", "cal/endar", "cal endar"]


def _patterns(node: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield path, value
            else:
                yield from _patterns(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _patterns(value, (*path, index))


PATTERNS = sorted(
    {pattern for kind in ("registry", "manifest") for _, pattern in _patterns(schema(kind))}  # type: ignore[arg-type]
)


def _ecma(pattern: str, value: str) -> bool:
    return bool(jsonschema_rs.is_valid({"type": "string", "pattern": pattern}, value))


def test_the_schemas_have_patterns() -> None:
    assert len(PATTERNS) >= 5


@pytest.mark.parametrize("pattern", PATTERNS)
def test_no_pattern_takes_a_trailing_newline_in_either_validator(pattern: str) -> None:
    accepted = [base for base in BASES if _ecma(pattern, base)]
    assert accepted, f"no sample value fits {pattern}"
    for base in accepted:
        assert python_pattern(pattern).search(base)
        for edge in [base + s for s in SUFFIXES] + [p + base for p in PREFIXES] + [base * 2]:
            assert _ecma(pattern, edge) == bool(python_pattern(pattern).search(edge)), repr(edge)
        for edge in (base + "\n", base + "\r\n", base + "\n\n"):
            assert not _ecma(pattern, edge), repr(edge)


VALID_MANIFEST: dict[str, Any] = {
    "id": "calendar",
    "name": "calendar",
    "version": "1.4.2",
    "description": "Team calendar",
    "ui": {
        "remoteEntry": "https://calendar-ui.pages.dev/assets/remoteEntry.js",
        "expose": "./P",
        "integrity": "sha384-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
    },
    "server": {
        "routeBase": "/api/integrations/calendar",
        "deploymentUrl": "https://calendar.fly.dev",
        "healthCheck": "/api/health",
    },
    "manifestUrl": "https://raw.githubusercontent.com/org/r/main/plugins/calendar.json",
    "lastUpdated": "2024-01-20T12:00:00.000Z",
}
VALID_REGISTRY: dict[str, Any] = {
    "version": "1.0.0",
    "lastUpdated": "2024-01-20T12:00:00.000Z",
    "plugins": [{k: VALID_MANIFEST[k] for k in ("id", "name", "version", "manifestUrl")}],
}
FIELDS: list[tuple[Kind, tuple[str | int, ...]]] = [
    ("manifest", ("id",)),
    ("manifest", ("version",)),
    ("manifest", ("ui", "remoteEntry")),
    ("manifest", ("ui", "integrity")),
    ("manifest", ("server", "routeBase")),
    ("manifest", ("server", "deploymentUrl")),
    ("manifest", ("server", "healthCheck")),
    ("manifest", ("manifestUrl",)),
    ("manifest", ("lastUpdated",)),
    ("registry", ("version",)),
    ("registry", ("lastUpdated",)),
    ("registry", ("plugins", 0, "id")),
    ("registry", ("plugins", 0, "version")),
    ("registry", ("plugins", 0, "manifestUrl")),
]


def _with(kind: Kind, where: tuple[str | int, ...], value: str) -> dict[str, Any]:
    document = copy.deepcopy(VALID_MANIFEST if kind == "manifest" else VALID_REGISTRY)
    node: Any = document
    for step in where[:-1]:
        node = node[step]
    base = node[where[-1]]
    node[where[-1]] = value.replace("{base}", base)
    return document


def _model_accepts(kind: Kind, document: dict[str, Any]) -> bool:
    try:
        (Manifest if kind == "manifest" else Registry).model_validate(document)
    except ValidationError:
        return False
    return True


EDGES = [f"{{base}}{s}" for s in SUFFIXES] + [f"{p}{{base}}" for p in PREFIXES]


@pytest.mark.parametrize(("kind", "where"), FIELDS, ids=lambda v: str(v))
def test_models_and_both_validators_refuse_edge_values(
    kind: Kind, where: tuple[str | int, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    values = [*EDGES, *(BAD_IDS if where[-1] == "id" else [])]
    for value in ["{base}", *values]:
        document = _with(kind, where, value)
        fast = jsonschema_rs.validator_for(schema(kind)).is_valid(document)
        with monkeypatch.context() as patched:
            patched.setattr(documents, "_fast_validator", lambda _kind: None)
            slow = not documents.schema_problems(kind, document)
        model = _model_accepts(kind, document)
        label = f"{kind} {where} = {document!r}"
        assert fast == slow == model, label
        # A NUL is not white space: the URL and path patterns let it through, all three alike.
        if "\x00" not in value:
            assert fast == (value == "{base}"), label


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("registry_repository", "org/plugin-registry\n"),
        ("version", "1.2.3\n"),
        ("plugin_id", "calendar\n"),
        ("api_url", "https://api.github.com\n"),
    ],
)
def test_an_input_ending_in_a_newline_is_refused(name: str, value: str) -> None:
    from registry_action.core.models import is_plugin_id
    from registry_action.core.versions import normalise
    from registry_action.errors import InputError
    from registry_action.settings.inputs import Inputs

    if name == "version":
        with pytest.raises(InputError, match="is not a semantic version"):
            normalise(value, "input `version`")
    elif name == "plugin_id":
        assert not is_plugin_id(value)
    else:
        with pytest.raises(InputError, match=f"input `{name.replace('_', '-')}` must be"):
            Inputs.build({name: value})


def test_a_tag_ending_in_a_newline_is_not_a_version() -> None:
    from registry_action.core.versions import resolve_version
    from registry_action.errors import InputError

    with pytest.raises(InputError, match="no version to register"):
        resolve_version(None, Path("/nonexistent/package.json"), True, "refs/tags/v1.2.3\n")
