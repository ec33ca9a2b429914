"""Which version is being registered: the input, else the version file, else the tag."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cmp_to_key
from pathlib import Path

from registry_action.core import strictjson
from registry_action.core.models import is_semver
from registry_action.errors import DowngradeError, InputError
from registry_action.settings.spelling import advise, named, setting
from registry_action.settings.workspace import decode, read_file

_TAG = re.compile(r"^refs/tags/v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?)$")


def normalise(version: str, source: str) -> str:
    """``v1.2.3`` -> ``1.2.3``; anything that is not a semantic version is an InputError."""
    candidate = version[1:] if re.match(r"^[vV]\d", version) else version
    if not is_semver(candidate):
        raise InputError(
            f"{source} {version!r} is not a semantic version (MAJOR.MINOR.PATCH such as 1.2.3, "
            "optionally with -prerelease or +build)"
        )
    return candidate


def resolve_version(
    given: str | None,
    version_file: Path,
    file_is_default: bool,
    ref: str | None,
    *,
    workspace: Path | None = None,
) -> str:
    """The version input, else ``version`` in the version file, else a ``vX.Y.Z`` tag.

    With ``workspace``, the version file must lie inside it.
    """
    if given:
        return normalise(given, named("version"))
    from_file = _from_file(version_file, required=not file_is_default, workspace=workspace)
    if from_file is not None:
        return normalise(from_file, f"the version in {version_file.name}")
    match = _TAG.fullmatch(ref or "")
    if match:
        return normalise(match.group(1), f"the tag in GITHUB_REF {ref}")
    raise InputError(
        f'no version to register: {advise("version")}, put a "version" in '
        f"{version_file.name}, or run on a tag such as v1.2.3"
    )


def _from_file(path: Path, *, required: bool, workspace: Path | None) -> str | None:
    what = named("version-file")
    try:
        text = decode(read_file(path, what, within=workspace), path, what)
    except FileNotFoundError:
        if required:
            raise InputError(f"{what}: {path} does not exist") from None
        return None
    try:
        document = strictjson.parse(text, f"{what}: {path}")
    except strictjson.NotJSONError as exc:
        raise InputError(str(exc)) from None
    version = document.get("version") if isinstance(document, dict) else None
    if version is None:
        if required:
            raise InputError(f'{named("version-file")}: {path} has no "version" field')
        return None
    if not isinstance(version, str):
        raise InputError(f'{named("version-file")}: "version" in {path} is not a string')
    return version


def compare(left: str, right: str) -> int:
    """-1, 0 or 1 as ``left`` sorts before, with or after ``right`` in semantic-version order.

    Pre-releases sort before their release (``1.0.0-rc.1 < 1.0.0``) and build metadata is
    ignored, as the specification says; the ``semver`` library does the ordering.
    """
    if left == right:
        return 0  # the common re-registration needs no parsing (nor the import)
    import semver  # loaded only when two versions differ

    result: int = semver.Version.parse(left).compare(right)
    return result


def guard_version(
    plugin_id: str, version: str, registered: Mapping[str, str], *, allow_downgrade: bool
) -> str | None:
    """Refuse a version lower than a registered one; the same version is fine.

    ``registered`` maps where a version was found (``registry.json``, ``plugins/<id>.json``)
    to that version. With ``allow_downgrade`` a downgrade goes ahead and a warning says so.
    """
    higher = [(where, found) for where, found in registered.items() if compare(version, found) < 0]
    if not higher:
        return None
    where, top = max(higher, key=cmp_to_key(_compare_found))
    if allow_downgrade:
        on = setting("allow-downgrade", "true")
        return f"{plugin_id} goes down from {top} (in {where}) to {version}: {on} is given"
    raise DowngradeError(
        f"refusing to register {plugin_id} {version}: {where} already has the higher version "
        f"{top}; register {top} or later, or {advise('allow-downgrade', 'true')} to go back"
    )


def _compare_found(left: tuple[str, str], right: tuple[str, str]) -> int:
    return compare(left[1], right[1])
