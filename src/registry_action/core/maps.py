"""Maps of the registry for hosts that read other formats. Pure.

Each map is derived only from ``registry.json`` and the manifests it lists, in its order, and
written in the same commit as the index, so that at every commit the two agree:

- ``maps/module-federation.json``: what Module Federation's ``registerRemotes`` takes,
  ``[{"name", "entry", "type": "var", "entryGlobalName"}]``, the name being the container's as
  the dashboard derives it (the id without any character but letters and digits), which is
  also the global a ``var`` remote entry defines;
- ``maps/native-federation.json``: the ``{"<name>": "<remote entry URL>"}`` manifest that Native
  Federation and Nx hosts load, under the same names;
- ``maps/import-map.json``: an import map, ``{"imports": {"<id>": "<url>"}, "integrity":
  {"<url>": "<sha384-...>"}}``, the integrity of each remote entry that records one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from registry_action.core.documents import REGISTRY_PATH, manifest_path, read_json
from registry_action.core.ids import container_name
from registry_action.core.strictjson import NotJSONError
from registry_action.core.validation import Problem, check_file, manifest_problems_of

MAPS_DIR = "maps"


def map_path(kind: str) -> str:
    """Where the map of ``kind`` is written: ``maps/<kind>.json``."""
    return f"{MAPS_DIR}/{kind}.json"


def build_maps(
    index: Mapping[str, Any], manifests: Mapping[str, Mapping[str, Any]], kinds: Iterable[str]
) -> dict[str, Any]:
    """Each map of ``kinds``, by path, from ``index`` and its ``manifests`` (by path).

    An entry whose manifest is missing or unreadable is left out, as a dashboard skips it.
    """
    listed = [
        manifest
        for entry in index.get("plugins", [])
        if isinstance(manifest := manifests.get(manifest_path(str(entry.get("id")))), Mapping)
        and isinstance(manifest.get("ui"), Mapping)
    ]
    builders = {
        "module-federation": _module_federation,
        "native-federation": _native_federation,
        "import-map": _import_map,
    }
    return {map_path(kind): builders[kind](listed) for kind in kinds}


def _module_federation(listed: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [
        {
            "name": container_name(manifest["id"]),
            "entry": manifest["ui"]["remoteEntry"],
            "type": "var",
            "entryGlobalName": container_name(manifest["id"]),
        }
        for manifest in listed
    ]


def _native_federation(listed: list[Mapping[str, Any]]) -> dict[str, str]:
    return {container_name(manifest["id"]): manifest["ui"]["remoteEntry"] for manifest in listed}


def _import_map(listed: list[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    return {
        "imports": {manifest["id"]: manifest["ui"]["remoteEntry"] for manifest in listed},
        "integrity": {
            manifest["ui"]["remoteEntry"]: manifest["ui"]["integrity"]
            for manifest in listed
            if isinstance(manifest["ui"].get("integrity"), str)
        },
    }


def differences(found: Any, expected: Any) -> str:
    """What tells a map as stored from the one the index gives, in a few words."""
    names, wanted = _named(found), _named(expected) or {}
    if names is None:
        return "it is not a map of this kind"
    sorts = {
        "lacks": [name for name in wanted if name not in names],
        "still lists": [name for name in names if name not in wanted],
        "has another URL for": [n for n in wanted if n in names and names[n] != wanted[n]],
    }
    said = [
        f"{what} {', '.join(items[:3])}{' …' if len(items) > 3 else ''}"
        for what, items in sorts.items()
        if items
    ]
    return "; ".join(said) or "its order or form differs"


def _named(document: Any) -> dict[str, Any] | None:
    """A map's entries by name, whatever its kind; None when it has no such shape."""
    if isinstance(document, list):
        items = [item for item in document if isinstance(item, dict)]
        return {str(item.get("name")): item.get("entry") for item in items}
    if isinstance(document, dict) and isinstance(document.get("imports"), dict):
        integrity = document.get("integrity")
        hashes = integrity if isinstance(integrity, dict) else {}
        return {name: (url, hashes.get(url)) for name, url in document["imports"].items()}
    if isinstance(document, dict):
        return dict(document)
    return None


def map_problems(
    index: bytes | None,
    manifests: Mapping[str, bytes],
    maps: Mapping[str, bytes | None],
    kinds: Iterable[str],
    advice: str,
) -> list[Problem]:
    """An error for each map of ``kinds`` that is missing or does not agree with ``index``.

    ``maps`` holds each map's content by path (None: missing); ``advice`` says how to write
    them anew. Without a valid index there is nothing to agree with; manifests that are not
    valid are left out, as they are of the maps written.
    """
    checked = check_file(REGISTRY_PATH, index, "registry")[0] if index is not None else None
    if checked is None or not checked.valid:
        return []
    valid = {path: manifest_problems_of(path, content)[0] for path, content in manifests.items()}
    documents = {path: found.document for path, found in valid.items() if found.valid}
    problems = []
    for path, expected in build_maps(checked.document, documents, kinds).items():
        content = maps.get(path)
        if content is None:
            message = f"there is no such map, though it is asked for: {advice}"
            problems.append(Problem("error", path, None, message))
            continue
        try:
            found = read_json(path, content)
        except NotJSONError as exc:
            problems.append(Problem("error", path, exc.line, str(exc)))
            continue
        if found != expected:
            said = differences(found, expected)
            message = f"this map does not agree with {REGISTRY_PATH} ({said}): {advice}"
            problems.append(Problem("error", path, None, message))
    return problems
