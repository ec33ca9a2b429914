"""Messages name a setting as the interface in use spells it.

In a workflow a setting is an input under ``with:`` (``allow-downgrade: true``); on a terminal
it is a flag (``--allow-downgrade``), and the token comes from the variable ``--token-env``
names. The console script says which interface is in use before anything else runs; every
message that tells the user what to set asks here how to write it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

Interface = Literal["actions", "cli"]
_INTERFACE: ContextVar[Interface] = ContextVar("interface", default="actions")
# Not a secret: how a message names where the CLI reads the token from.
_TOKEN_ON_CLI = "the token (from the variable `--token-env` names, GITHUB_TOKEN by default)"  # noqa: S105


@contextmanager
def speaking(interface: Interface) -> Iterator[None]:
    """Spell settings for ``interface`` while the block runs."""
    token = _INTERFACE.set(interface)
    try:
        yield
    finally:
        _INTERFACE.reset(token)


def on_cli() -> bool:
    """Whether the user typed a command line (rather than wrote a workflow step)."""
    return _INTERFACE.get() == "cli"


def setting(name: str, value: str | None = None) -> str:
    """The setting ``name`` (given ``value``) as the user writes it, in backticks.

    ``setting("allow-downgrade", "true")`` is ```allow-downgrade: true``` in Actions and
    ```--allow-downgrade``` on the command line.
    """
    if not on_cli():
        return f"`{name}: {value}`" if value is not None else f"`{name}`"
    if name == "token":
        return _TOKEN_ON_CLI
    if name == "command":
        return f"`registry-action {value}`" if value else "the sub-command"
    if value is None or value == "true":
        return f"`--{name}`"
    return f"`--{name} {value}`"


def named(name: str) -> str:
    """The subject of a message about a setting: ``input `x``` or ```--x```."""
    if not on_cli():
        return f"input `{name}`"
    return _TOKEN_ON_CLI if name == "token" else f"`--{name}`"


def token_advice() -> str:
    """Where to put a valid token."""
    if on_cli():
        return "put a valid token in the variable `--token-env` names (GITHUB_TOKEN by default)"
    return "pass a valid token in the `token` input"


def advise(name: str, value: str | None = None) -> str:
    """What to do, imperative: ``set `x: v``` in Actions, ``pass `--x v``` on the CLI."""
    if on_cli() and name == "command":
        return f"run {setting(name, value)}"
    return f"{'pass' if on_cli() else 'set'} {setting(name, value)}"
