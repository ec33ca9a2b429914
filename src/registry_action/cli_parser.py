"""The command line: one sub-command per command, each with only the flags it takes.

Flags come from the declarations of the inputs and sub-commands from the table of commands, so
neither is written here. A mistake on the command line is one line with the way to the
sub-command's help, exit status 2, as for other command-line tools.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from registry_action import __version__
from registry_action.commands import COMMANDS
from registry_action.commands.base import Command
from registry_action.settings.inputs import Inputs, declared, input_name, shown_default

PROG = "registry-action"
TOKEN_ENV = "GITHUB_TOKEN"  # noqa: S105  (the name of a variable, not a secret)


class UsageError(Exception):
    """A command line that cannot be run: the message and the help to point to."""

    def __init__(self, message: str, prog: str) -> None:
        super().__init__(message)
        self.message = f"{message}; see `{prog} --help`"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.prog)


def flags_of(command: Command) -> list[str]:
    """The fields that ``command``'s sub-command takes as flags."""
    return [field for field, use in declared() if use.flag and field in command.takes]


def parser() -> argparse.ArgumentParser:
    """The parser of ``registry-action`` and its sub-commands."""
    top = _Parser(
        prog=PROG,
        description="Register dashboard plugins in a plugin-registry repository. With no "
        "command, read the action's INPUT_* variables from the environment, as the container does.",
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    uses = dict(declared())
    for command in COMMANDS.values():
        sub = commands.add_parser(command.name, help=command.help, description=command.help)
        for field in flags_of(command):
            help_text = uses[field].help + _default_text(field, command)
            if Inputs.model_fields[field].default is False:  # a switch: given means true
                sub.add_argument(
                    f"--{input_name(field)}", action="store_true", default=None, help=help_text
                )
            else:
                sub.add_argument(f"--{input_name(field)}", metavar="VALUE", help=help_text)
        if "token" in command.takes:
            sub.add_argument(
                "--token-env",
                default=TOKEN_ENV,
                metavar="NAME",
                help=f"environment variable holding the GitHub token (default: {TOKEN_ENV}); "
                "a token is never taken on the command line, where other users could see it",
            )
    return top


def _default_text(field: str, command: Command) -> str:
    """`` (default: ...)`` for the help, or nothing when the flag has no default to show."""
    if field == "commit_message":
        return f" (default: {command.message})"
    default, shown = Inputs.model_fields[field].default, dict(declared())[field].shown
    if default is None and shown in (None, "required"):
        return ""
    return f" (default: {shown_default(field).replace('`', '')})"


def parse(arguments: Sequence[str]) -> argparse.Namespace:
    """The parsed command line; UsageError for anything it cannot run."""
    args, extra = parser().parse_known_args(arguments)
    if extra:
        raise _unexpected(args.command, extra[0])
    if args.command is None:
        raise UsageError("no command given", PROG)
    return args


def _unexpected(command: str | None, argument: str) -> UsageError:
    prog = f"{PROG} {command}" if command else PROG
    if not argument.startswith("-"):
        return UsageError(f"unexpected argument {argument!r}", prog)
    flag = argument.split("=", 1)[0]
    takers = [c.name for c in COMMANDS.values() if f"--{flag.lstrip('-')}" in _flags(c)]
    if not takers:
        return UsageError(f"unknown flag {flag}", prog)
    verb = "does" if len(takers) == 1 else "do"
    return UsageError(f"`{prog}` does not take {flag} (only {', '.join(takers)} {verb})", prog)


def _flags(command: Command) -> set[str]:
    return {f"--{input_name(field)}" for field in flags_of(command)} | {"--token-env"}


def values(args: argparse.Namespace, env: Mapping[str, str]) -> dict[str, Any]:
    """The settings the command line gives, by field name; the token from the environment."""
    found: dict[str, Any] = {"command": args.command}
    for field in flags_of(COMMANDS[args.command]):
        value = getattr(args, field)
        if value not in (None, ""):
            found[field] = value
    token_env = getattr(args, "token_env", TOKEN_ENV)
    token = env.get(token_env) or env.get("INPUT_TOKEN")
    if token and args.registry_dir is None:
        found["token"] = token
    return found
