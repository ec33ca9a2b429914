"""The registry a run works on: a local folder or a GitHub repository, and its URLs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from registry_action.core.documents import REGISTRY_PATH
from registry_action.errors import InputError
from registry_action.settings.inputs import Inputs
from registry_action.settings.runner import Runner, api_url
from registry_action.settings.spelling import named
from registry_action.store.interface import Deadline, RegistryStore

if TYPE_CHECKING:
    from registry_action.store.interface import ProposalHost


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


def raw_base_url(runner: Runner, repository: str, branch: str, isolation: bool = True) -> str:
    """The raw-file URL of a branch, in the form GitHub documents for the server.

    GitHub Enterprise Server serves raw files at ``https://raw.HOSTNAME/OWNER/REPO/REF/PATH``
    with subdomain isolation (which GitHub recommends, and after which ``/raw/`` paths may
    answer 404) and at ``https://HOSTNAME/raw/OWNER/REPO/REF/PATH`` without it; the input
    `subdomain-isolation` says which, since nothing in the API tells. The branch is
    percent-encoded, its slashes kept: a ``#``, ``%`` or ``?`` in it would name another file.
    """
    ref = quote(branch, safe="/")
    if not runner.is_enterprise:
        return f"https://raw.githubusercontent.com/{repository}/{ref}"
    server = urlsplit(runner.server_url.rstrip("/"))
    if isolation:
        return f"{server.scheme}://raw.{server.netloc}{server.path}/{repository}/{ref}"
    return f"{server.scheme}://{server.netloc}{server.path}/raw/{repository}/{ref}"


def open_target(
    inputs: Inputs, runner: Runner, log: Callable[[str], None], *, create: bool = False
) -> Target:
    """The store named by the inputs: a local folder (made when ``create``), or GitHub."""
    if inputs.registry_dir is not None:
        return _open_folder(inputs, runner, inputs.registry_dir, create)
    if inputs.token is None:
        raise InputError(
            f"{named('token')} is required (a token with `contents: write` on the registry)"
        )
    if inputs.registry_repository is None:
        raise InputError(f"{named('registry-repository')} is required (owner/name of the registry)")
    # PyGithub is imported only when GitHub is used: local runs and --help do not pay for it.
    from registry_action.store.github.contents import GitHubStore, make_client

    deadline = Deadline(inputs.timeout)
    client = make_client(
        inputs.token.get_secret_value(),
        api_url(inputs.api_url, runner),
        deadline=deadline,
        log=log,
        secondary_wait=runner.secondary_wait,
        backoff=runner.transport_backoff,
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
        from registry_action.store.github.proposals import GitHubProposals  # only this mode

        proposals = GitHubProposals(client, repository, branch, committer=inputs.committer)
    return Target(store, repository, branch, base, deadline, proposals)


def _open_folder(inputs: Inputs, runner: Runner, path: Path, create: bool) -> Target:
    """A registry folder on disk, made when ``create`` and missing."""
    from registry_action.store.local import LocalStore  # a run on GitHub does not need it

    if inputs.pull_request:
        raise InputError(
            f"{named('pull-request')} needs a registry on GitHub: a local registry folder "
            "has no pull requests"
        )
    folder = LocalStore(path, create=create)
    return Target(
        folder,
        inputs.registry_repository or "",
        inputs.registry_branch or FOLDER_BRANCH,
        folder_base_url(inputs, runner),
        Deadline(inputs.timeout),
    )


def folder_base_url(inputs: Inputs, runner: Runner) -> str | None:
    """Where dashboards fetch a folder's files from, when the inputs say."""
    if inputs.manifest_base_url:
        return inputs.manifest_base_url
    if inputs.registry_repository:
        branch = inputs.registry_branch or FOLDER_BRANCH
        return raw_base_url(runner, inputs.registry_repository, branch, inputs.subdomain_isolation)
    return None


def registry_url_of(target: Target) -> str | None:
    return f"{target.base_url.rstrip('/')}/{REGISTRY_PATH}" if target.base_url else None
