"""Validate's `live` check: what each listed plugin's host serves now, against the registry.

Part of the engine, over the fetching of engine/remote.py: every remote entry the index lists
is fetched (a few at a time, within the run's deadline), and each plugin whose remote entry is
gone, or no longer hashes to its recorded ``ui.integrity``, is one error on its manifest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from registry_action.core.documents import REGISTRY_PATH, manifest_path
from registry_action.core.escaping import printable
from registry_action.core.validation import Checked, Problem, check_file, manifest_problems_of
from registry_action.engine.remote import Fetched, fetch_all, fetch_within, matches, sri
from registry_action.settings.spelling import setting
from registry_action.store.interface import Deadline

Fetcher = Callable[[str, Deadline], Fetched]


@dataclass(frozen=True)
class _Listed:
    """A listed plugin's valid manifest: where its remote entry is, and its recorded hash."""

    checked: Checked
    remote_entry: str
    integrity: str | None


def listed_remote_entries(index: bytes | None, manifests: Mapping[str, bytes]) -> list[_Listed]:
    """The remote entries of the valid manifests ``registry.json`` lists, in its order."""
    if index is None:
        return []
    checked_index, _ = check_file(REGISTRY_PATH, index, "registry")
    document = checked_index.document
    plugins = document.get("plugins") if isinstance(document, dict) else None
    found: list[_Listed] = []
    for entry in plugins if isinstance(plugins, list) else []:
        plugin_id = entry.get("id") if isinstance(entry, dict) else None
        content = manifests.get(manifest_path(plugin_id)) if isinstance(plugin_id, str) else None
        if content is None:
            continue  # validate reports the entry without its manifest
        checked, _ = manifest_problems_of(manifest_path(str(plugin_id)), content)
        if checked.valid:
            ui = checked.document["ui"]
            found.append(_Listed(checked, ui["remoteEntry"], ui.get("integrity")))
    return found


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
    checked, url = plugin.checked, printable(plugin.remote_entry)
    if fetched.late:
        return Problem(
            "error",
            checked.path,
            checked.line("ui", "remoteEntry"),
            f"the remote entry {url} was not checked: the run's deadline passed first; raise "
            f"{setting('timeout')}",
        )
    if fetched.body is None:
        return Problem(
            "error",
            checked.path,
            checked.line("ui", "remoteEntry"),
            f"the remote entry {url} {fetched.reason}: dashboards cannot load this plugin; "
            "deploy it again, or unregister the plugin",
        )
    if plugin.integrity is None or matches(plugin.integrity, fetched.body):
        return None
    algorithm = plugin.integrity.partition("-")[0]
    return Problem(
        "error",
        checked.path,
        checked.line("ui", "integrity"),
        f"the remote entry {url} no longer matches its ui.integrity {plugin.integrity} (it now "
        f"hashes to {sri(fetched.body, algorithm)}): it was redeployed without registering, so "
        "dashboards refuse to load it; register the plugin again",
    )
