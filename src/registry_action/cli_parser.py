"""The command line: one sub-command per command, each with only the flags it takes.

Flags come from the declarations of the inputs and sub-commands from the table of commands, so
neither is written here. A mistake on the command line is one line with the way to the
sub-command's help, exit status 2, as for other command-line tools. Flags are never guessed
from a prefix: ``--to`` is no ``--timeout``, and ``--token ghp_...`` no ``--token-env``.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from registry_action import __version__
from registry_action.commands import COMMANDS
from registry_action.commands.base import Command
from registry_action.settings.inputs import Inputs, declared, input_name, shown_default
from registry_action.settings.spelling import TOKEN_HOWTO, TOKEN_VARIABLES

PROG = "registry-action"
# Flags of every sub-command that are not settings: how the run is shown.
OUTPUT_FLAGS = {"--json", "--quiet", "-q"}


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
        allow_abbrev=False,
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS.values():
        sub = commands.add_parser(
            command.name, help=command.help, description=command.help, allow_abbrev=False
        )
        _add_flags(sub, command)
    return top


def _add_flags(sub: argparse.ArgumentParser, command: Command) -> None:
    uses = dict(declared())
    for field in flags_of(command):
        use = uses[field]
        help_text = use.help_for(command.name) + _default_text(field, command)
        if Inputs.model_fields[field].default is False:  # a switch: given means true
            sub.add_argument(
                f"--{input_name(field)}", action="store_true", default=None, help=help_text
            )
        else:
            sub.add_argument(f"--{input_name(field)}", metavar=use.metavar, help=help_text)
    if "token" in command.takes:
        sub.add_argument(
            "--token-env",
            metavar="NAME",
            help=f"environment variable holding the GitHub token (default: {TOKEN_VARIABLES[0]}, "
            f"else {TOKEN_VARIABLES[1]}); a token is never taken on the command line, where "
            "other users could see it",
        )
    sub.add_argument(
        "--json",
        action="store_true",
        help="print the result on stdout as one JSON document (the action's outputs); "
        "everything else goes to stderr",
    )
    sub.add_argument("-q", "--quiet", action="store_true", help="print only warnings and errors")


def _default_text(field: str, command: Command) -> str:
    """`` (default: ...)`` for the help, or nothing when the flag has no default to show."""
    if field == "commit_message":
        return f" (default: {command.message})"
    use = dict(declared())[field]
    if "(default: " in dict(use.helps).get(command.name, ""):
        return ""  # the command's own help for the flag says its own default
    default, shown = Inputs.model_fields[field].default, use.shown
    if default is None and shown in (None, "required"):
        return ""
    return f" (default: {shown_default(field).replace('`', '')})"


def parse(arguments: Sequence[str]) -> argparse.Namespace:
    """The parsed command line; UsageError for anything it cannot run."""
    _check_command(arguments)
    args, extra = parser().parse_known_args(arguments)
    if extra:
        raise _unexpected(args.command, extra[0])
    if args.command is None:
        raise UsageError("no command given", PROG)
    return args


def _check_command(arguments: Sequence[str]) -> None:
    """UsageError for a first word that is no command, with the command it may mean."""
    word = next((a for a in arguments if not a.startswith("-")), None)
    if word is None or word in COMMANDS:
        return
    close = difflib.get_close_matches(word, COMMANDS, n=1)
    hint = f"did you mean `{PROG} {close[0]}`?" if close else f"choose from {', '.join(COMMANDS)}"
    raise UsageError(f"unknown command {word!r} ({hint})", PROG)


def _unexpected(command: str | None, argument: str) -> UsageError:
    prog = f"{PROG} {command}" if command else PROG
    if not argument.startswith("-"):
        return UsageError(f"unexpected argument {argument!r}", prog)
    flag = argument.split("=", 1)[0]
    if flag == "--token":  # its value is never echoed: it may be a token
        return UsageError(
            f"`{prog}` takes no token on the command line, where other users of this machine "
            f"could read it: {TOKEN_HOWTO}",
            prog,
        )
    takers = [c.name for c in COMMANDS.values() if flag in _flags(c)]
    if not takers:
        known = sorted(_flags(COMMANDS[command])) if command else []
        close = difflib.get_close_matches(flag, known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return UsageError(f"unknown flag {flag}{hint}", prog)
    verb = "does" if len(takers) == 1 else "do"
    return UsageError(f"`{prog}` does not take {flag} (only {', '.join(takers)} {verb})", prog)


def _flags(command: Command) -> set[str]:
    own = {f"--{input_name(field)}" for field in flags_of(command)}
    return own | OUTPUT_FLAGS | ({"--token-env"} if "token" in command.takes else set())


def values(args: argparse.Namespace, env: Mapping[str, str]) -> tuple[dict[str, Any], str | None]:
    """The settings the command line gives, by field name, and the variable the token is from.

    The token is read as gh reads it: from the variable ``--token-env`` names, else GH_TOKEN,
    else GITHUB_TOKEN (else INPUT_TOKEN, as the container's runner passes it).
    """
    found: dict[str, Any] = {"command": args.command}
    for field in flags_of(COMMANDS[args.command]):
        value = getattr(args, field)
        if value not in (None, ""):
            found[field] = value
    if args.registry_dir is not None or "token" not in COMMANDS[args.command].takes:
        return found, None
    given = getattr(args, "token_env", None)
    for name in (given,) if given else (*TOKEN_VARIABLES, "INPUT_TOKEN"):
        if env.get(name):
            found["token"] = env[name]
            return found, name
    return found, given
