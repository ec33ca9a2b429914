"""The promote command: copy a plugin's registration from one environment to another.

The source is ``registry-repository``/``registry-branch``, the destination ``to-repository``
and/or ``to-branch``. The plugin's manifest there is the same as at the source but for
``manifestUrl`` (the destination's) and ``lastUpdated``; everything else, ``ui.integrity``
included, is carried over. It is written as register writes a manifest, so the version guard
applies at the destination and pull-request mode works for a protected one.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from registry_action.commands.base import (
    WRITE_INPUTS,
    Command,
    Log,
    Result,
    commit_message,
    plugin_id,
    register_or_propose,
)
from registry_action.commands.history import listed_spelling
from registry_action.commands.target import Target, open_promotion, registry_url_of
from registry_action.core.documents import load_manifest, manifest_path
from registry_action.core.manifest import PluginSpec
from registry_action.errors import InputError
from registry_action.settings.inputs import Inputs
from registry_action.settings.runner import Runner
from registry_action.store.interface import RegistryStore

# The fields the program sets on every write; the rest of a manifest is the plugin's own.
PROGRAM_SET = ("manifestUrl", "lastUpdated")


@dataclass(frozen=True)
class CopiedSpec(PluginSpec):
    """A plugin as another environment registered it: its manifest there is the whole spec."""

    source: Mapping[str, Any] = field(default_factory=dict)

    def built_in(self) -> dict[str, Any]:
        copied = {k: copy.deepcopy(v) for k, v in self.source.items() if k not in PROGRAM_SET}
        return {**copied, "id": self.id}  # the destination may spell the id in another case


def promote(inputs: Inputs, runner: Runner, log: Log) -> Result:
    """Register at the destination the plugin's manifest as the source has it."""
    chosen_id = plugin_id(inputs, runner)
    source, destination = open_promotion(inputs, runner, log)
    manifest = registered_manifest(source.store, chosen_id)
    spec = copied_spec(manifest, destination)
    message = commit_message(
        inputs, COMMAND, destination, runner, id=spec.id, version=spec.version, name=spec.name
    )
    outcome, pull = register_or_propose(inputs, destination, runner, spec, message, log)
    notices = source.store.notices  # the source's repository may have been renamed too
    outcome = replace(outcome, warnings=notices + outcome.warnings) if notices else outcome
    version = (outcome.manifest or {}).get("version", spec.version)
    return Result(
        outcome,
        COMMAND.name,
        destination.store.description,
        (outcome.manifest or {}).get("manifestUrl", spec.manifest_url),
        registry_url_of(destination),
        pull,
        proposed=destination.proposals is not None,
        store=destination.store,
        label=f"{outcome.plugin_id} {version} from {source.store.description}",
    )


def registered_manifest(store: RegistryStore, plugin_id: str) -> dict[str, Any]:
    """The plugin's manifest in ``store``; InputError when it has none."""
    path = manifest_path(listed_spelling(store, plugin_id))
    stored = store.read(path)
    if stored is None:
        raise InputError(
            f"{plugin_id} is not registered in {store.description}: there is nothing to promote"
        )
    return load_manifest(path, stored.content)


def copied_spec(manifest: Mapping[str, Any], destination: Target) -> CopiedSpec:
    """The spec that renders ``manifest`` again, fetched from the destination."""
    base = (destination.base_url or "").rstrip("/")
    ui, server = manifest["ui"], manifest["server"]
    return CopiedSpec(
        id=manifest["id"],
        name=manifest["name"],
        version=manifest["version"],
        description=manifest.get("description", ""),
        ui_remote_entry=ui["remoteEntry"],
        ui_expose=ui["expose"],
        server_route_base=server["routeBase"],
        server_deployment_url=server["deploymentUrl"],
        server_health_check=server["healthCheck"],
        manifest_url=f"{base}/{manifest_path(manifest['id'])}",
        source=manifest,
    )


COMMAND = Command(
    "promote",
    "copy a plugin's registration from one environment (branch or repository) to another",
    promote,
    takes=WRITE_INPUTS
    | {
        "plugin_id",
        "to_branch",
        "to_repository",
        "allow_downgrade",
        "pull_request",
        "manifest_urls",
        "maps",
    },
    message="Promote plugin: {id} {version}",
    done="registered",
    unchanged="is already registered in {registry}: nothing written",
)
