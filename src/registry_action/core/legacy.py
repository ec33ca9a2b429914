"""Forms the registry's documents are read in but never written in: what to warn, how to convert.

Registries written by a clone-and-push script carry timestamps with microseconds, manifests
whose ``lastUpdated`` is the unexpanded text ``$(date -u +%Y-%m-%dT%H:%M:%S.000Z)``, and a
``registry.json`` with its keys in another order. Dashboards read them all, so they are
warnings, not damage; ``command: reindex`` (or the next write of the file) brings them to the
contract's form. Pure: documents in, findings and converted documents out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from registry_action.core.models import UNEXPANDED_DATE, is_canonical_timestamp, normalised
from registry_action.core.registry import TOP_LEVEL_ORDER, in_contract_order
from registry_action.settings.spelling import setting


def _fix() -> str:
    return f"{setting('command', 'reindex')} converts the registry in one run"


@dataclass(frozen=True)
class LegacyForm:
    """One value in a form that is read but not written, and what to do about it."""

    where: tuple[str, ...]
    message: str


def _stamp_form(document: Mapping[str, Any], next_write: str) -> list[LegacyForm]:
    stamp = document.get("lastUpdated")
    if not isinstance(stamp, str) or is_canonical_timestamp(stamp):
        return []
    if stamp == UNEXPANDED_DATE:
        what = f"lastUpdated is the shell text {stamp!r}, never expanded to a time"
    else:
        what = f"lastUpdated {stamp!r} is not in the form written (2024-01-20T12:00:00.000Z)"
    return [LegacyForm(("lastUpdated",), f"{what}: {next_write}, or {_fix()}")]


def registry_forms(document: object) -> list[LegacyForm]:
    """The legacy forms of a ``registry.json`` document the schema accepts."""
    if not isinstance(document, dict):
        return []
    forms = _stamp_form(document, "the next registration rewrites it")
    if list(document) != list(in_contract_order(document)):
        found = ", ".join(k for k in document if k in TOP_LEVEL_ORDER)
        forms.append(
            LegacyForm(
                (),
                f"the keys are in the order {found}, not {', '.join(TOP_LEVEL_ORDER)}: "
                f"the next registration writes them in order, or {_fix()}",
            )
        )
    return forms


def manifest_forms(document: object) -> list[LegacyForm]:
    """The legacy forms of a manifest document the schema accepts."""
    if not isinstance(document, dict):
        return []
    return _stamp_form(document, "the plugin's next registration replaces it")


def converted_registry(document: Mapping[str, Any], now: str) -> dict[str, Any] | None:
    """``registry.json`` in the contract's form, the same moment kept; None if already so."""
    if not registry_forms(document):
        return None
    stamp = normalised(document["lastUpdated"]) or now
    return in_contract_order({**document, "lastUpdated": stamp})


def converted_manifest(
    document: Mapping[str, Any], last_changed: Callable[[], str]
) -> dict[str, Any] | None:
    """A manifest in the contract's form; None if already so.

    A stamp naming no moment (the unexpanded text) becomes ``last_changed()``: when the
    manifest was last committed, where the store can tell, else the time of the run.
    """
    if not manifest_forms(document):
        return None
    stamp = normalised(document["lastUpdated"]) or last_changed()
    return {**document, "lastUpdated": stamp}
