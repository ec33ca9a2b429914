"""The history command: the versions a plugin was registered at, newest first, from the registry's
git history. It writes nothing."""

from __future__ import annotations

from registry_action.commands.base import Command, Log, Result, plugin_id
from registry_action.commands.target import REGISTRY_INPUTS, open_target, registry_url_of
from registry_action.core.documents import REGISTRY_PATH, load_registry, manifest_path
from registry_action.core.registry import registered_id
from registry_action.engine.history import PluginHistory, Registration
from registry_action.engine.outcome import Outcome
from registry_action.settings.inputs import Inputs
from registry_action.settings.runner import Runner
from registry_action.store.interface import RegistryStore


def history(inputs: Inputs, runner: Runner, log: Log) -> Result:
    """List the plugin's registrations, newest first; writes nothing."""
    chosen_id = plugin_id(inputs, runner)
    target = open_target(inputs, runner, log)
    listed_id = listed_spelling(target.store, chosen_id)
    path = manifest_path(listed_id)
    reader = PluginHistory(target.store, path, target.deadline)
    found = tuple(reader)
    for line in history_lines(found):
        log(line)
    base = target.base_url.rstrip("/") if target.base_url else None
    return Result(
        Outcome(plugin_id=listed_id, warnings=tuple(reader.warnings)),
        COMMAND.name,
        target.store.description,
        f"{base}/{path}" if base else None,
        registry_url_of(target),
        store=target.store,
        history=found,
    )


def listed_spelling(store: RegistryStore, plugin_id: str) -> str:
    """The id as the index spells it (its file's name), else as given."""
    stored = store.read(REGISTRY_PATH)
    if stored is None:
        return plugin_id
    return registered_id(load_registry(REGISTRY_PATH, stored.content), plugin_id)


def history_lines(found: tuple[Registration, ...]) -> list[str]:
    """One line per registration: version, commit, date and the run that made it."""
    width = max((len(registration.version) for registration in found), default=0)
    return [
        f"{r.version:<{width}}  {r.commit[:7]}  {r.date}  {r.run or ''}".rstrip() for r in found
    ]


COMMAND = Command(
    "history",
    "list the versions a plugin was registered at, newest first",
    history,
    takes=REGISTRY_INPUTS | {"plugin_id"},
)
