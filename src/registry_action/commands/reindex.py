"""The reindex command: rebuild ``registry.json`` from the manifests under ``plugins/``."""

from __future__ import annotations

from registry_action.commands.base import (
    WRITE_INPUTS,
    Command,
    Log,
    Result,
    commit_message,
    publisher,
)
from registry_action.commands.target import open_target, registry_url_of
from registry_action.core.documents import REGISTRY_PATH
from registry_action.settings.inputs import Inputs
from registry_action.settings.runner import Runner


def reindex(inputs: Inputs, runner: Runner, log: Log) -> Result:
    """Rebuild ``registry.json`` from the manifests under ``plugins/``."""
    target = open_target(inputs, runner, log)
    message = commit_message(inputs, COMMAND, target, runner)
    outcome = publisher(inputs, target, runner, log).reindex(message)
    return Result(
        outcome,
        COMMAND.name,
        target.store.description,
        None,
        registry_url_of(target),
        store=target.store,
        label=REGISTRY_PATH,
    )


COMMAND = Command(
    "reindex",
    "rebuild registry.json from plugins/*.json",
    reindex,
    takes=WRITE_INPUTS | {"manifest_urls", "maps"},
    message="Reindex registry",
    done="rebuilt",
)
