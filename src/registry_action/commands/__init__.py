"""The commands, each declared by its own module; the table and the run are built from them.

Adding a command is a module here that declares ``COMMAND``, its entry in ``COMMANDS``, and its
line in ``action.yml`` and the README (a test holds those to this table).
"""

from __future__ import annotations

from dataclasses import replace

from registry_action.commands.base import Command, Log, Result
from registry_action.commands.history import COMMAND as HISTORY
from registry_action.commands.promote import COMMAND as PROMOTE
from registry_action.commands.register import COMMAND as REGISTER
from registry_action.commands.reindex import COMMAND as REINDEX
from registry_action.commands.rollback import COMMAND as ROLLBACK
from registry_action.commands.unregister import COMMAND as UNREGISTER
from registry_action.commands.validate import COMMAND as VALIDATE
from registry_action.errors import InputError
from registry_action.settings.inputs import Inputs, input_name
from registry_action.settings.runner import Runner
from registry_action.settings.spelling import named

COMMANDS: dict[str, Command] = {
    c.name: c for c in (REGISTER, UNREGISTER, VALIDATE, REINDEX, HISTORY, ROLLBACK, PROMOTE)
}


def lookup(name: str) -> Command:
    """The command called ``name``; InputError naming every command otherwise."""
    try:
        return COMMANDS[name]
    except KeyError:
        raise InputError(
            f"{named(input_name('command'))} must be one of {', '.join(COMMANDS)}, not {name!r}"
        ) from None


def run(inputs: Inputs, runner: Runner, log: Log) -> Result:
    """Run the command the inputs name."""
    result = lookup(inputs.command).run(inputs, runner, log)
    # What the store found out about where the registry is (a renamed repository) comes first.
    notices = result.store.notices if result.store is not None else ()
    if not notices:
        return result
    warnings = notices + result.outcome.warnings
    return replace(result, outcome=replace(result.outcome, warnings=warnings))
