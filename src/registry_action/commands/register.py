"""The register command: render the plugin's manifest and write it and the index entry."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from registry_action.commands.base import (
    WRITE_INPUTS,
    Command,
    Log,
    Result,
    commit_message,
    plugin_id,
    register_or_propose,
)
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
from registry_action.core.models import now
from registry_action.core.versions import resolve_version
from registry_action.engine.outcome import Outcome
from registry_action.errors import InputError, TemplateError
from registry_action.settings import workspace
from registry_action.settings.inputs import Inputs, declared, input_name
from registry_action.settings.runner import Runner
from registry_action.settings.spelling import named, setting
from registry_action.store.interface import PullRequest


def register(inputs: Inputs, runner: Runner, log: Log) -> Result:
    """Render the plugin's manifest and register it; bad input fails before any request."""
    chosen_id = plugin_id(inputs, runner, new_file=True)
    version = resolve_version(
        inputs.version,
        runner.workspace / inputs.version_file,
        "version_file" not in inputs.model_fields_set,
        runner.ref,
        workspace=runner.workspace,
    )
    template = _template(inputs, runner)
    target = open_target(inputs, runner, log, create=True)  # a new registry starts here
    if target.base_url is None:
        raise InputError(
            f"{named('manifest-base-url')} (or {setting('registry-repository')}) is required to "
            "compute the manifest URL of a local registry"
        )
    repos = RepositoryContext(runner.repository or "", target.repository, target.branch)
    fields = inputs.spec_values()
    # The payload's description is the repository's text, not a template: no placeholders.
    literal = {"description": _event_description(runner)} if fields["description"] is None else {}
    raw = SpecInputs(chosen_id, version, target.base_url, fields, template, literal)
    spec = build_spec(raw, repos)
    message = commit_message(
        inputs, COMMAND, target, runner, id=chosen_id, version=version, name=spec.name
    )
    _health_gate(inputs, target, spec, log)
    spec = _with_integrity(inputs, spec, target, log)
    outcome, pull_request = register_or_propose(inputs, target, runner, spec, message, log)
    return _registered(_with_http_warnings(outcome), target, spec, pull_request)


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


def _health_gate(inputs: Inputs, target: Target, spec: PluginSpec, log: Log) -> None:
    """With `health-check`, wait until the deployment the manifest names answers."""
    if not inputs.health_check:
        return
    # The gate's HTTP client is loaded only when a run asks for the gate.
    from registry_action.engine.health import HealthGate, probes_for

    probes = probes_for(render_manifest(spec, now()))
    HealthGate(inputs.health_check_timeout, log=log, deadline=target.deadline).wait(probes)


def _with_integrity(inputs: Inputs, spec: PluginSpec, target: Target, log: Log) -> PluginSpec:
    """With `integrity`, the spec carrying the SRI hash of the remote entry deployed now."""
    if not inputs.integrity:
        return spec
    # The fetching client is loaded only when a run asks for it.
    from registry_action.engine.remote import integrity_of

    # A template may name another remote entry than the input: the manifest's is hashed.
    url = render_manifest(spec, now())["ui"]["remoteEntry"]
    return replace(spec, integrity=integrity_of(url, target.deadline, log))


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
    # An id spelled in another case in the registry is that spelling's manifest URL.
    manifest_url = (outcome.manifest or {}).get("manifestUrl", spec.manifest_url)
    return Result(
        outcome,
        COMMAND.name,
        target.store.description,
        manifest_url,
        registry_url_of(target),
        pull_request,
        proposed=target.proposals is not None,
        store=target.store,
    )


def build_spec(raw: SpecInputs, repos: RepositoryContext) -> PluginSpec:
    """Substitute placeholders in every input and check the results; InputError if wrong."""
    context = placeholder_context(raw.plugin_id, raw.version, repos)
    given_name = raw.fields.get("plugin_name")
    # Only what the user wrote is a template; the repository's name is taken as it is.
    name = (
        substitute(given_name, context, named("plugin-name"))
        if given_name
        else repos.repository_name or raw.plugin_id
    )
    context["name"] = name
    base = checked_input(raw.manifest_base_url, "manifest-base-url", "url", context).rstrip("/")
    values: dict[str, str] = {}
    for key, use in declared():
        if use.spec and key != "plugin_name":
            if not raw.fields.get(key) and key in raw.literal:
                values[key] = raw.literal[key]
                continue
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


COMMAND = Command(
    "register",
    "render the plugin's manifest and register it",
    register,
    takes=WRITE_INPUTS
    | {name for name, use in declared() if use.spec}
    | {
        "plugin_id",
        "version",
        "version_file",
        "manifest_template",
        "allow_downgrade",
        "pull_request",
        "health_check",
        "health_check_timeout",
        "integrity",
        "manifest_urls",
        "maps",
    },
    message="Update plugin: {id}",
    done="registered",
)
