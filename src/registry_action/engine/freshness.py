"""Validate's checks of index entries that name commits (`manifest-urls: commit`).

Part of the engine, over the store port: an entry that names a commit gives dashboards the
manifest as that commit wrote it, so it is an error when the manifest has changed since (the
store says which commit last changed each file, where it keeps commits). With the input set to
``commit``, an entry that still names the branch is an error too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry_action.core.commit_urls import named_commit
from registry_action.core.documents import REGISTRY_PATH, manifest_path
from registry_action.core.validation import Problem, check_file, manifest_problems_of
from registry_action.engine.pinning import holds
from registry_action.settings.spelling import advise, setting
from registry_action.store.interface import RegistryStore


@dataclass(frozen=True)
class _Listed:
    """An entry with a valid manifest: where it is in the index, and what it names."""

    line: int | None
    plugin_id: str
    manifest: dict[str, Any]
    commit: str | None  # the commit the entry names; None: the branch (or anything else)
    branch: bool  # the entry's URL is the manifest's own


def commit_problems(
    store: RegistryStore, index: bytes | None, manifests: Mapping[str, bytes], *, required: bool
) -> list[Problem]:
    """An error for each entry naming a commit that no longer holds its manifest as it is, and
    with ``required``, for each entry naming the branch."""
    listed = _listed(index, manifests)
    reindex = f"{advise('command', 'reindex')} with {setting('manifest-urls', 'commit')}"
    problems = [
        Problem(
            "error",
            REGISTRY_PATH,
            item.line,
            f"the entry {item.plugin_id!r} names the branch, not the commit that wrote "
            f"{manifest_path(item.plugin_id)}, so a cached {REGISTRY_PATH} can meet a newer "
            f"manifest: {reindex}",
        )
        for item in listed
        if required and item.branch
    ]
    pinned = [item for item in listed if item.commit is not None]
    last = store.last_commits([manifest_path(item.plugin_id) for item in pinned])
    for item in pinned:
        path = manifest_path(item.plugin_id)
        found = last.get(path)
        if (
            found is None
            or found == item.commit
            or holds(store, path, str(item.commit), item.manifest)
        ):
            continue
        problems.append(
            Problem(
                "error",
                REGISTRY_PATH,
                item.line,
                f"the entry {item.plugin_id!r} names commit {item.commit}, but {path} has "
                f"changed since (last in {found}): dashboards load it as it was then; "
                f"{reindex}, or register the plugin again",
            )
        )
    return sorted(problems, key=lambda problem: problem.line or 0)


def _listed(index: bytes | None, manifests: Mapping[str, bytes]) -> list[_Listed]:
    if index is None:
        return []
    checked, _ = check_file(REGISTRY_PATH, index, "registry")
    if not checked.valid:
        return []
    found: list[_Listed] = []
    for i, entry in enumerate(checked.document["plugins"]):
        path = manifest_path(entry["id"])
        content = manifests.get(path)
        manifest = manifest_problems_of(path, content)[0] if content is not None else None
        if manifest is None or not manifest.valid:
            continue  # validate reports those entries already
        url, own = entry["manifestUrl"], manifest.document["manifestUrl"]
        line = checked.line("plugins", i, "manifestUrl")
        commit = named_commit(url, own)
        found.append(_Listed(line, entry["id"], manifest.document, commit, url == own))
    return found
