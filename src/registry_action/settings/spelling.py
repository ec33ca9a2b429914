"""Messages name a setting as the interface in use spells it.

In a workflow a setting is an input under ``with:`` (``allow-downgrade: true``); on a terminal
it is a flag (``--allow-downgrade``), and the token comes from GH_TOKEN, GITHUB_TOKEN or the
variable ``--token-env`` names. The console script says which interface is in use before
anything else runs, then where the token came from and whether the command only reads the
registry (which permission messages ask for); every message that tells the user what to set
asks here how to write it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Literal

Interface = Literal["actions", "cli"]
Access = Literal["read", "write"]
# Where the CLI looks for a token, in gh's order, when `--token-env` names no variable.
TOKEN_VARIABLES = ("GH_TOKEN", "GITHUB_TOKEN")
# Not a secret: what to do when the CLI has no token.
TOKEN_HOWTO = "export GITHUB_TOKEN (or GH_TOKEN) or use --token-env NAME"  # noqa: S105


@dataclass(frozen=True)
class _Speech:
    interface: Interface = "actions"
    token_variable: str | None = None  # the variable the CLI takes the token from
    access: Access = "write"  # what the command does to the registry: the permission it needs


_SPEECH: ContextVar[_Speech] = ContextVar("speech", default=_Speech())  # noqa: B039 (frozen)


@contextmanager
def speaking(interface: Interface) -> Iterator[None]:
    """Spell settings for ``interface`` while the block runs."""
    token = _SPEECH.set(_Speech(interface))
    try:
        yield
    finally:
        _SPEECH.reset(token)


def token_taken_from(variable: str) -> None:
    """Say, until the ``speaking`` block ends, which variable the CLI takes the token from."""
    _SPEECH.set(replace(_SPEECH.get(), token_variable=variable))


def needing(access: Access) -> None:
    """Say, until the ``speaking`` block ends, whether the command reads or writes the registry."""
    _SPEECH.set(replace(_SPEECH.get(), access=access))


def on_cli() -> bool:
    """Whether the user typed a command line (rather than wrote a workflow step)."""
    return _SPEECH.get().interface == "cli"


def permission() -> str:
    """The permission the command needs on the registry: ``contents: read`` or ``: write``."""
    return f"`contents: {_SPEECH.get().access}`"


def token_variable() -> str | None:
    """The variable the CLI reads the token from, when one is known."""
    return _SPEECH.get().token_variable


def _token_on_cli() -> str:
    variable = _SPEECH.get().token_variable
    if variable:
        return f"the token in {variable}"
    return "the token (GH_TOKEN, else GITHUB_TOKEN, or the variable `--token-env` names)"


def setting(name: str, value: str | None = None) -> str:
    """The setting ``name`` (given ``value``) as the user writes it, in backticks.

    ``setting("allow-downgrade", "true")`` is ```allow-downgrade: true``` in Actions and
    ```--allow-downgrade``` on the command line.
    """
    if not on_cli():
        return f"`{name}: {value}`" if value is not None else f"`{name}`"
    if name == "token":
        return _token_on_cli()
    if name == "command":
        return f"`registry-action {value}`" if value else "the sub-command"
    if value is None or value == "true":
        return f"`--{name}`"
    return f"`--{name} {value}`"


def named(name: str) -> str:
    """The subject of a message about a setting: ``input `x``` or ```--x```."""
    if not on_cli():
        return f"input `{name}`"
    return _token_on_cli() if name == "token" else f"`--{name}`"


def token_advice() -> str:
    """Where to put a valid token."""
    if not on_cli():
        return "pass a valid token in the `token` input"
    variable = _SPEECH.get().token_variable
    return f"put a valid token in {variable}" if variable else TOKEN_HOWTO


def advise(name: str, value: str | None = None) -> str:
    """What to do, imperative: ``set `x: v``` in Actions, ``pass `--x v``` on the CLI."""
    if on_cli() and name == "command":
        return f"run {setting(name, value)}"
    return f"{'pass' if on_cli() else 'set'} {setting(name, value)}"
