"""Checks of what breaks a dashboard though each file is valid on its own.

A dashboard fetches each entry's ``manifestUrl`` and loads the Module Federation container at
``window[<id without any character but letters and digits>]``. So a manifest whose
``manifestUrl`` names another file shows another plugin (or none), and two ids that differ
only in ``.``, ``_`` or ``-`` load the same container: one plugin replaces the other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from registry_action.core.documents import REGISTRY_PATH

if TYPE_CHECKING:
    from registry_action.core.validation import Checked, Problem

_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


def container_name(plugin_id: str) -> str:
    """The name of the window property a dashboard loads the plugin's container from."""
    return _NOT_ALPHANUMERIC.sub("", plugin_id)


def manifest_url_problem(checked: Checked, base_url: str | None) -> Problem | None:
    """An error when a valid manifest's ``manifestUrl`` is not where the file itself is.

    Without the registry's base URL (a folder with no repository named) only the end of the
    URL, ``plugins/<file>.json``, can be checked.
    """
    from registry_action.core.validation import Problem

    url = checked.document["manifestUrl"]
    expected = f"{base_url.rstrip('/')}/{checked.path}" if base_url else None
    if url == expected or (expected is None and url.endswith(f"/{checked.path}")):
        return None
    where = f"this file is fetched from {expected}" if expected else f"this file is {checked.path}"
    return Problem(
        "error",
        checked.path,
        checked.line("manifestUrl"),
        f"manifestUrl is {url} but {where}: dashboards would load another manifest; "
        "register the plugin again or correct it",
    )


def container_collisions(
    checked: Checked, entries: Sequence[tuple[int, Mapping[str, Any]]]
) -> list[Problem]:
    """An error for each listed id whose container an earlier, different id already names."""
    from registry_action.core.validation import Problem

    first: dict[str, tuple[str, int | None]] = {}
    problems: list[Problem] = []
    for index, entry in entries:
        plugin_id = entry.get("id")
        if not isinstance(plugin_id, str):
            continue
        line = checked.line("plugins", index, "id")
        name = container_name(plugin_id)
        earlier = first.setdefault(name, (plugin_id, line))
        if earlier[0].lower() == plugin_id.lower():
            continue  # the same id again is reported as a duplicate
        problems.append(
            Problem(
                "error",
                REGISTRY_PATH,
                line,
                f"the ids {earlier[0]!r} (line {earlier[1]}) and {plugin_id!r} load the same "
                f"Module Federation container window.{name} (dashboards keep only the letters "
                "and digits of an id): one plugin would replace the other; unregister one and "
                "register it under an id that differs in a letter or digit",
            )
        )
    return problems
