"""A plugin's registrations, read from the registry's history; the commit trailer naming a run.

Part of the engine: it works on the RegistryStore port only. Every commit that changed
``plugins/<id>.json`` and left a manifest there is a registration: its version, the commit,
when it was made, and the workflow run that made it when the commit message names one in its
``Workflow-Run:`` trailer (which every commit of this program carries when the runner says
which run it is), or, for a registration another run committed with its own (a parked one),
in that commit's ``Registration-Run:`` trailer for the plugin. History is read lazily, newest
first, until the caller has what it needs or the run's deadline passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from registry_action.core.documents import load_manifest
from registry_action.core.models import timestamp
from registry_action.errors import DamagedFileError
from registry_action.store.interface import Deadline, RegistryStore

RUN_TRAILER = "Workflow-Run"
CARRIED_TRAILER = "Registration-Run"
# What a trailer's value must be to be shown: a workflow run's web address, nothing else.
_RUN_URL = re.compile(r"https?://[^\s/]+(?:/[^\s/]+)*/actions/runs/[0-9]+")


def with_run(message: str, run_url: str | None) -> str:
    """``message`` with a trailer naming the workflow run ``run_url``, when there is one."""
    if run_url is None:
        return message
    return f"{message.rstrip()}\n\n{RUN_TRAILER}: {run_url}"


def with_carried(message: str, carried: list[tuple[str, str | None]]) -> str:
    """``message`` of a commit that also carries other runs' registrations (parked ones,
    engine/entries.py): a ``Registration-Run: <id> <run>`` trailer for each (``<id>`` alone
    when its run is not known), beside this run's own."""
    if not carried:
        return message
    lines = [f"{CARRIED_TRAILER}: {plugin_id} {run or ''}".rstrip() for plugin_id, run in carried]
    text = message.rstrip()
    joined = "\n" if _trailers(text) else "\n\n"
    return text + joined + "\n".join(lines)


def run_of(message: str, plugin_id: str | None = None) -> str | None:
    """The workflow run a commit message names in its trailer (its last paragraph) for the
    registration of ``plugin_id``: its ``Registration-Run`` when the commit carried it for
    another run, else the commit's own ``Workflow-Run``; None when it names none."""
    own = None
    for key, value in reversed(_trailers(message)):
        if key == CARRIED_TRAILER and plugin_id is not None:
            named, _, run = value.partition(" ")
            if named == plugin_id:
                return run.strip() if _RUN_URL.fullmatch(run.strip()) else None
        if key == RUN_TRAILER and own is None and _RUN_URL.fullmatch(value):
            own = value
    return own


def _trailers(message: str) -> list[tuple[str, str]]:
    """The ``key: value`` lines of a message's last paragraph, when it is one of trailers."""
    found = []
    for line in message.strip().split("\n\n")[-1].splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip() in (RUN_TRAILER, CARRIED_TRAILER):
            found.append((key.strip(), value.strip()))
    return found


@dataclass(frozen=True)
class Registration:
    """A version of a plugin as one commit registered it."""

    version: str
    commit: str
    date: str  # the commit's time, in the registry's timestamp form
    run: str | None  # the workflow run that made the commit, when its message says
    manifest: dict[str, Any] = field(compare=False, repr=False)
    content: bytes = field(compare=False, repr=False)

    def as_output(self) -> dict[str, str]:
        """The registration as the `history` output lists it."""
        return {"version": self.version, "commit": self.commit, "date": self.date}


@dataclass
class PluginHistory:
    """The registrations of one manifest, newest first; iterating reads them lazily."""

    store: RegistryStore
    path: str
    deadline: Deadline
    commit: str | None = None  # read from this commit (the head the caller read), else the head
    warnings: list[str] = field(default_factory=list)
    cut: bool = False  # the deadline passed before the oldest commit was read

    def __iter__(self) -> Iterator[Registration]:
        unreadable, read_to = 0, "none of it"
        for revision in self.store.history(self.path, self.commit):
            if self.deadline.remaining() <= 0:
                self.cut = True
                self.warnings.append(
                    f"the history of {self.path} was cut at the deadline, read back to "
                    f"{read_to}: {self.deadline.advice()}"
                )
                return
            read_to = timestamp(revision.date)
            if revision.content is None:
                continue  # unregistered by this commit
            try:
                manifest = load_manifest(self.path, revision.content)
            except DamagedFileError:
                unreadable += 1
                continue
            yield Registration(
                manifest["version"],
                revision.commit,
                timestamp(revision.date),
                run_of(revision.message, manifest["id"]),
                manifest,
                revision.content,
            )
        if unreadable:
            self.warnings.append(
                f"{unreadable} commit(s) of {self.path} left a damaged manifest: not listed"
            )
