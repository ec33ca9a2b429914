"""The JSON schemas and the pydantic models accept and reject the same documents."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from dateutil.parser import isoparse
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from registry_action.core.models import TIMESTAMP_READ_PATTERN, Manifest, Registry, read_timestamp

ROOT = Path(__file__).resolve().parents[2]
UNEXPANDED = "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)"
SRI384 = "sha384-" + "A" * 63 + "B"

MANIFEST: dict[str, Any] = {
    "id": "calendar",
    "name": "calendar",
    "version": "1.4.2",
    "description": "Team calendar",
    "ui": {
        "remoteEntry": "https://calendar-ui.pages.dev/assets/remoteEntry.js",
        "expose": "./PluginApp",
    },
    "server": {
        "routeBase": "/api/integrations/calendar",
        "deploymentUrl": "https://calendar.fly.dev",
        "healthCheck": "/api/health",
    },
    "manifestUrl": "https://raw.githubusercontent.com/org/plugin-registry/main/plugins/calendar.json",
    "lastUpdated": "2024-01-20T12:00:00.000Z",
}
REGISTRY: dict[str, Any] = {
    "version": "1.0.0",
    "lastUpdated": "2024-01-20T12:00:00.000Z",
    "plugins": [
        {
            "id": "calendar",
            "name": "calendar",
            "version": "1.4.2",
            "manifestUrl": MANIFEST["manifestUrl"],
        }
    ],
}


def changed(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``document`` with the value at ``a/b/0/c`` replaced (or removed: ...)."""
    result = copy.deepcopy(document)
    *parents, last = path.split("/")
    target: Any = result
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    key: Any = int(last) if isinstance(target, list) else last
    if value is Ellipsis:
        del target[key]
    else:
        target[key] = value
    return result


MANIFEST_CASES = [
    ("the design's example", MANIFEST, True),
    ("unknown fields", changed(MANIFEST, "icon", "https://x.dev/i.svg"), True),
    ("unknown nested field", changed(MANIFEST, "ui/scope", "calendar"), True),
    ("no description", changed(MANIFEST, "description", ...), True),
    ("pre-release version", changed(MANIFEST, "version", "2.0.0-rc.1+build.5"), True),
    (
        "plain http to localhost",
        changed(MANIFEST, "ui/remoteEntry", "http://localhost:5173/r.js"),
        True,
    ),
    ("id with a dot and underscore", changed(MANIFEST, "id", "team.calendar_v2"), True),
    ("id of 100 characters", changed(MANIFEST, "id", "a" * 100), True),
    ("id of 101 characters", changed(MANIFEST, "id", "a" * 101), False),
    ("id with a slash", changed(MANIFEST, "id", "a/b"), False),
    ("id with ..", changed(MANIFEST, "id", "a..b"), False),
    ("id with a space", changed(MANIFEST, "id", "my plugin"), False),
    ("id as a repository name has it", changed(MANIFEST, "id", "Weather-App"), True),
    ("id with a non-ASCII letter", changed(MANIFEST, "id", "kalendář"), False),
    ("id starting with a dash", changed(MANIFEST, "id", "-calendar"), False),
    ("two-part version", changed(MANIFEST, "version", "1.2"), False),
    ("version latest", changed(MANIFEST, "version", "latest"), False),
    ("v-prefixed version", changed(MANIFEST, "version", "v1.2.3"), False),
    ("leading zero", changed(MANIFEST, "version", "01.2.3"), False),
    ("javascript: URL", changed(MANIFEST, "ui/remoteEntry", "javascript:alert(1)"), False),
    ("data: URL", changed(MANIFEST, "ui/remoteEntry", "data:text/javascript,1"), False),
    ("file: URL", changed(MANIFEST, "server/deploymentUrl", "file:///etc/passwd"), False),
    ("relative URL", changed(MANIFEST, "manifestUrl", "plugins/calendar.json"), False),
    ("scheme-relative URL", changed(MANIFEST, "manifestUrl", "//cdn.dev/x.json"), False),
    ("route base not a path", changed(MANIFEST, "server/routeBase", "api/x"), False),
    ("timestamp without ms", changed(MANIFEST, "lastUpdated", "2024-01-20T12:00:00Z"), True),
    ("microseconds", changed(MANIFEST, "lastUpdated", "2024-01-20T12:00:00.123456Z"), True),
    ("an offset", changed(MANIFEST, "lastUpdated", "2024-01-20T13:00:00+01:00"), True),
    ("no offset", changed(MANIFEST, "lastUpdated", "2024-01-20T12:00:00"), True),
    ("basic format", changed(MANIFEST, "lastUpdated", "20240120T120000Z"), True),
    ("week date", changed(MANIFEST, "lastUpdated", "2024-W03-6T12:00Z"), True),
    ("the script's unexpanded date", changed(MANIFEST, "lastUpdated", UNEXPANDED), True),
    ("other unexpanded shell date", changed(MANIFEST, "lastUpdated", "$(date -u +%FT%TZ)"), False),
    ("date without time", changed(MANIFEST, "lastUpdated", "2024-01-20"), False),
    ("space for T", changed(MANIFEST, "lastUpdated", "2024-01-20 12:00:00Z"), False),
    ("month 13", changed(MANIFEST, "lastUpdated", "2024-13-20T12:00:00Z"), False),
    ("timestamp as a number", changed(MANIFEST, "lastUpdated", 1705752000), False),
    ("missing ui", changed(MANIFEST, "ui", ...), False),
    ("missing expose", changed(MANIFEST, "ui/expose", ...), False),
    ("empty name", changed(MANIFEST, "name", ""), False),
    ("number as version", changed(MANIFEST, "version", 1), False),
    ("null description", changed(MANIFEST, "description", None), False),
    ("sha384 integrity", changed(MANIFEST, "ui/integrity", SRI384), True),
    ("sha512 integrity", changed(MANIFEST, "ui/integrity", "sha512-" + "A" * 86 + "=="), True),
    ("sha256 integrity", changed(MANIFEST, "ui/integrity", "sha256-" + "A" * 43 + "="), True),
    ("md5 integrity", changed(MANIFEST, "ui/integrity", "md5-1B2M2Y8AsgTpgAmY7PhCfg=="), False),
    ("two hashes", changed(MANIFEST, "ui/integrity", f"{SRI384} {SRI384}"), False),
    ("short hash", changed(MANIFEST, "ui/integrity", SRI384[:-1]), False),
    ("null integrity", changed(MANIFEST, "ui/integrity", None), False),
    ("not an object", [], False),
]
REGISTRY_CASES = [
    ("the design's example", REGISTRY, True),
    ("empty registry", changed(REGISTRY, "plugins", []), True),
    ("unknown top-level field", changed(REGISTRY, "maintainers", ["platform"]), True),
    ("unknown entry field", changed(REGISTRY, "plugins/0/icon", "x"), True),
    ("entry without manifestUrl", changed(REGISTRY, "plugins/0/manifestUrl", ...), False),
    ("entry with a bad id", changed(REGISTRY, "plugins/0/id", "../etc"), False),
    ("entry with a capital", changed(REGISTRY, "plugins/0/id", "Calendar2"), True),
    ("microseconds", changed(REGISTRY, "lastUpdated", "2024-01-20T12:00:00.123456Z"), True),
    ("unexpanded date", changed(REGISTRY, "lastUpdated", UNEXPANDED), True),
    ("entry with a bad version", changed(REGISTRY, "plugins/0/version", "latest"), False),
    ("plugins not a list", changed(REGISTRY, "plugins", {}), False),
    ("format version not semver", changed(REGISTRY, "version", "1"), False),
    ("missing lastUpdated", changed(REGISTRY, "lastUpdated", ...), False),
    ("entry that is a string", changed(REGISTRY, "plugins/0", "calendar"), False),
]


def schema_accepts(name: str, document: object) -> bool:
    schema = json.loads((ROOT / "schema" / name).read_text(encoding="utf-8"))
    return Draft202012Validator(schema).is_valid(document)


def fast_schema_accepts(name: str, document: object) -> bool:
    """What jsonschema-rs, which the program asks first, says of ``document``."""
    schema = json.loads((ROOT / "schema" / name).read_text(encoding="utf-8"))
    return bool(jsonschema_rs.validator_for(schema).is_valid(document))


def model_accepts(model: type[Manifest] | type[Registry], document: object) -> bool:
    try:
        model.model_validate(document)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    ("case", "document", "valid"), MANIFEST_CASES, ids=[c[0] for c in MANIFEST_CASES]
)
def test_manifest_schema_and_model_agree(case: str, document: object, valid: bool) -> None:
    assert schema_accepts("plugin-manifest.schema.json", document) is valid
    assert model_accepts(Manifest, document) is valid


@pytest.mark.parametrize(
    ("case", "document", "valid"), REGISTRY_CASES, ids=[c[0] for c in REGISTRY_CASES]
)
def test_registry_schema_and_model_agree(case: str, document: object, valid: bool) -> None:
    assert schema_accepts("registry.schema.json", document) is valid
    assert model_accepts(Registry, document) is valid


def test_schemas_are_2020_12_with_ids() -> None:
    for name in ("registry.schema.json", "plugin-manifest.schema.json"):
        schema = json.loads((ROOT / "schema" / name).read_text(encoding="utf-8"))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"].endswith(f"/schema/{name}")
        Draft202012Validator.check_schema(schema)


def test_the_package_ships_the_same_schemas() -> None:
    from registry_action.core.documents import schema

    assert schema("registry") == json.loads((ROOT / "schema/registry.schema.json").read_text())
    assert schema("manifest") == json.loads(
        (ROOT / "schema/plugin-manifest.schema.json").read_text()
    )


@settings(max_examples=300, deadline=None)
@given(st.from_regex(TIMESTAMP_READ_PATTERN, fullmatch=True))
@example("9999-12-31T24:00")
def test_every_timestamp_form_the_schemas_admit_is_read(value: str) -> None:
    """The schemas' pattern and the ISO parser agree, but for days past a month's end.

    A pattern cannot count the days of each month, nor tell that 24:00 on the last day of the
    year 9999 has no next day; the model refuses those.
    """
    assume(not value.endswith("\n"))  # Python's "$"; the model's fullmatch refuses it
    document = changed(MANIFEST, "lastUpdated", value)
    assert schema_accepts("plugin-manifest.schema.json", document)
    assert fast_schema_accepts("plugin-manifest.schema.json", document)
    if value == UNEXPANDED or read_timestamp(value) is not None:
        assert model_accepts(Manifest, document)
    else:
        with pytest.raises(
            (ValueError, OverflowError),
            match=r"day is out of range for month|date value out of range",
        ):
            isoparse(value)
        assert not model_accepts(Manifest, document)


def test_the_schemas_timestamp_pattern_is_the_model_s() -> None:
    for name in ("registry.schema.json", "plugin-manifest.schema.json"):
        schema = json.loads((ROOT / "schema" / name).read_text(encoding="utf-8"))
        assert schema["$defs"]["timestamp"]["pattern"] == TIMESTAMP_READ_PATTERN
