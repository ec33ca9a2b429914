"""The commands as library functions: settings in, an Outcome out.

This is where the outside world is read (the workspace's files, the event payload) and where
the store is chosen; everything below works on values and on the store interface.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from registry_action.commands import COMMANDS
from registry_action.commands.target import Target, open_target, registry_url_of
from registry_action.core import strictjson
from registry_action.core.documents import manifest_path
from registry_action.core.manifest import (
    PluginSpec,
    RepositoryContext,
    SpecInputs,
    checked_input,
    insecure_urls,
    parse_template,
    placeholder_context,
    render_manifest,
    render_value,
    substitute,
)
from registry_action.core.models import is_plugin_id, now
from registry_action.core.versions import resolve_version
from registry_action.engine.outcome import Outcome
from registry_action.engine.publish import Publisher
from registry_action.engine.retry import RetryPolicy, RunOptions
from registry_action.errors import InputError, TemplateError
from registry_action.settings import workspace
from registry_action.settings.inputs import Inputs, declared, input_name
from registry_action.settings.runner import Runner
from registry_action.settings.spelling import advise, named, setting
from registry_action.store.interface import RegistryStore

if TYPE_CHECKING:
    # Pull-request mode and validate load these when they run: a plain registration does not
    # pay for their imports at start-up.
    from registry_action.core.validation import Problem
    from registry_action.engine.proposal import Proposer
    from registry_action.store.proposals import ProposalHost, PullRequest


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
    problems: tuple[Problem, ...] = field(default=())  # what validate found
    store: RegistryStore | None = None  # the store the command worked on

    @property
    def failed(self) -> bool:
        """Whether validate found an error."""
        return any(problem.severity == "error" for problem in self.problems)


def plugin_id(inputs: Inputs, runner: Runner) -> str:
    """The plugin-id input, else the calling repository's name, lowercased; checked."""
    if inputs.plugin_id:
        chosen, source = inputs.plugin_id, named("plugin-id")
    elif runner.repository:
        chosen, source = runner.repository.partition("/")[2].lower(), "the repository name"
    else:
        raise InputError(f"{named('plugin-id')} is required when GITHUB_REPOSITORY is not set")
    if not is_plugin_id(chosen):
        hint = "" if inputs.plugin_id else f"; {advise('plugin-id')}"
        raise InputError(
            f"{source} {chosen!r} is not a valid plugin id: use letters, digits, "
            f"'.', '_' and '-', starting with a letter or digit, no '..', at most 100 "
            f"characters{hint}"
        )
    return chosen


def _template(inputs: Inputs, runner: Runner) -> dict[str, Any] | None:
    if inputs.manifest_template is None:
        return None
    path = runner.workspace / inputs.manifest_template
    what = named("manifest-template")
    try:
        data = workspace.read_file(path, what, within=runner.workspace)
    except FileNotFoundError as exc:
        raise TemplateError(f"{what}: cannot read {path}: {exc.strerror}") from None
    except InputError as exc:
        raise TemplateError(exc.message) from None
    try:
        text = workspace.decode(data, path, what)
    except InputError as exc:
        raise TemplateError(exc.message) from None
    return parse_template(str(inputs.manifest_template), text)


def _event_description(runner: Runner) -> str:
    """The calling repository's description from the event payload, if it has one."""
    if runner.event_path is None:
        return ""
    # The payload only offers a default description: one that cannot be read is passed over.
    try:
        data = workspace.read_file(runner.event_path, "GITHUB_EVENT_PATH")
        payload = strictjson.loads(data.decode("utf-8"))
    except (OSError, ValueError, InputError):
        return ""
    repository = payload.get("repository") if isinstance(payload, dict) else None
    description = repository.get("description") if isinstance(repository, dict) else None
    return description if isinstance(description, str) else ""


def _commit_message(inputs: Inputs, context: dict[str, str]) -> str:
    text = inputs.commit_message or COMMANDS[inputs.command].message or "Update registry"
    return substitute(text, context, named("commit-message"))


def _options(
    inputs: Inputs, target: Target, log: Callable[[str], None], base_delay: float
) -> RunOptions:
    return RunOptions(
        deadline=target.deadline,
        clock=now,
        policy=RetryPolicy(max_attempts=inputs.max_attempts, base_delay=base_delay),
        dry_run=inputs.dry_run,
        allow_downgrade=inputs.allow_downgrade,
        log=log,
    )


def _publisher(
    inputs: Inputs, target: Target, log: Callable[[str], None], base_delay: float = 0.5
) -> Publisher:
    return Publisher(target.store, _options(inputs, target, log, base_delay))


def _proposer(
    inputs: Inputs,
    target: Target,
    proposals: ProposalHost,
    log: Callable[[str], None],
    base_delay: float = 0.5,
) -> Proposer:
    from registry_action.engine.proposal import Proposer

    return Proposer(target.store, proposals, _options(inputs, target, log, base_delay))


def _register_or_propose(
    inputs: Inputs,
    target: Target,
    spec: PluginSpec,
    message: str,
    log: Callable[[str], None],
    base_delay: float,
) -> tuple[Outcome, PullRequest | None]:
    """Write the registry branch, or, in pull-request mode, propose the manifest."""
    if target.proposals is None:
        return _publisher(inputs, target, log, base_delay).register(spec, message), None
    proposer = _proposer(inputs, target, target.proposals, log, base_delay)
    proposal = proposer.propose(spec, message)
    return proposal.outcome, proposal.pull_request


def _health_gate(inputs: Inputs, spec: PluginSpec, log: Callable[[str], None]) -> None:
    """With `health-check`, wait until the deployment the manifest names answers."""
    if not inputs.health_check:
        return
    from registry_action.engine.health import HealthGate, probes_for

    probes = probes_for(render_manifest(spec, now()))
    log(f"Health check: waiting up to {inputs.health_check_timeout:g}s for the deployment")
    HealthGate(inputs.health_check_timeout, log=log).wait(probes)


def register(inputs: Inputs, runner: Runner, log: Callable[[str], None]) -> Result:
    """Render the plugin's manifest and register it; bad input fails before any request."""
    chosen_id = plugin_id(inputs, runner)
    version = resolve_version(
        inputs.version,
        runner.workspace / inputs.version_file,
        "version_file" not in inputs.model_fields_set,
        runner.ref,
        workspace=runner.workspace,
    )
    template = _template(inputs, runner)
    target = open_target(inputs, runner, log)
    if target.base_url is None:
        raise InputError(
            f"{named('manifest-base-url')} (or {setting('registry-repository')}) is required to "
            "compute the manifest URL of a local registry"
        )
    repos = RepositoryContext(runner.repository or "", target.repository, target.branch)
    fields = inputs.spec_values()
    if fields["description"] is None:
        fields["description"] = _event_description(runner)
    spec = build_spec(SpecInputs(chosen_id, version, target.base_url, fields, template), repos)
    context = {**placeholder_context(chosen_id, version, repos), "name": spec.name}
    _health_gate(inputs, spec, log)
    outcome, pull_request = _register_or_propose(
        inputs, target, spec, _commit_message(inputs, context), log, runner.retry_base_delay
    )
    return _registered(_with_http_warnings(outcome), target, spec, pull_request)


def _with_http_warnings(outcome: Outcome) -> Outcome:
    """The outcome, warned of every plain http URL its manifest holds."""
    warnings = [
        f"{url} is plain http: dashboards served over https cannot load it"
        for url in insecure_urls(outcome.manifest or {})
    ]
    return replace(outcome, warnings=outcome.warnings + tuple(warnings)) if warnings else outcome


def _registered(
    outcome: Outcome, target: Target, spec: PluginSpec, pull_request: PullRequest | None
) -> Result:
    # An id listed in another case keeps that entry's manifest URL.
    manifest_url = (outcome.manifest or {}).get("manifestUrl", spec.manifest_url)
    return Result(
        outcome,
        "register",
        target.store.description,
        manifest_url,
        registry_url_of(target),
        pull_request,
        proposed=target.proposals is not None,
        store=target.store,
    )


def unregister(inputs: Inputs, runner: Runner, log: Callable[[str], None]) -> Result:
    """Remove the plugin's entry from the index, then its manifest."""
    chosen_id = plugin_id(inputs, runner)
    target = open_target(inputs, runner, log)
    repos = RepositoryContext(runner.repository or "", target.repository, target.branch)
    # The version is not known before the registry is read, so {version} is empty here.
    context = {**placeholder_context(chosen_id, "", repos), "name": chosen_id}
    message = _commit_message(inputs, context)
    outcome = _publisher(inputs, target, log, runner.retry_base_delay).unregister(
        chosen_id, message
    )
    # The file removed is named by the spelling the index listed, which may differ in case.
    removed = manifest_path(outcome.plugin_id or chosen_id)
    base = target.base_url.rstrip("/") if target.base_url else None
    manifest_url = f"{base}/{removed}" if base else None
    return Result(
        outcome,
        "unregister",
        target.store.description,
        manifest_url,
        registry_url_of(target),
        store=target.store,
    )


def reindex(inputs: Inputs, runner: Runner, log: Callable[[str], None]) -> Result:
    """Rebuild ``registry.json`` from the manifests under ``plugins/``."""
    target = open_target(inputs, runner, log)
    repos = RepositoryContext(runner.repository or "", target.repository, target.branch)
    context = {**placeholder_context("", "", repos), "name": ""}
    outcome = _publisher(inputs, target, log, runner.retry_base_delay).reindex(
        _commit_message(inputs, context)
    )
    description = target.store.description
    return Result(
        outcome, "reindex", description, None, registry_url_of(target), store=target.store
    )


def run(inputs: Inputs, runner: Runner, log: Callable[[str], None]) -> Result:
    """Run the command the inputs name."""
    result: Result = COMMANDS[inputs.command].load()(inputs, runner, log)
    # What the store found out about where the registry is (a renamed repository) comes first.
    notices = result.store.notices if result.store is not None else ()
    if not notices:
        return result
    warnings = notices + result.outcome.warnings
    return replace(result, outcome=replace(result.outcome, warnings=warnings))


def build_spec(raw: SpecInputs, repos: RepositoryContext) -> PluginSpec:
    """Substitute placeholders in every input and check the results; InputError if wrong."""
    context = placeholder_context(raw.plugin_id, raw.version, repos)
    name_input = raw.fields.get("plugin_name") or repos.repository_name or raw.plugin_id
    name = substitute(name_input, context, named("plugin-name"))
    context["name"] = name
    base = checked_input(raw.manifest_base_url, "manifest-base-url", "url", context).rstrip("/")
    values: dict[str, str] = {}
    for key, use in declared():
        if use.spec and key != "plugin_name":
            text = raw.fields.get(key) or ""
            values[key] = checked_input(text, input_name(key), use.check, context)
    template = (
        render_value(raw.template, context, "manifest template")
        if raw.template is not None
        else None
    )
    return PluginSpec(
        id=raw.plugin_id,
        name=name,
        version=raw.version,
        manifest_url=f"{base}/{manifest_path(raw.plugin_id)}",
        template=template,
        **values,
    )
