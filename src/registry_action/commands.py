"""The commands as library functions: settings in, an Outcome out.

This is where the outside world is read (the workspace's files, the event payload) and where
the store is chosen; everything below works on values and on the store interface.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from registry_action import strictjson, workspace
from registry_action.clock import now
from registry_action.errors import InputError, TemplateError
from registry_action.inputs import Inputs, Runner, api_url
from registry_action.manifest import insecure_urls, render_manifest
from registry_action.models import is_plugin_id
from registry_action.publish import Outcome, Publisher
from registry_action.retry import Deadline, RetryPolicy
from registry_action.spec import (
    PluginSpec,
    RepositoryContext,
    SpecInputs,
    build_spec,
    placeholder_context,
)
from registry_action.store.interface import RegistryStore
from registry_action.template import parse_template, substitute
from registry_action.versions import resolve_version

if TYPE_CHECKING:
    # Pull-request mode and validate load these when they run: a plain registration does not
    # pay for their imports at start-up.
    from registry_action.proposal import Proposer
    from registry_action.store.proposals import ProposalHost, PullRequest
    from registry_action.validation import Problem

DEFAULT_MESSAGES = {
    "register": "Update plugin: {id}",
    "unregister": "Remove plugin: {id}",
    "reindex": "Reindex registry",
}


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


@dataclass(frozen=True)
class Target:
    """The registry a run writes: its store, and the names placeholders and URLs use."""

    store: RegistryStore
    repository: str  # owner/name, or "" for a folder with no repository named
    branch: str
    base_url: str | None  # where dashboards fetch files from (manifest-base-url)
    proposals: ProposalHost | None = None  # branches and pull requests, in pull-request mode
    # The run's `timeout`, shared by conflict retries and the client's waits; it starts when
    # the registry is first opened.
    deadline: Deadline = field(default_factory=Deadline)


def plugin_id(inputs: Inputs, runner: Runner) -> str:
    """The plugin-id input, else the calling repository's name, lowercased; checked."""
    if inputs.plugin_id:
        chosen, source = inputs.plugin_id, "input `plugin-id`"
    elif runner.repository:
        chosen, source = runner.repository.partition("/")[2].lower(), "the repository name"
    else:
        raise InputError("input `plugin-id` is required when GITHUB_REPOSITORY is not set")
    if not is_plugin_id(chosen):
        hint = "" if inputs.plugin_id else "; set `plugin-id`"
        raise InputError(
            f"{source} {chosen!r} is not a valid plugin id: use letters, digits, "
            f"'.', '_' and '-', starting with a letter or digit, no '..', at most 100 "
            f"characters{hint}"
        )
    return chosen


def raw_base_url(runner: Runner, repository: str, branch: str, isolation: bool = True) -> str:
    """The raw-file URL of a branch, in the form GitHub documents for the server.

    GitHub Enterprise Server serves raw files at ``https://raw.HOSTNAME/OWNER/REPO/REF/PATH``
    with subdomain isolation (which GitHub recommends, and after which ``/raw/`` paths may
    answer 404) and at ``https://HOSTNAME/raw/OWNER/REPO/REF/PATH`` without it; the input
    `subdomain-isolation` says which, since nothing in the API tells.
    """
    if not runner.is_enterprise:
        return f"https://raw.githubusercontent.com/{repository}/{branch}"
    server = urlsplit(runner.server_url.rstrip("/"))
    if isolation:
        return f"{server.scheme}://raw.{server.netloc}{server.path}/{repository}/{branch}"
    return f"{server.scheme}://{server.netloc}{server.path}/raw/{repository}/{branch}"


def open_target(inputs: Inputs, runner: Runner, log: Callable[[str], None] = print) -> Target:
    """The store named by the inputs: a local folder, or a GitHub repository."""
    if inputs.registry_dir is not None:
        from registry_action.store.local import LocalStore

        if inputs.pull_request:
            raise InputError(
                "input `pull-request` needs a registry on GitHub: a local registry folder has "
                "no pull requests"
            )
        repository = inputs.registry_repository or ""
        branch = inputs.registry_branch or "main"
        base = inputs.manifest_base_url or (
            raw_base_url(runner, repository, branch, inputs.subdomain_isolation)
            if repository
            else None
        )
        deadline = Deadline(inputs.timeout)
        return Target(LocalStore(inputs.registry_dir), repository, branch, base, None, deadline)
    if inputs.token is None:
        raise InputError(
            "input `token` is required (a token with `contents: write` on the registry)"
        )
    if inputs.registry_repository is None:
        raise InputError("input `registry-repository` is required (owner/name of the registry)")
    # PyGithub is imported only when GitHub is used: local runs and --help do not pay for it.
    from registry_action.store.github import GitHubStore, make_client

    deadline = Deadline(inputs.timeout)
    client = make_client(
        inputs.token.get_secret_value(),
        api_url(inputs, runner),
        deadline=deadline,
        log=log,
        secondary_wait=runner.secondary_wait,
    )
    # No committer unless one is asked for: GitHub then signs an App token's commits (Verified).
    store = GitHubStore(
        client, inputs.registry_repository, inputs.registry_branch, committer=inputs.committer
    )
    branch, repository = store.branch, store.repository  # as GitHub names it now
    base = inputs.manifest_base_url or raw_base_url(
        runner, repository, branch, inputs.subdomain_isolation
    )
    proposals = None
    if inputs.pull_request:
        from registry_action.store.github_proposals import GitHubProposals

        proposals = GitHubProposals(client, repository, branch, committer=inputs.committer)
    return Target(store, repository, branch, base, proposals, deadline)


def _template(inputs: Inputs, runner: Runner) -> dict[str, Any] | None:
    if inputs.manifest_template is None:
        return None
    path = runner.workspace / inputs.manifest_template
    what = "input `manifest-template`"
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
    text = inputs.commit_message or DEFAULT_MESSAGES.get(inputs.command, "Update registry")
    return substitute(text, context, "input `commit-message`")


def _policy(inputs: Inputs, base_delay: float) -> RetryPolicy:
    return RetryPolicy(
        timeout=inputs.timeout, max_attempts=inputs.max_attempts, base_delay=base_delay
    )


def _publisher(
    inputs: Inputs, target: Target, log: Callable[[str], None], base_delay: float = 0.5
) -> Publisher:
    return Publisher(
        target.store,
        clock=now,
        policy=_policy(inputs, base_delay),
        dry_run=inputs.dry_run,
        log=log,
        allow_downgrade=inputs.allow_downgrade,
        deadline=target.deadline,
    )


def _proposer(
    inputs: Inputs,
    target: Target,
    proposals: ProposalHost,
    log: Callable[[str], None],
    base_delay: float = 0.5,
) -> Proposer:
    from registry_action.proposal import Proposer

    return Proposer(
        target.store,
        proposals,
        clock=now,
        policy=_policy(inputs, base_delay),
        dry_run=inputs.dry_run,
        allow_downgrade=inputs.allow_downgrade,
        log=log,
        deadline=target.deadline,
    )


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
    from registry_action.health import HealthGate, probes_for

    probes = probes_for(render_manifest(spec, now()))
    log(f"Health check: waiting up to {inputs.health_check_timeout:g}s for the deployment")
    HealthGate(inputs.health_check_timeout, log=log).wait(probes)


def register(inputs: Inputs, runner: Runner, log: Callable[[str], None]) -> Result:
    """Render the plugin's manifest and register it; bad input fails before any request."""
    chosen_id = plugin_id(inputs, runner)
    version_file = runner.workspace / inputs.version_file
    version = resolve_version(
        inputs.version,
        version_file,
        "version_file" not in inputs.model_fields_set,
        runner.ref,
        workspace=runner.workspace,
    )
    template = _template(inputs, runner)
    target = open_target(inputs, runner, log)
    if target.base_url is None:
        raise InputError(
            "input `manifest-base-url` (or `registry-repository`) is required to compute the "
            "manifest URL of a local registry"
        )
    repos = RepositoryContext(runner.repository or "", target.repository, target.branch)
    spec = build_spec(
        SpecInputs(
            plugin_id=chosen_id,
            plugin_name=inputs.plugin_name,
            version=version,
            description=inputs.description
            if inputs.description is not None
            else _event_description(runner),
            ui_remote_entry=inputs.ui_remote_entry,
            ui_expose=inputs.ui_expose,
            server_route_base=inputs.server_route_base,
            server_deployment_url=inputs.server_deployment_url,
            server_health_check=inputs.server_health_check,
            manifest_base_url=target.base_url,
            template=template,
        ),
        repos,
    )
    context = {**placeholder_context(chosen_id, version, repos), "name": spec.name}
    _health_gate(inputs, spec, log)
    outcome, pull_request = _register_or_propose(
        inputs, target, spec, _commit_message(inputs, context), log, runner.retry_base_delay
    )
    warnings = [
        f"{url} is plain http: dashboards served over https cannot load it"
        for url in insecure_urls(outcome.manifest or {})
    ]
    if warnings:
        outcome = replace(outcome, warnings=outcome.warnings + tuple(warnings))
    # An id listed in another case keeps that entry's manifest URL.
    manifest_url = (outcome.manifest or {}).get("manifestUrl", spec.manifest_url)
    return Result(
        outcome,
        "register",
        target.store.description,
        manifest_url,
        f"{target.base_url.rstrip('/')}/registry.json",
        pull_request,
        proposed=target.proposals is not None,
        store=target.store,
    )


def _registry_url(target: Target) -> str | None:
    return f"{target.base_url.rstrip('/')}/registry.json" if target.base_url else None


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
    base = target.base_url.rstrip("/") if target.base_url else None
    manifest_url = f"{base}/plugins/{chosen_id}.json" if base else None
    return Result(
        outcome,
        "unregister",
        target.store.description,
        manifest_url,
        _registry_url(target),
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
    return Result(outcome, "reindex", description, None, _registry_url(target), store=target.store)


def validate(inputs: Inputs, runner: Runner, log: Callable[[str], None]) -> Result:
    """Find every problem of the registry; writes nothing."""
    from registry_action.store.local import LocalStore

    folder = inputs.registry_dir
    if folder is None and inputs.registry_repository is None:
        if not (runner.workspace / "registry.json").is_file():
            raise InputError(
                "input `registry-repository` is required, unless validate runs in a checkout "
                f"of the registry (there is no registry.json in {runner.workspace})"
            )
        folder = runner.workspace  # the workflow's checkout, such as a pull request's head
    if folder is not None:
        store: RegistryStore = LocalStore(folder, create=False)
        where, registry_url = str(folder), None
    else:
        target = open_target(inputs, runner, log)
        store, where, registry_url = target.store, target.store.description, _registry_url(target)
    from registry_action.validation import find_problems, read_registry

    index, manifests = read_registry(store)
    prefix = _annotation_prefix(folder, runner.workspace)
    problems = tuple(replace(p, path=f"{prefix}{p.path}") for p in find_problems(index, manifests))
    log(f"Checked registry.json and {len(manifests)} manifest(s) in {where}")
    return Result(
        Outcome(plugin_id=""),
        "validate",
        where,
        None,
        registry_url,
        problems=problems,
        store=store,
    )


def _annotation_prefix(folder: Path | None, workspace: Path) -> str:
    """What makes a registry path relative to the workspace, where annotations point."""
    if folder is None:
        return ""
    try:
        relative = folder.resolve().relative_to(workspace.resolve())
    except ValueError:
        return f"{folder}/"  # outside the workspace: the folder as given, for a terminal
    return "" if relative == Path() else f"{relative.as_posix()}/"


COMMANDS = {
    "register": register,
    "unregister": unregister,
    "validate": validate,
    "reindex": reindex,
}


def run(inputs: Inputs, runner: Runner, log: Callable[[str], None]) -> Result:
    """Run the command the inputs name."""
    result = COMMANDS[inputs.command](inputs, runner, log)
    # What the store found out about where the registry is (a renamed repository) comes first.
    notices = result.store.notices if result.store is not None else ()
    if not notices:
        return result
    warnings = notices + result.outcome.warnings
    return replace(result, outcome=replace(result.outcome, warnings=warnings))
