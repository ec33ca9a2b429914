"""Validate's `live` check: what each listed plugin's host serves now, against the registry.

Part of the engine, over the fetching of engine/remote.py: every remote entry the index lists
is fetched (a few at a time, within the run's deadline), and each plugin whose remote entry is
gone, or no longer hashes to its recorded ``ui.integrity``, is one error on its manifest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from registry_action.core.documents import (
    REGISTRY_PATH,
    load_registry,
    manifest_path,
    replaceable_manifest,
)
from registry_action.core.escaping import printable
from registry_action.core.validation import Problem, manifest_problems_of
from registry_action.engine.remote import Fetched, fetch_all, fetch_within, matches, sri
from registry_action.errors import DamagedFileError
from registry_action.settings.spelling import setting
from registry_action.store.interface import Deadline

Fetcher = Callable[[str, Deadline], Fetched]


@dataclass(frozen=True)
class _Listed:
    """A listed plugin's valid manifest: where its remote entry is, and its recorded hash."""

    path: str
    content: bytes
    remote_entry: str
    integrity: str | None

    def line(self, *at: str) -> int | None:
        """The line of a value, looked up only for a manifest with a problem."""
        return manifest_problems_of(self.path, self.content)[0].line(*at)


def listed_remote_entries(index: bytes | None, manifests: Mapping[str, bytes]) -> list[_Listed]:
    """The remote entries of the valid manifests ``registry.json`` lists, in its order."""
    document = replaceable_registry(index)
    found: list[_Listed] = []
    for entry in document.get("plugins", []) if document else []:
        path = manifest_path(str(entry["id"]))
        content = manifests.get(path)
        manifest = replaceable_manifest(path, content)[0] if content is not None else None
        if content is not None and manifest is not None and manifest["id"] == entry["id"]:
            ui = manifest["ui"]
            found.append(_Listed(path, content, ui["remoteEntry"], ui.get("integrity")))
    return found


def replaceable_registry(index: bytes | None) -> dict[str, Any] | None:
    """The index, when it is valid (validate reports it otherwise)."""
    if index is None:
        return None
    try:
        return load_registry(REGISTRY_PATH, index)
    except DamagedFileError:
        return None


def live_problems(
    index: bytes | None,
    manifests: Mapping[str, bytes],
    deadline: Deadline,
    log: Callable[[str], None],
    *,
    fetcher: Fetcher = fetch_within,
) -> list[Problem]:
    """One error for each listed plugin whose remote entry is gone or changed."""
    listed = listed_remote_entries(index, manifests)
    started = time.monotonic()
    fetched = fetch_all((plugin.remote_entry for plugin in listed), deadline, fetcher=fetcher)
    problems = [p for plugin in listed if (p := _problem(plugin, fetched[plugin.remote_entry]))]
    log(
        f"Fetched {len(fetched)} remote entr{'y' if len(fetched) == 1 else 'ies'} of "
        f"{len(listed)} listed plugin(s) in {time.monotonic() - started:.1f}s: "
        f"{len(problems)} gone or changed"
    )
    return problems


def _problem(plugin: _Listed, fetched: Fetched) -> Problem | None:
    url = printable(plugin.remote_entry)
    if fetched.late:
        return Problem(
            "error",
            plugin.path,
            plugin.line("ui", "remoteEntry"),
            f"the remote entry {url} was not checked: the run's deadline passed first; raise "
            f"{setting('timeout')}",
        )
    if fetched.body is None:
        return Problem(
            "error",
            plugin.path,
            plugin.line("ui", "remoteEntry"),
            f"the remote entry {url} {fetched.reason}: dashboards cannot load this plugin; "
            "deploy it again, or unregister the plugin",
        )
    if plugin.integrity is None or matches(plugin.integrity, fetched.body):
        return None
    algorithm = plugin.integrity.partition("-")[0]
    return Problem(
        "error",
        plugin.path,
        plugin.line("ui", "integrity"),
        f"the remote entry {url} no longer matches its ui.integrity {plugin.integrity} (it now "
        f"hashes to {sri(fetched.body, algorithm)}): it was redeployed without registering, so "
        "dashboards refuse to load it; register the plugin again",
    )
