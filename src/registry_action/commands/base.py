"""What every command shares: its declaration, its result, and the engine options it runs with.

A command module declares itself with ``COMMAND = Command(...)``: its name and help, the inputs
it takes, its default commit message and the words of its headline. Everything that varies by
command is read from that declaration, never from a switch on the command's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from registry_action.commands.target import REGISTRY_INPUTS
from registry_action.core.ids import device_name_text
from registry_action.core.manifest import RepositoryContext, placeholder_context, substitute
from registry_action.core.models import is_plugin_id, now
from registry_action.engine.history import with_run
from registry_action.engine.outcome import Outcome
from registry_action.engine.publish import Publisher
from registry_action.engine.retry import RetryPolicy, RunOptions
from registry_action.errors import InputError
from registry_action.settings.inputs import Inputs, declared
from registry_action.settings.runner import Runner
from registry_action.settings.spelling import advise, named

if TYPE_CHECKING:
    from registry_action.commands.target import Target
    from registry_action.core.manifest import PluginSpec
    from registry_action.core.validation import Problem
    from registry_action.engine.history import Registration
    from registry_action.store.interface import PullRequest, RegistryStore

Log = Callable[[str], None]

# Every command takes REGISTRY_INPUTS; every command that writes, these too.
WRITE_INPUTS = REGISTRY_INPUTS | {
    "commit_message",
    "dry_run",
    "max_attempts",
    "committer_name",
    "committer_email",
}


@dataclass(frozen=True)
class Command:
    """One command of the action (``command:``) and of the CLI (its sub-command)."""

    name: str
    help: str
    run: Callable[[Inputs, Runner, Log], Result]
    takes: frozenset[str]  # the fields of Inputs it uses
    message: str | None = None  # default commit message (placeholders allowed); None: no commits
    done: str = "changed"  # the headline's verb when it changed something
    # The headline when nothing changed, after the plugin's id and version.
    unchanged: str = "is already up to date in {registry}: nothing written"

    def unused(self, inputs: Inputs) -> list[str]:
        """The fields set to other than their default that this command does not use."""
        order = [name for name, _ in declared()]
        return [
            name
            for name in sorted(inputs.model_fields_set, key=order.index)
            if name not in self.takes and getattr(inputs, name) != Inputs.model_fields[name].default
        ]


@dataclass(frozen=True)
class Result:
    """What a command did, with the URLs the outputs report."""

    outcome: Outcome
    command: str
    registry: str  # where the registry is, for messages
    manifest_url: str | None
    registry_url: str | None
    pull_request: PullRequest | None = None  # opened or updated in pull-request mode
    proposed: bool = False  # pull-request mode: changes were proposed, not written
    problems: tuple[Problem, ...] | None = None  # what a check found; None: nothing was checked
    store: RegistryStore | None = None  # the store the command worked on
    label: str | None = None  # how the headline names what changed (default: the plugin)
    # The registrations a history read, newest first; None: no history was read.
    history: tuple[Registration, ...] | None = None

    @property
    def failed(self) -> bool:
        """Whether a check found an error."""
        return any(problem.severity == "error" for problem in self.problems or ())


def plugin_id(inputs: Inputs, runner: Runner, *, new_file: bool = False) -> str:
    """The plugin-id input, else the calling repository's name, lowercased; checked.

    ``new_file``: the id may name a file this run writes, so a Windows device name is refused
    (an existing one can still be unregistered).
    """
    if inputs.plugin_id:
        chosen, source = inputs.plugin_id, named("plugin-id")
    elif runner.repository:
        chosen, source = runner.repository.partition("/")[2].lower(), "the repository name"
    else:
        raise InputError(f"{named('plugin-id')} is required when GITHUB_REPOSITORY is not set")
    hint = "" if inputs.plugin_id else f"; {advise('plugin-id')}"
    if not is_plugin_id(chosen):
        raise InputError(
            f"{source} {chosen!r} is not a valid plugin id: use letters, digits, "
            f"'.', '_' and '-', starting with a letter or digit, no '..', at most 100 "
            f"characters{hint}"
        )
    device = device_name_text(chosen) if new_file else None
    if device is not None:
        raise InputError(f"{device}: choose another id{hint}")
    return chosen


def commit_message(
    inputs: Inputs, command: Command, target: Target, runner: Runner, **known: str
) -> str:
    """The commit message, its placeholders filled with what the command knows.

    On a runner it ends with a trailer naming the workflow run, so the registry's history says
    which run made each commit.
    """
    repos = RepositoryContext(runner.repository or "", target.repository, target.branch)
    context = {
        **placeholder_context(known.get("id", ""), known.get("version", ""), repos),
        "name": known.get("name", known.get("id", "")),
    }
    text = inputs.commit_message or command.message or "Update registry"
    return with_run(substitute(text, context, named("commit-message")), runner.run_url)


def run_options(inputs: Inputs, target: Target, runner: Runner, log: Log) -> RunOptions:
    """The engine's options for this run: the deadline, the retry policy, dry run, the log."""
    return RunOptions(
        deadline=target.deadline,
        clock=now,
        policy=RetryPolicy(max_attempts=inputs.max_attempts, base_delay=runner.retry_base_delay),
        dry_run=inputs.dry_run,
        allow_downgrade=inputs.allow_downgrade,
        commit_urls=target.commit_urls,
        maps=inputs.map_kinds,
        log=log,
    )


def publisher(inputs: Inputs, target: Target, runner: Runner, log: Log) -> Publisher:
    """The publish loop over the target's store."""
    return Publisher(target.store, run_options(inputs, target, runner, log))


def register_or_propose(
    inputs: Inputs, target: Target, runner: Runner, spec: PluginSpec, message: str, log: Log
) -> tuple[Outcome, PullRequest | None]:
    """Write the target branch, or, in pull-request mode, propose the manifest."""
    if target.proposals is None:
        return publisher(inputs, target, runner, log).register(spec, message), None
    # Pull-request mode is loaded only by the runs that use it.
    from registry_action.engine.proposal import Proposer

    options = run_options(inputs, target, runner, log)
    proposal = Proposer(target.store, target.proposals, options).propose(spec, message)
    return proposal.outcome, proposal.pull_request
