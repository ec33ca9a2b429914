"""The rollback command: restore a plugin's manifest and index entry to an earlier registration."""

from __future__ import annotations

from registry_action.commands.base import (
    WRITE_INPUTS,
    Command,
    Log,
    Result,
    commit_message,
    plugin_id,
    run_options,
)
from registry_action.commands.target import open_target, registry_url_of
from registry_action.core.versions import normalise
from registry_action.engine.rollback import Rollback, roll_back
from registry_action.settings.inputs import Inputs
from registry_action.settings.runner import Runner
from registry_action.settings.spelling import named


def rollback(inputs: Inputs, runner: Runner, log: Log) -> Result:
    """Restore the version asked for (default: the one before), in one commit."""
    chosen_id = plugin_id(inputs, runner)
    version = normalise(inputs.version, named("version")) if inputs.version else None
    target = open_target(inputs, runner, log)

    def message(listed_id: str, restored: str) -> str:
        return commit_message(inputs, COMMAND, target, runner, id=listed_id, version=restored)

    asked = Rollback(chosen_id, version, target.base_url, message)
    outcome = roll_back(target.store, run_options(inputs, target, runner, log), asked)
    return Result(
        outcome,
        COMMAND.name,
        target.store.description,
        (outcome.manifest or {}).get("manifestUrl"),
        registry_url_of(target),
        store=target.store,
    )


COMMAND = Command(
    "rollback",
    "restore a plugin's manifest and index entry to an earlier registered version",
    rollback,
    takes=WRITE_INPUTS | {"plugin_id", "version", "manifest_urls", "maps"},
    message="Roll back plugin: {id} to {version}",
    done="restored",
    unchanged="is already the registered version in {registry}: nothing written",
)
