"""The unregister command: remove a plugin's index entry, then its manifest."""

from __future__ import annotations

from registry_action.commands.base import (
    WRITE_INPUTS,
    Command,
    Log,
    Result,
    commit_message,
    plugin_id,
    publisher,
)
from registry_action.commands.target import open_target, registry_url_of
from registry_action.core.documents import manifest_path
from registry_action.settings.inputs import Inputs
from registry_action.settings.runner import Runner


def unregister(inputs: Inputs, runner: Runner, log: Log) -> Result:
    """Remove the plugin's entry from the index, then its manifest."""
    chosen_id = plugin_id(inputs, runner)
    target = open_target(inputs, runner, log)
    # The version is not known before the registry is read, so {version} is empty here.
    message = commit_message(inputs, COMMAND, target, runner, id=chosen_id)
    outcome = publisher(inputs, target, runner, log).unregister(chosen_id, message)
    # The file removed is named by the spelling the index listed, which may differ in case.
    removed = manifest_path(outcome.plugin_id or chosen_id)
    base = target.base_url.rstrip("/") if target.base_url else None
    manifest_url = f"{base}/{removed}" if base else None
    return Result(
        outcome,
        COMMAND.name,
        target.store.description,
        manifest_url,
        registry_url_of(target),
        store=target.store,
    )


COMMAND = Command(
    "unregister",
    "remove a plugin from the registry",
    unregister,
    takes=WRITE_INPUTS | {"plugin_id", "maps"},
    message="Remove plugin: {id}",
    done="unregistered",
    unchanged="is not registered in {registry}: nothing written",
)
