"""Reading and writing the registry's JSON documents: parse, validate, serialise.

Every document read from a registry and every document about to be written goes through
``load_*`` / ``check_*`` here: JSON syntax, UTF-8, the JSON schema (jsonschema), the pydantic
model, and the rules a schema cannot say (unique plugin ids, URLs as browsers parse them).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import ValidationError

from registry_action.core import strictjson
from registry_action.core.models import Manifest, Registry
from registry_action.core.urls import browser_violations
from registry_action.errors import DamagedFileError

Kind = Literal["registry", "manifest"]
REGISTRY_PATH = "registry.json"
PLUGINS_DIR = "plugins"
_SCHEMA_FILES: dict[Kind, str] = {
    "registry": "registry.schema.json",
    "manifest": "plugin-manifest.schema.json",
}


def manifest_path(plugin_id: str) -> str:
    """Path of a plugin's manifest inside the registry."""
    return f"{PLUGINS_DIR}/{plugin_id}.json"


def plugin_id_of(path: str) -> str:
    """The id a manifest's path names: ``plugins/<id>.json`` -> ``<id>``."""
    return path.removeprefix(f"{PLUGINS_DIR}/").removesuffix(".json")


def is_manifest_path(path: str) -> bool:
    """Whether ``path`` is where a manifest lives (``plugins/<name>.json``)."""
    return path.startswith(f"{PLUGINS_DIR}/") and path.endswith(".json")


@cache
def schema(kind: Kind) -> dict[str, Any]:
    """The JSON schema of a document kind, as shipped in the package."""
    text = (
        resources.files("registry_action")
        .joinpath("schema", _SCHEMA_FILES[kind])
        .read_text(encoding="utf-8")
    )
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator(kind: Kind) -> Any:
    # jsonschema is imported here so that runs that never validate do not pay for it.
    from jsonschema import Draft202012Validator, validators

    anchored = validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, {"pattern": _pattern_keyword}
    )
    return anchored(schema(kind))


def _pattern_keyword(validator: Any, pattern: str, instance: object, _schema: object) -> Any:
    # jsonschema runs a schema's pattern through Python's re, whose "$" also matches before a
    # final newline; in the schema's own dialect (ECMA-262) it matches only at the very end.
    from jsonschema import ValidationError as SchemaError  # loaded only as _validator loads it

    if isinstance(instance, str) and not python_pattern(pattern).search(instance):
        yield SchemaError(f"{instance!r} does not match {pattern!r}")


@cache
def python_pattern(pattern: str) -> re.Pattern[str]:
    """A JSON Schema (ECMA-262) pattern for Python's re: ``$`` becomes the true end ``\\Z``."""
    out, escaped, in_class = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
        out.append(char)
    return re.compile("".join(out))


@cache
def _fast_validator(kind: Kind) -> Any:
    # jsonschema is far too slow for a large registry; jsonschema-rs (compiled, 2020-12
    # compliant) is fast but only answers "valid?": jsonschema stays the reference that explains
    # every problem, and runs only on a document found invalid (figures: docs/performance.md).
    try:
        import jsonschema_rs  # loaded at the first validation: commands that read none skip it
    except ImportError:  # pragma: no cover - a dependency; jsonschema alone is just slower
        return None
    return jsonschema_rs.validator_for(schema(kind))


def prepare_validators() -> None:
    """Build the validators now, so that none is built between a read and its write.

    Valid documents are answered by the fast validator alone; jsonschema (slow to import) is
    loaded only to explain a document found invalid, or when there is no fast one.
    """
    for kind in _SCHEMA_FILES:
        if _fast_validator(kind) is None:
            _validator(kind)


def schema_problems(kind: Kind, document: object) -> list[str]:
    """Every schema violation of ``document``, each as ``at <pointer>: <message>``."""
    return [
        f"at {_pointer(where)}: {message}" for where, message in schema_violations(kind, document)
    ]


def browser_problems(kind: Kind, document: object) -> list[str]:
    """Every value of ``document`` that browsers would refuse or read otherwise, as problems."""
    return [
        f"at {_pointer(where)}: {message}" for where, message in browser_violations(kind, document)
    ]


def schema_violations(kind: Kind, document: object) -> list[tuple[tuple[str | int, ...], str]]:
    """Every schema violation of ``document`` as (where, message), ordered by where."""
    fast = _fast_validator(kind)
    if fast is not None and fast.is_valid(document):
        return []
    errors = sorted(
        _validator(kind).iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]
    )
    return [(tuple(e.absolute_path), _explain(e)) for e in errors]


def _explain(error: Any) -> str:
    # A pattern's regex tells a user little; the schema's description of the value says more.
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "pattern" and description:
        return _short(f"{error.instance!r} is not valid: {description}")
    return _short(error.message)


def _pointer(path: Any) -> str:
    parts = [str(p) for p in path]
    return "/" + "/".join(parts) if parts else "the top level"


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def read_json(path: str, data: bytes) -> Any:
    """Decode UTF-8 JSON; strictjson.NotJSONError names the file, the problem and its line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"{path} is not UTF-8 text (byte {exc.start})"
        raise strictjson.NotJSONError(message, None) from None
    return strictjson.parse(text, path)


def parse_json(path: str, data: bytes) -> Any:
    """Decode UTF-8 JSON, raising DamagedFileError that names the file and the position."""
    try:
        return read_json(path, data)
    except strictjson.NotJSONError as exc:
        raise DamagedFileError(str(exc)) from None


def check_registry(path: str, document: object) -> Registry:
    """Validate a registry document; DamagedFileError names the first problems."""
    model, problems = _registry_model(document)
    if model is None or problems:
        raise DamagedFileError(f"{path} is damaged: {_join(problems)}")
    return model


def _registry_model(document: object) -> tuple[Registry | None, list[str]]:
    # The model is built once, both to check and to return: a big registry feels every pass.
    problems = schema_problems("registry", document) or browser_problems("registry", document)
    if problems:
        return None, problems
    try:
        model = Registry.model_validate(document)
    except ValidationError as exc:
        return None, [_pydantic_problem(exc)]
    return model, duplicate_id_problems([entry.id for entry in model.plugins])


def duplicate_id_problems(ids: list[str]) -> list[str]:
    """One problem for each plugin id listed more than once, regardless of case."""
    return [
        f"{repeated_id_text([ids[i] for i in where])} (at /plugins/"
        + ", /plugins/".join(map(str, where))
        + ")"
        for where in repeated_ids(ids)
    ]


def repeated_ids(ids: list[str]) -> list[list[int]]:
    """The positions of each id listed more than once, regardless of case, in order."""
    positions: dict[str, list[int]] = {}
    for index, plugin_id in enumerate(ids):
        positions.setdefault(plugin_id.casefold(), []).append(index)
    return [where for where in positions.values() if len(where) > 1]


def repeated_id_text(spellings: list[str]) -> str:
    """What is wrong with ids that are one id regardless of case, naming each spelling."""
    distinct = list(dict.fromkeys(spellings))
    if len(distinct) == 1:
        return f"the plugin id {distinct[0]!r} is listed more than once"
    # Two such files cannot both exist on a case-insensitive file system (macOS, Windows).
    return f"the plugin ids {' and '.join(map(repr, distinct))} differ only in case"


def check_manifest(path: str, document: object) -> Manifest:
    """Validate a manifest document; DamagedFileError names the first problems."""
    problems = manifest_problems(document)
    if problems:
        raise DamagedFileError(f"{path} is damaged: {_join(problems)}")
    return Manifest.model_validate(document)


def manifest_problems(document: object) -> list[str]:
    """Schema and model violations of a manifest document."""
    problems = schema_problems("manifest", document) or browser_problems("manifest", document)
    if problems:
        return problems
    try:
        Manifest.model_validate(document)
    except ValidationError as exc:
        return [_pydantic_problem(exc)]
    return []


def _pydantic_problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = "/" + "/".join(str(p) for p in first["loc"])
    return f"at {where}: {first['msg']}"


def _join(problems: list[str], limit: int = 3) -> str:
    shown = "; ".join(problems[:limit])
    more = len(problems) - limit
    return shown + (f" (and {more} more)" if more > 0 else "")


def load_registry(path: str, data: bytes) -> dict[str, Any]:
    """Parse and validate ``registry.json``; returns the document with every field kept."""
    document = parse_json(path, data)
    check_registry(path, document)
    result: dict[str, Any] = document
    return result


def load_manifest(path: str, data: bytes) -> dict[str, Any]:
    """Parse and validate a manifest; returns the document with every field kept."""
    document = parse_json(path, data)
    check_manifest(path, document)
    result: dict[str, Any] = document
    return result


def replaceable_manifest(path: str, content: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """A stored manifest, or None and a warning when it is damaged: the new one replaces it."""
    try:
        return load_manifest(path, content), None
    except DamagedFileError as exc:
        return None, f"{exc}; it is replaced by the new manifest"
