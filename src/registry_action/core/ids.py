"""What a plugin id means beyond its characters: the container a dashboard loads, the file. Pure.

A dashboard looks the plugin's Module Federation container up at ``window[<id without any
character but letters and digits>]``, so two ids that differ only in ``.``, ``_`` or ``-`` load
the same container and one plugin replaces the other. An id names a file, ``plugins/<id>.json``:
Windows reserves device names (``con``, ``nul``, ``com1``...) with any extension, and a
registry holding one cannot be checked out there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from registry_action.errors import InputError

# The names git for Windows refuses in a path (compat/mingw.c, is_valid_win32_path), whatever
# follows their first dot.
WINDOWS_DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{digit}" for digit in range(1, 10)}
    | {f"lpt{digit}" for digit in range(1, 10)}
)
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


def container_name(plugin_id: str) -> str:
    """The name of the window property a dashboard loads the plugin's container from."""
    return _NOT_ALPHANUMERIC.sub("", plugin_id)


def device_name(plugin_id: str) -> str | None:
    """The Windows device name ``plugin_id`` (and so its file) is, upper-cased; None if none."""
    stem = plugin_id.partition(".")[0].lower()
    return stem.upper() if stem in WINDOWS_DEVICE_NAMES else None


def device_name_text(plugin_id: str) -> str | None:
    """What is wrong with an id that is a Windows device name; None for any other id."""
    device = device_name(plugin_id)
    if device is None:
        return None
    return (
        f"the plugin id {plugin_id!r} is the Windows device name {device}: a registry holding "
        f"plugins/{plugin_id}.json cannot be checked out on Windows"
    )


def sharing_container(ids: Iterable[str], plugin_id: str) -> str | None:
    """The first of ``ids`` (not ``plugin_id`` in any case) that loads ``plugin_id``'s container."""
    name = container_name(plugin_id)
    return next(
        (
            other
            for other in ids
            if container_name(other) == name and other.casefold() != plugin_id.casefold()
        ),
        None,
    )


def check_container(ids: Iterable[str], plugin_id: str) -> None:
    """InputError when ``plugin_id`` would load the container of another of ``ids``."""
    other = sharing_container(ids, plugin_id)
    if other is None:
        return
    raise InputError(
        f"the plugin id {plugin_id!r} loads the same Module Federation container as the plugin "
        f"{other!r} (window.{container_name(plugin_id)}: dashboards keep only the letters and "
        "digits of an id), so one would replace the other: choose an id that differs from it in "
        "a letter or digit"
    )
