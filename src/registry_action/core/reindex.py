"""Rebuilding ``registry.json`` from ``plugins/*.json``: pure, the clock passed in.

Used to repair the index after hand edits, by registries that accept only manifests
(pull-request mode) to list what was merged, and to convert a registry written by a
clone-and-push script to the contract's form in one run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from registry_action.core.documents import (
    REGISTRY_PATH,
    check_registry,
    manifest_path,
    manifest_problems,
    repeated_id_text,
    repeated_ids,
    schema_violations,
)
from registry_action.core.models import timestamp
from registry_action.core.registry import (
    converted_manifest,
    converted_registry,
    entry_for,
    new_registry,
    touched,
)
from registry_action.core.validation import Problem, manifest_problems_of
from registry_action.errors import DamagedFileError, RegistryProblemsError
from registry_action.settings.spelling import setting


def rebuild(
    registry: Mapping[str, Any] | None, manifests: Iterable[Mapping[str, Any]], now: str
) -> dict[str, Any] | None:
    """The index that lists exactly ``manifests``; None when ``registry`` already does.

    Entries that still have a manifest keep their position and every field the program does
    not know; entries without one are dropped; new ones are appended in order of id. The top
    level keeps its unknown fields, and ``lastUpdated`` moves only when something else changed.
    """
    base = dict(registry) if registry is not None else new_registry(now)
    by_id = {manifest["id"]: manifest for manifest in manifests}
    plugins: list[dict[str, Any]] = []
    for current in base["plugins"]:
        manifest = by_id.pop(current["id"], None)
        if manifest is not None:
            plugins.append({**current, **entry_for(manifest)})
    plugins += [entry_for(by_id[plugin_id]) for plugin_id in sorted(by_id)]
    if registry is not None and plugins == registry["plugins"]:
        return None
    return touched({**base, "plugins": plugins}, now)


# Manifests a conversion dates from the history; the rest take the time of the run.
HISTORY_LOOKUPS = 100


@dataclass(frozen=True)
class Conversion:
    """What a reindex writes: manifests brought to the contract's form, then the index."""

    manifests: dict[str, dict[str, Any]]  # by path; only those that change
    index: dict[str, Any] | None  # None when the index already conforms


def conversion(
    registry: Mapping[str, Any] | None,
    files: Mapping[str, bytes],
    now: str,
    last_changed: Callable[[str], datetime | None],
) -> Conversion:
    """The files to write so that the registry lists every manifest, all in the contract's form.

    ``last_changed(path)`` is when the manifest was last committed, if the store can tell: it
    replaces a stamp that names no moment (the unexpanded ``$(date ...)``); else ``now`` does.
    Empty when the registry already conforms.
    """
    manifests = manifests_by_path(files)
    lookups = iter(range(HISTORY_LOOKUPS))

    def stamp(path: str) -> str:
        # Each lookup may cost a request: a registry of thousands of such manifests would spend
        # the hour's request budget on dates, so past the first ones the run's time serves.
        moment = last_changed(path) if next(lookups, None) is not None else None
        return timestamp(moment) if moment is not None else now

    rewritten: dict[str, dict[str, Any]] = {}
    for path, document in manifests.items():
        converted = converted_manifest(document, partial(stamp, path))
        if converted is not None:
            rewritten[path] = converted
    listed = rebuild(registry, {**manifests, **rewritten}.values(), now)
    if listed is None and registry is not None:
        listed = converted_registry(registry, now)
    plan = Conversion(rewritten, listed)
    refuse_damage(plan)
    return plan


def refuse_damage(plan: Conversion) -> None:
    """RegistryProblemsError naming the manifests at fault, if ``plan`` would write damage.

    Everything a reindex writes is checked before the first write. Each problem of the index
    it would write is laid at the door of the manifests whose entries cause it (two files
    whose ids differ only in case, say): the index read was valid.
    """
    faults = {path: manifest_problems(document) for path, document in plan.manifests.items()}
    if plan.index is not None:
        for path, problem in index_faults(plan.index):
            faults.setdefault(path, []).append(problem)
    faults = {path: found for path, found in faults.items() if found}
    if not faults:
        return
    names = sorted(faults)
    said = "; ".join(dict.fromkeys(p for path in names for p in faults[path]))
    which = "the file" if len(names) == 1 else "those files"
    raise RegistryProblemsError(
        f"reindex refused, nothing written: {_listed(names)} would make the registry damaged "
        f"({said}); fix, rename or delete {which}, then reindex again"
    )


def index_faults(index: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Each problem of an index a reindex built, with the file at fault (a manifest, by entry)."""
    plugins = index.get("plugins")
    entries = plugins if isinstance(plugins, list) else []

    def fault(where: tuple[str | int, ...], message: str) -> tuple[str, str]:
        at = where[1] if len(where) > 1 and where[0] == "plugins" else None
        entry = entries[at] if isinstance(at, int) and at < len(entries) else None
        plugin_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(plugin_id, str):
            return REGISTRY_PATH, f"at /{'/'.join(map(str, where))}: {message}"
        field = "/".join(map(str, where[2:])) or "its entry"
        return manifest_path(plugin_id), f"at {field}: {message}"

    faults = [fault(where, message) for where, message in schema_violations("registry", index)]
    if faults:
        return faults
    ids = [str(entry.get("id")) for entry in entries]
    for where in repeated_ids(ids):
        problem = repeated_id_text([ids[i] for i in where])
        faults += [(manifest_path(ids[i]), problem) for i in where]
    if not faults:
        try:
            check_registry(REGISTRY_PATH, index)
        except DamagedFileError as exc:
            faults.append((REGISTRY_PATH, str(exc)))
    return faults


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def manifests_by_path(files: Mapping[str, bytes]) -> dict[str, dict[str, Any]]:
    """The manifests of ``files`` by path; RegistryProblemsError naming each that has problems.

    A damaged or misnamed manifest stops the rebuild rather than being left out: leaving it
    out would silently unregister that plugin from every dashboard.
    """
    manifests: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    for path, content in sorted(files.items()):
        checked, found = manifest_problems_of(path, content)
        found = [problem for problem in found if problem.severity == "error"]
        problems += found
        if not found:
            manifests[path] = checked.document
    if problems:
        listed = "; ".join(
            f"{p.path}{f' line {p.line}' if p.line else ''}: {p.message}" for p in problems
        )
        raise RegistryProblemsError(
            f"reindex refused: {len({p.path for p in problems})} manifest(s) have problems "
            f"and leaving them out would drop those plugins from the registry: {listed}; "
            "fix or delete them (validate lists every problem), then reindex again"
        )
    return manifests


def found_index(files: Mapping[str, bytes], now: str) -> dict[str, Any] | None:
    """An index for a registry without ``registry.json``: every manifest of ``files`` listed.

    None when ``files`` holds no manifest. RegistryProblemsError names each manifest that a new
    index could not list (damaged, misnamed, or one id spelled in two cases): leaving it out
    would hide that plugin with no word, listing it would write a damaged index.
    """
    problems: list[Problem] = []
    manifests: dict[str, dict[str, Any]] = {}
    for path, content in sorted(files.items()):
        checked, found = manifest_problems_of(path, content)
        errors = [problem for problem in found if problem.severity == "error"]
        problems += errors
        if not errors:
            manifests[path] = checked.document
    ids = [manifest["id"] for manifest in manifests.values()]
    paths = list(manifests)
    for where in repeated_ids(ids):
        problems += [
            Problem("error", paths[i], None, repeated_id_text([ids[j] for j in where]))
            for i in where
        ]
    if problems:
        listed = "; ".join(
            f"{p.path}{f' line {p.line}' if p.line else ''}: {p.message}" for p in problems
        )
        raise RegistryProblemsError(
            f"{REGISTRY_PATH} is missing, and plugins/ holds manifests a new index cannot list: "
            f"{listed}; fix or delete them (validate lists every problem), then run "
            f"{setting('command', 'reindex')} to rebuild {REGISTRY_PATH}"
        )
    return rebuild(None, manifests.values(), now) if manifests else None
