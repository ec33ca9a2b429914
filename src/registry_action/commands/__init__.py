"""The commands: each one's name, help, default commit message and function, said once.

The settings model, the CLI's sub-commands, the run and the report read this table, so adding
a command is one entry here plus its function. It imports nothing heavy: the CLI builds its
parser from it before anything else is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass(frozen=True)
class CommandInfo:
    """One command of the action (``command:``) and of the CLI (its sub-command)."""

    name: str
    help: str
    done: str  # the headline's verb when it changed something: "calendar 1.4.2 registered"
    message: str | None  # default commit message (placeholders allowed); None: never commits
    function: str  # "module:function", loaded when the command runs

    def load(self) -> Callable[..., Any]:
        """The function that runs the command."""
        module, _, name = self.function.partition(":")
        function: Callable[..., Any] = getattr(import_module(module), name)
        return function


_TABLE = (
    CommandInfo(
        "register",
        "render the plugin's manifest and register it",
        "registered",
        "Update plugin: {id}",
        "registry_action.commands.common:register",
    ),
    CommandInfo(
        "unregister",
        "remove a plugin from the registry",
        "unregistered",
        "Remove plugin: {id}",
        "registry_action.commands.common:unregister",
    ),
    CommandInfo(
        "validate",
        "check the registry and every manifest, reporting every problem",
        "checked",
        None,
        "registry_action.commands.validate:validate",
    ),
    CommandInfo(
        "reindex",
        "rebuild registry.json from plugins/*.json",
        "rebuilt",
        "Reindex registry",
        "registry_action.commands.common:reindex",
    ),
)
COMMANDS: dict[str, CommandInfo] = {command.name: command for command in _TABLE}
DEFAULT_COMMAND = "register"
