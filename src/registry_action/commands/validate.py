"""The validate command: find every problem of a registry, write nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from registry_action.commands.base import Command, Log, Result
from registry_action.commands.target import (
    REGISTRY_INPUTS,
    folder_base_url,
    no_target,
    open_target,
    registry_url_of,
)
from registry_action.core.documents import REGISTRY_PATH
from registry_action.core.maps import map_path, map_problems
from registry_action.core.validation import Problem, find_problems
from registry_action.engine.freshness import commit_problems
from registry_action.engine.outcome import Outcome
from registry_action.engine.reading import read_registry
from registry_action.settings.inputs import Inputs
from registry_action.settings.runner import Runner
from registry_action.settings.spelling import advise, setting
from registry_action.store.interface import Deadline, RegistryStore
from registry_action.store.local import LocalStore


def validate(inputs: Inputs, runner: Runner, log: Log) -> Result:
    """Find every problem of the registry; writes nothing."""
    folder = inputs.registry_dir
    if folder is None and inputs.registry_repository is None:
        if not (runner.workspace / REGISTRY_PATH).is_file():
            raise no_target(
                f", unless validate runs in a checkout of the registry (there is no "
                f"{REGISTRY_PATH} in {runner.workspace})"
            )
        folder = runner.workspace  # the workflow's checkout, such as a pull request's head
    base: str | None
    if folder is not None:
        store: RegistryStore = _folder_store(folder)
        where, registry_url, base = str(folder), None, folder_base_url(inputs, runner)
        deadline = Deadline(inputs.timeout)
    else:
        target = open_target(inputs, runner, log)
        store, where = target.store, target.store.description
        registry_url, base, deadline = registry_url_of(target), target.base_url, target.deadline
    index, manifests = read_registry(store)
    prefix = _annotation_prefix(folder, runner.workspace)
    found = find_problems(index, manifests, base_url=base)
    log(f"Checked {REGISTRY_PATH} and {len(manifests)} manifest(s) in {where}")
    required = inputs.manifest_urls == "commit"
    found += commit_problems(store, index, manifests, required=required)
    if inputs.map_kinds:
        found += _map_problems(inputs, store, index, manifests)
    if inputs.live:
        from registry_action.engine.live import live_problems  # only live runs fetch

        found += live_problems(index, manifests, deadline, log)
    found = sorted(found, key=_order)
    problems = tuple(replace(p, path=f"{prefix}{p.path}") for p in found)
    return Result(
        Outcome(plugin_id=""),
        COMMAND.name,
        where,
        None,
        registry_url,
        problems=problems,
        store=store,
    )


def _map_problems(
    inputs: Inputs, store: RegistryStore, index: bytes | None, manifests: dict[str, bytes]
) -> list[Problem]:
    """The maps the `maps` input names, each held to the index and the manifests."""
    stored = {map_path(kind): store.read(map_path(kind)) for kind in inputs.map_kinds}
    maps = {path: found.content if found else None for path, found in stored.items()}
    advice = f"{advise('command', 'reindex')} with {setting('maps', inputs.maps)} to write it"
    return map_problems(index, manifests, maps, inputs.map_kinds, advice)


def _folder_store(folder: Path) -> RegistryStore:
    """A registry folder; read through git in a checkout, so that commits can be checked."""
    from registry_action.store.gitfolder import GitFolder, git_checkout  # only folders use git

    return GitFolder(folder) if git_checkout(folder) else LocalStore(folder, create=False)


def _order(problem: Problem) -> tuple[bool, str, int]:
    """The index first, then each file by its lines, as the checks order them."""
    return (problem.path != REGISTRY_PATH, problem.path, problem.line or 0)


def _annotation_prefix(folder: Path | None, workspace: Path) -> str:
    """What makes a registry path relative to the workspace, where annotations point."""
    if folder is None:
        return ""
    try:
        relative = folder.resolve().relative_to(workspace.resolve())
    except ValueError:
        return f"{folder}/"  # outside the workspace: the folder as given, for a terminal
    return "" if relative == Path() else f"{relative.as_posix()}/"


COMMAND = Command(
    "validate",
    "check the registry and every manifest, reporting every problem",
    validate,
    takes=REGISTRY_INPUTS | {"live", "manifest_urls", "maps"},
    done="checked",
)
