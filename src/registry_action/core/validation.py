"""Checking a whole registry: every problem of ``registry.json`` and ``plugins/*.json``.

Pure: file contents in, problems out. Each problem names its file and, where it can be found,
the line, so that a pull request to the registry shows it on the offending line. Nothing stops
at the first problem: a reviewer wants the whole list.

Some problems break a dashboard though each file is valid on its own. A dashboard fetches each
entry's ``manifestUrl`` and loads the Module Federation container at ``window[<id without any
character but letters and digits>]``. So a manifest whose ``manifestUrl`` names another file
shows another plugin (or none), and two ids that differ only in ``.``, ``_`` or ``-`` load the
same container: one plugin replaces the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from registry_action.core import strictjson
from registry_action.core.commit_urls import named_commit
from registry_action.core.documents import (
    REGISTRY_PATH,
    Kind,
    manifest_path,
    plugin_id_of,
    read_json,
    repeated_id_text,
    repeated_ids,
    schema_violations,
)
from registry_action.core.ids import container_name, device_name_text
from registry_action.core.models import RegistryEntry
from registry_action.core.registry import ENTRY_FIELDS, LegacyForm, manifest_forms, registry_forms
from registry_action.core.strictjson import Pointer, line_of, value_lines
from registry_action.core.urls import browser_violations

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file of the registry."""

    severity: Severity
    path: str
    line: int | None
    message: str


@dataclass(frozen=True)
class Checked:
    """A file's parsed document (None when it is not JSON) and the line of each pointer."""

    path: str
    document: Any
    lines: dict[Pointer, int]
    valid: bool  # JSON that its schema accepts

    def line(self, *at: str | int) -> int | None:
        return line_of(self.lines, at)


def check_file(path: str, content: bytes, kind: Kind) -> tuple[Checked, list[Problem]]:
    """Parse one file and find its syntax and schema problems."""
    try:
        document = read_json(path, content)
    except strictjson.NotJSONError as exc:
        return Checked(path, None, {}, valid=False), [Problem("error", path, exc.line, str(exc))]
    violations = schema_violations(kind, document) + browser_violations(kind, document)
    lines = value_lines(content.decode("utf-8"))
    checked = Checked(path, document, lines, valid=not violations)
    problems = [
        Problem("error", path, checked.line(*where), _at(where, message))
        for where, message in violations
    ]
    return checked, problems


def _at(where: tuple[str | int, ...], message: str) -> str:
    pointer = "/" + "/".join(map(str, where)) if where else "the top level"
    return f"at {pointer}: {message}"


def manifest_problems_of(path: str, content: bytes) -> tuple[Checked, list[Problem]]:
    """A manifest's own problems: syntax, schema, and a file name that is not its id."""
    checked, problems = check_file(path, content, "manifest")
    document = checked.document
    stem = plugin_id_of(path)
    if checked.valid and document["id"] != stem:
        problems.append(
            Problem(
                "error",
                path,
                checked.line("id"),
                f"the file is named {stem!r} but the manifest's id is {document['id']!r}: "
                f"rename it to {manifest_path(document['id'])} or correct the id",
            )
        )
    return checked, problems


def find_problems(
    index: bytes | None, manifests: Mapping[str, bytes], *, base_url: str | None = None
) -> list[Problem]:
    """Every problem of a registry, ordered by file and line.

    ``base_url`` is where dashboards fetch the registry's files from, when known.
    """
    problems: list[Problem] = []
    valid: dict[str, dict[str, Any]] = {}
    for path, content in manifests.items():
        checked, found = manifest_problems_of(path, content)
        problems += found
        if checked.valid:
            valid[path] = checked.document
            problems += _legacy(checked, manifest_forms(checked.document))
            problems += _device_name(checked)
            wrong_url = _manifest_url_problem(checked, base_url)
            problems += [wrong_url] if wrong_url else []
    if index is None:
        problems.append(
            Problem("error", REGISTRY_PATH, None, f"{REGISTRY_PATH} is missing: run reindex")
        )
    else:
        checked, found = check_file(REGISTRY_PATH, index, "registry")
        problems += found + _index_problems(checked, manifests, valid)
        if checked.valid:
            problems += _legacy(checked, registry_forms(checked.document))
    return sorted(problems, key=_order)


def _device_name(checked: Checked) -> list[Problem]:
    text = device_name_text(checked.document["id"])
    if text is None:
        return []
    advice = "unregister the plugin and register it under another id"
    return [Problem("error", checked.path, checked.line("id"), f"{text}: {advice}")]


def _legacy(checked: Checked, forms: list[LegacyForm]) -> list[Problem]:
    """Forms read but not written: dashboards read them, so they warn without failing."""
    return [
        Problem("warning", checked.path, checked.line(*form.where), form.message) for form in forms
    ]


def _order(problem: Problem) -> tuple[bool, str, int]:
    return (problem.path != REGISTRY_PATH, problem.path, problem.line or 0)


def _entries(checked: Checked) -> list[tuple[int, dict[str, Any]]]:
    """The entries of ``plugins`` that are objects, with their index."""
    document = checked.document
    plugins = document.get("plugins") if isinstance(document, dict) else None
    if not isinstance(plugins, list):
        return []
    return [(i, entry) for i, entry in enumerate(plugins) if isinstance(entry, dict)]


def _index_problems(
    checked: Checked, manifests: Mapping[str, bytes], valid: Mapping[str, dict[str, Any]]
) -> list[Problem]:
    """Duplicate ids, entries without or disagreeing with their manifest, unlisted files."""
    entries = _entries(checked)
    problems = _duplicates(checked, entries) + _container_collisions(checked, entries)
    for index, entry in entries:
        if _is_valid_entry(entry):
            problems += _disagreements(checked, index, entry, manifests, valid)
    if isinstance(checked.document, dict) and isinstance(checked.document.get("plugins"), list):
        listed = {entry.get("id") for _, entry in entries}
        problems += [
            Problem(
                "warning",
                path,
                None,
                f"this manifest is listed nowhere in {REGISTRY_PATH}, so dashboards do not "
                "load it: register the plugin, run reindex, or delete the file",
            )
            for path in manifests
            if plugin_id_of(path) not in listed
        ]
    return problems


def _is_valid_entry(entry: dict[str, Any]) -> bool:
    try:
        RegistryEntry.model_validate(entry)
    except ValidationError:
        return False
    return True


def _duplicates(checked: Checked, entries: list[tuple[int, dict[str, Any]]]) -> list[Problem]:
    named = [(index, entry["id"]) for index, entry in entries if isinstance(entry.get("id"), str)]
    problems: list[Problem] = []
    for where in repeated_ids([plugin_id for _, plugin_id in named]):
        first, *again = (named[i] for i in where)
        earlier = checked.line("plugins", first[0], "id")
        problems += [
            Problem(
                "error",
                checked.path,
                checked.line("plugins", index, "id"),
                f"{repeated_id_text([first[1], plugin_id])} (first at line {earlier}, again "
                f"at /plugins/{index}): remove one of the entries",
            )
            for index, plugin_id in again
        ]
    return problems


def _disagreements(
    checked: Checked,
    index: int,
    entry: dict[str, Any],
    manifests: Mapping[str, bytes],
    valid: Mapping[str, dict[str, Any]],
) -> list[Problem]:
    path = manifest_path(entry["id"])
    if path not in manifests:
        return [
            Problem(
                "error",
                checked.path,
                checked.line("plugins", index),
                f"the entry {entry['id']!r} points at {path}, which does not exist: register "
                "the plugin again or remove the entry (unregister)",
            )
        ]
    manifest = valid.get(path)
    if manifest is None:
        return []  # the manifest's own problems are reported on the manifest
    return [
        Problem(
            "error",
            checked.path,
            checked.line("plugins", index, field),
            f"the entry {entry['id']!r} has {field} {entry[field]!r} but {path} has "
            f"{manifest.get(field)!r}: run reindex or register the plugin again",
        )
        for field in ENTRY_FIELDS
        if entry[field] != manifest.get(field)
        # An entry may name the commit that wrote the manifest (`manifest-urls: commit`).
        and not (field == "manifestUrl" and named_commit(entry[field], manifest[field]))
    ]


def _manifest_url_problem(checked: Checked, base_url: str | None) -> Problem | None:
    """An error when a valid manifest's ``manifestUrl`` is not where the file itself is.

    Without the registry's base URL (a folder with no repository named) only the end of the
    URL, ``plugins/<file>.json``, can be checked.
    """
    url = checked.document["manifestUrl"]
    expected = f"{base_url.rstrip('/')}/{checked.path}" if base_url else None
    if url == expected or (expected is None and url.endswith(f"/{checked.path}")):
        return None
    where = f"this file is fetched from {expected}" if expected else f"this file is {checked.path}"
    return Problem(
        "error",
        checked.path,
        checked.line("manifestUrl"),
        f"manifestUrl is {url} but {where}: dashboards would load another manifest; "
        "register the plugin again or correct it",
    )


def _container_collisions(
    checked: Checked, entries: Sequence[tuple[int, Mapping[str, Any]]]
) -> list[Problem]:
    """An error for each listed id whose container an earlier, different id already names."""
    first: dict[str, tuple[str, int | None]] = {}
    problems: list[Problem] = []
    for index, entry in entries:
        plugin_id = entry.get("id")
        if not isinstance(plugin_id, str):
            continue
        line = checked.line("plugins", index, "id")
        name = container_name(plugin_id)
        earlier = first.setdefault(name, (plugin_id, line))
        if earlier[0].lower() == plugin_id.lower():
            continue  # the same id again is reported as a duplicate
        problems.append(
            Problem(
                "error",
                REGISTRY_PATH,
                line,
                f"the ids {earlier[0]!r} (line {earlier[1]}) and {plugin_id!r} load the same "
                f"Module Federation container window.{name} (dashboards keep only the letters "
                "and digits of an id): one plugin would replace the other; unregister one and "
                "register it under an id that differs in a letter or digit",
            )
        )
    return problems
