"""Builders of registry documents for tests: valid manifests, entries and registries."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterable
from typing import Any

from registry_action.commands.register import build_spec
from registry_action.core.manifest import PluginSpec, RepositoryContext, SpecInputs
from registry_action.core.strictjson import dumps
from registry_action.engine.publish import Publisher
from registry_action.engine.retry import RetryPolicy, RunOptions
from registry_action.settings.inputs import Inputs
from registry_action.store.interface import Deadline, RegistryStore

RAW = "https://raw.githubusercontent.com/org/plugin-registry/main"
STAMP = "2024-01-20T12:00:00.000Z"


def manifest(plugin_id: str, version: str = "1.0.0", **changes: Any) -> dict[str, Any]:
    """A valid manifest of ``plugin_id``, in the public key order."""
    document: dict[str, Any] = {
        "id": plugin_id,
        "name": plugin_id,
        "version": version,
        "description": f"The {plugin_id} plugin",
        "ui": {
            "remoteEntry": f"https://{plugin_id}-ui.pages.dev/assets/remoteEntry.js",
            "expose": "./PluginApp",
        },
        "server": {
            "routeBase": f"/api/integrations/{plugin_id}",
            "deploymentUrl": f"https://{plugin_id}.fly.dev",
            "healthCheck": "/api/health",
        },
        "manifestUrl": f"{RAW}/plugins/{plugin_id}.json",
        "lastUpdated": STAMP,
    }
    document.update(changes)
    return document


def entry(document: dict[str, Any]) -> dict[str, Any]:
    """The index entry of a manifest."""
    return {key: document[key] for key in ("id", "name", "version", "manifestUrl")}


def registry(entries: Iterable[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A registry listing ``entries``."""
    return {"version": "1.0.0", "lastUpdated": STAMP, "plugins": list(entries), **extra}


def registry_files(*manifests: dict[str, Any], listed: bool = True) -> dict[str, bytes]:
    """The files of a registry holding ``manifests``, listed in the index when ``listed``."""
    files = {f"plugins/{m['id']}.json": dumps(m) for m in manifests}
    files["registry.json"] = dumps(registry([entry(m) for m in manifests] if listed else []))
    return files


def loads(content: bytes | None) -> Any:
    """Parse a file's bytes, failing the test if the file is missing."""
    assert content is not None, "the file is missing"
    return json.loads(content)


def quiet_publisher(
    store: RegistryStore, *, attempts: int = 5, **options: Any
) -> tuple[Publisher, list[str]]:
    """A Publisher with a ticking clock, no sleeping and a captured log."""
    ticks = (f"2024-02-01T00:00:{s:02d}.000Z" for s in itertools.count())
    messages: list[str] = []
    return (
        Publisher(
            store,
            RunOptions(
                deadline=Deadline(600),
                clock=lambda: next(ticks),
                policy=RetryPolicy(max_attempts=attempts),
                log=messages.append,
                sleep=lambda _: None,
                rng=random.Random(3),
                **options,
            ),
        ),
        messages,
    )


def plugin_spec(
    plugin_id: str = "calendar",
    version: str = "1.0.0",
    *,
    repository: str | None = None,
    **changes: Any,
) -> PluginSpec:
    """A plugin with the action's default inputs, registered from ``acme/<id>`` by default."""
    values: dict[str, Any] = {
        "plugin_id": plugin_id,
        "plugin_name": None,
        "version": version,
        "description": "",
        "ui_remote_entry": "https://{id}-ui.pages.dev/assets/remoteEntry.js",
        "ui_expose": "./PluginApp",
        "server_route_base": "/api/integrations/{id}",
        "server_deployment_url": "https://{id}.fly.dev",
        "server_health_check": "/api/health",
        "manifest_base_url": RAW,
    }
    calling = f"acme/{plugin_id}" if repository is None else repository
    repos = RepositoryContext(calling, "org/plugin-registry", "main")
    return build_spec(spec_inputs(**{**values, **changes}), repos)


def spec_inputs(template: dict[str, Any] | None = None, **values: Any) -> SpecInputs:
    """What the register command makes of inputs with these values (unset ones defaulted)."""
    inputs = Inputs(**values)
    base = inputs.manifest_base_url
    assert inputs.plugin_id is not None and inputs.version is not None and base is not None
    return SpecInputs(inputs.plugin_id, inputs.version, base, inputs.spec_values(), template)
