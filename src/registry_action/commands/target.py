"""The registry a run works on: a local folder or a GitHub repository, and its URLs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from registry_action.core.commit_urls import CommitUrls
from registry_action.core.documents import REGISTRY_PATH
from registry_action.errors import InputError
from registry_action.settings.inputs import Inputs
from registry_action.settings.runner import Runner, api_url, is_enterprise, server_url
from registry_action.settings.spelling import (
    TOKEN_HOWTO,
    named,
    on_cli,
    permission,
    setting,
    token_variable,
)
from registry_action.store.interface import Deadline, RegistryStore

if TYPE_CHECKING:
    from registry_action.store.interface import ProposalHost


# The inputs that say which registry a run opens, and how long the run may have: every
# command takes them.
REGISTRY_INPUTS = frozenset(
    {
        "token",
        "registry_repository",
        "registry_branch",
        "command",
        "registry_dir",
        "manifest_base_url",
        "subdomain_isolation",
        "server_url",
        "timeout",
        "api_url",
    }
)
# The branch a registry folder stands for when the inputs name none.
FOLDER_BRANCH = "main"


@dataclass(frozen=True)
class Target:
    """The registry a run writes: its store, and the names placeholders and URLs use."""

    store: RegistryStore
    repository: str  # owner/name, or "" for a folder with no repository named
    branch: str
    base_url: str | None  # where dashboards fetch files from (manifest-base-url)
    # The run's `timeout`, shared by conflict retries and the client's waits; it starts when
    # the registry is first opened.
    deadline: Deadline
    proposals: ProposalHost | None = None  # branches and pull requests, in pull-request mode
    # With `manifest-urls: commit`: how index entries name the commit of a manifest.
    commit_urls: CommitUrls | None = None


def raw_base_url(server: str, repository: str, branch: str, isolation: bool = True) -> str:
    """The raw-file URL of a branch, in the form GitHub documents for the ``server``.

    GitHub Enterprise Server serves raw files at ``https://raw.HOSTNAME/OWNER/REPO/REF/PATH``
    with subdomain isolation (which GitHub recommends, and after which ``/raw/`` paths may
    answer 404) and at ``https://HOSTNAME/raw/OWNER/REPO/REF/PATH`` without it; the input
    `subdomain-isolation` says which, since nothing in the API tells. The branch is
    percent-encoded, its slashes kept: a ``#``, ``%`` or ``?`` in it would name another file.
    """
    ref = quote(branch, safe="/")
    if not is_enterprise(server):
        return f"https://raw.githubusercontent.com/{repository}/{ref}"
    parts = urlsplit(server.rstrip("/"))
    if isolation:
        return f"{parts.scheme}://raw.{parts.netloc}{parts.path}/{repository}/{ref}"
    return f"{parts.scheme}://{parts.netloc}{parts.path}/raw/{repository}/{ref}"


def server_of(inputs: Inputs, runner: Runner) -> str:
    """The GitHub server of the registry, which decides its raw-file URLs."""
    api = inputs.api_url if inputs.registry_dir is None else None  # a folder has no API
    return server_url(inputs.server_url, api, runner)


def no_target(unless: str = "") -> InputError:
    """The registry is named neither by a folder nor by a repository."""
    if on_cli():
        said = unless or ": the registry on GitHub, or a registry folder"
        return InputError(
            f"{setting('registry-repository', 'OWNER/NAME')} or {setting('registry-dir', 'DIR')} "
            f"is required{said}"
        )
    said = unless or " (owner/name of the registry)"
    return InputError(f"{named('registry-repository')} is required{said}")


def no_token(repository: str) -> InputError:
    """No token was given for a registry on GitHub."""
    needed = f"a token with {permission()} on {repository}"
    named_variable = token_variable()
    if on_cli() and named_variable:  # named by --token-env, and empty
        return InputError(
            f"no GitHub token in {named_variable} ({needed}): export it, or export "
            "GITHUB_TOKEN (or GH_TOKEN) without --token-env"
        )
    if on_cli():
        return InputError(f"no GitHub token ({needed}): {TOKEN_HOWTO}")
    return InputError(f"{named('token')} is required ({needed})")


def ignored(inputs: Inputs, runner: Runner, takes: frozenset[str]) -> list[str]:
    """A warning for each setting given (to other than its default) that the target ignores."""
    given = {
        field
        for field in inputs.model_fields_set & takes
        if getattr(inputs, field) != Inputs.model_fields[field].default
    }
    found: list[tuple[str, str]] = []
    if inputs.registry_dir is not None:
        why = f"{setting('registry-dir')} names a folder, not a registry on GitHub"
        found += [(f, why) for f in ("api_url", "committer_name", "committer_email") if f in given]
    server = server_of(inputs, runner)
    if inputs.manifest_base_url:
        why = f"{setting('manifest-base-url')} gives the raw-file URL"
        found += [(f, why) for f in ("server_url", "subdomain_isolation") if f in given]
    elif "subdomain_isolation" in given and not is_enterprise(server):
        why = f"it applies to GitHub Enterprise Server, and the server is {server}"
        found.append(("subdomain_isolation", why))
    if inputs.pull_request:
        why = f"{setting('pull-request', 'true')} writes no {REGISTRY_PATH}: reindex writes it"
        found += [(f, why) for f in ("manifest_urls", "maps") if f in given]
    if "health_check_timeout" in given and not inputs.health_check:
        found.append(("health_check_timeout", f"{setting('health-check', 'true')} is not set"))
    if "version_file" in given and inputs.version:
        found.append(("version_file", f"{setting('version')} is given"))
    return [f"{named(field.replace('_', '-'))} is ignored: {why}" for field, why in found]


def open_target(
    inputs: Inputs, runner: Runner, log: Callable[[str], None], *, create: bool = False
) -> Target:
    """The store named by the inputs: a local folder (made when ``create``), or GitHub."""
    if inputs.registry_dir is not None:
        return _open_folder(inputs, runner, inputs.registry_dir, create)
    session = _session(inputs, runner, log)
    return _on_github(
        inputs,
        runner,
        session,
        (inputs.registry_repository or "", inputs.registry_branch),
        proposals=inputs.pull_request,
        base_url=inputs.manifest_base_url,
    )


def open_promotion(
    inputs: Inputs, runner: Runner, log: Callable[[str], None]
) -> tuple[Target, Target]:
    """The registry promoted from (``registry-repository``, ``registry-branch``) and the one
    promoted to (``to-repository``, ``to-branch``), on GitHub, through one client."""
    if inputs.registry_dir is not None:
        raise InputError(
            f"promote needs registries on GitHub: {setting('registry-dir')} names one folder, "
            "with no other environment to promote to"
        )
    if inputs.to_branch is None and inputs.to_repository is None:
        raise InputError(
            f"{named('to-branch')} or {setting('to-repository')} is required: the environment "
            "to promote the plugin to"
        )
    session = _session(inputs, runner, log)
    source = _on_github(
        inputs, runner, session, (inputs.registry_repository or "", inputs.registry_branch)
    )
    destination = _on_github(
        inputs,
        runner,
        session,
        (inputs.to_repository or source.repository, inputs.to_branch),
        proposals=inputs.pull_request,
        base_url=inputs.manifest_base_url,
        names=("to-repository", "to-branch"),
    )
    if (source.repository.lower(), source.branch) == (
        destination.repository.lower(),
        destination.branch,
    ):
        raise InputError(
            f"promote copies a plugin from one environment to another, but "
            f"{setting('to-branch')} and {setting('to-repository')} name "
            f"{source.store.description}, the registry it is promoted from"
        )
    return source, destination


def _session(inputs: Inputs, runner: Runner, log: Callable[[str], None]) -> tuple[Any, Deadline]:
    """The GitHub client of the run (PyGithub's, opaque here), and the run's deadline, which
    starts now."""
    # Where the registry is comes first: without it, a token is of no use.
    if inputs.registry_repository is None:
        raise no_target()
    if inputs.token is None:
        raise no_token(inputs.registry_repository)
    # PyGithub is imported only when GitHub is used: local runs and --help do not pay for it.
    from registry_action.store.github.contents import make_client

    deadline = Deadline(inputs.timeout)
    client = make_client(
        inputs.token.get_secret_value(),
        api_url(inputs.api_url, runner),
        deadline=deadline,
        log=log,
        secondary_wait=runner.secondary_wait,
        backoff=runner.transport_backoff,
    )
    return client, deadline


def _on_github(
    inputs: Inputs,
    runner: Runner,
    session: tuple[Any, Deadline],
    where: tuple[str, str | None],
    *,
    proposals: bool = False,
    base_url: str | None = None,
    names: tuple[str, str] = ("registry-repository", "registry-branch"),
) -> Target:
    """The registry on branch ``where[1]`` (None: the default) of repository ``where[0]``."""
    # Loaded by _session already; PyGithub stays out of local runs.
    from registry_action.store.github.contents import GitHubStore

    client, deadline = session
    # No committer unless one is asked for: GitHub then signs an App token's commits (Verified).
    store = GitHubStore(client, where[0], where[1], committer=inputs.committer, names=names)
    branch, repository = store.branch, store.repository  # as GitHub names it now
    base = base_url or raw_base_url(
        server_of(inputs, runner), repository, branch, inputs.subdomain_isolation
    )
    host = None
    if proposals:
        from registry_action.store.github.proposals import GitHubProposals  # only this mode

        host = GitHubProposals(client, repository, branch, committer=inputs.committer)
    urls = commit_urls(inputs, base, branch)
    return Target(store, repository, branch, base, deadline, host, urls)


def _open_folder(inputs: Inputs, runner: Runner, path: Path, create: bool) -> Target:
    """A registry folder on disk, made when ``create`` and missing."""
    from registry_action.store.local import LocalStore  # a run on GitHub does not need it

    if inputs.pull_request:
        raise InputError(
            f"{named('pull-request')} needs a registry on GitHub: a local registry folder "
            "has no pull requests"
        )
    deadline = Deadline(inputs.timeout)
    branch, base = inputs.registry_branch or FOLDER_BRANCH, folder_base_url(inputs, runner)
    if inputs.manifest_urls == "commit":
        from registry_action.store.gitfolder import open_git_folder  # only this mode commits

        urls = commit_urls(inputs, base, branch)
        why = f"{setting('manifest-urls', 'commit')} names the commit that writes each manifest"
        folder: LocalStore = open_git_folder(path, why)
        return Target(folder, inputs.registry_repository or "", branch, base, deadline, None, urls)
    folder = LocalStore(path, create=create)
    return Target(folder, inputs.registry_repository or "", branch, base, deadline)


def commit_urls(inputs: Inputs, base: str | None, branch: str) -> CommitUrls | None:
    """With `manifest-urls: commit`, how the branch's raw-file URLs name a commit instead."""
    if inputs.manifest_urls != "commit":
        return None
    if base is None:
        raise InputError(
            f"{setting('manifest-urls', 'commit')} needs the raw-file URL of the branch: set "
            f"{setting('registry-repository')} or {setting('manifest-base-url')}"
        )
    # The base URL spells the branch percent-encoded when made here, as given when an input.
    urls = CommitUrls.of(base, quote(branch, safe="/")) or CommitUrls.of(base, branch)
    if urls is None:
        raise InputError(
            f"{setting('manifest-urls', 'commit')} names a commit where the raw-file URL names "
            f"the branch, and {named('manifest-base-url')} {base} does not end with the branch "
            f"({branch}): leave it out, or give a URL ending with /{branch}"
        )
    return urls


def folder_base_url(inputs: Inputs, runner: Runner) -> str | None:
    """Where dashboards fetch a folder's files from, when the inputs say."""
    if inputs.manifest_base_url:
        return inputs.manifest_base_url
    if inputs.registry_repository:
        branch = inputs.registry_branch or FOLDER_BRANCH
        server = server_of(inputs, runner)
        return raw_base_url(server, inputs.registry_repository, branch, inputs.subdomain_isolation)
    return None


def registry_url_of(target: Target) -> str | None:
    return f"{target.base_url.rstrip('/')}/{REGISTRY_PATH}" if target.base_url else None
