"""Pull-request mode: propose a plugin's manifest instead of writing the registry branch.

The manifest goes to a branch ``registry/<id>`` and a pull request into the registry branch.
Only ``plugins/<id>.json`` is in it, so pull requests of different plugins never conflict;
``registry.json`` is rebuilt from the manifests after the merge (``command: reindex``).

A re-run updates the pull request already open for the plugin. Without one, the branch is
(re)started from the registry branch's head, so a merged or closed proposal's old commits
never leak into the new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry_action.core import strictjson
from registry_action.core.documents import (
    PLUGINS_DIR,
    is_manifest_path,
    manifest_path,
    plugin_id_of,
    replaceable_manifest,
)
from registry_action.core.escaping import code_fence, markdown_code
from registry_action.core.ids import check_container
from registry_action.core.manifest import PluginSpec, render_manifest, same_content
from registry_action.core.registry import as_spelled
from registry_action.core.strictjson import dumps
from registry_action.core.versions import guard_version
from registry_action.engine.outcome import FileChange, Outcome
from registry_action.engine.retry import RunOptions, retrying
from registry_action.store.interface import ProposalHost, PullRequest, RegistryStore, StoredFile

BRANCH_PREFIX = "registry/"
# GitHub refuses a pull request whose body is longer (422 "body is too long (maximum is 65536
# characters)"); the REST docs do not state it, GitHub's answer does.
BODY_LIMIT = 65_536


def proposal_branch(plugin_id: str) -> str:
    """The branch that carries a plugin's proposed manifest."""
    return f"{BRANCH_PREFIX}{plugin_id}"


def pull_title(spec: PluginSpec, previous: str | None) -> str:
    """The pull request's title: what merging it does."""
    if previous is None:
        return f"Register plugin {spec.id} {spec.version}"
    if previous == spec.version:
        return f"Update plugin {spec.id} {spec.version}"
    return f"Update plugin {spec.id} from {previous} to {spec.version}"


def pull_body(spec: PluginSpec, manifest: dict[str, Any], base: str) -> str:
    """The pull request's description: what it changes and what happens after the merge.

    Every value from the inputs is a code span (or ``<code>``), where GitHub neither links a
    mention (``@org/team``) nor reads HTML (``<!--``); the manifest is in a fence no line of it
    can close. Past GitHub's limit the manifest is cut, with a note saying so.
    """
    path = manifest_path(spec.id)
    before = [
        f"Proposes {markdown_code(spec.name)} {spec.version} for the plugin registry.",
        "",
        f"Only {markdown_code(path)} changes, so this pull request never conflicts with those "
        f"of other plugins. After the merge, `command: reindex` on {markdown_code(base)} brings "
        "`registry.json` up to date (the registry's reindex workflow runs it on every push that "
        "touches `plugins/**`).",
        "",
        f"Dashboards will fetch the manifest from {markdown_code(spec.manifest_url)}",
        "",
        "<details><summary>Manifest</summary>",
        "",
    ]
    shown = strictjson.dumps_text(
        {k: v for k, v in manifest.items() if k != "lastUpdated"}, indent=2
    )
    return _fitted("\n".join(before) + "\n", shown, path)


def _fitted(before: str, shown: str, path: str) -> str:
    """``before`` and the manifest ``shown`` in a fence, cut at a line to fit GitHub's limit."""
    after = "\n\n</details>"
    body = f"{before}{code_fence(shown, 'json')}{after}"
    if body_length(body) <= BODY_LIMIT:
        return body
    note = (
        f"\n\nThe manifest is cut here: it is {body_length(shown):,} characters, past what "
        f"GitHub allows in a description; {markdown_code(path)} on this branch has all of it."
    )
    room = BODY_LIMIT - body_length(f"{before}{note}{after}")
    kept = shown
    while (over := body_length(code_fence(kept, "json")) - room) > 0:
        kept = kept[: len(kept) - over]  # each character is at least one unit
        kept = kept[: kept.rfind("\n")] if "\n" in kept else kept
    return f"{before}{code_fence(kept, 'json')}{note}{after}"


def body_length(text: str) -> int:
    """``text``'s length as GitHub may count it: UTF-16 code units (at least its characters)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class _Draft:
    """What one attempt proposes."""

    plugin_id: str
    manifest: dict[str, Any]
    message: str
    title: str
    body: str

    @property
    def head(self) -> str:
        return proposal_branch(self.plugin_id)

    @property
    def path(self) -> str:
        return manifest_path(self.plugin_id)


@dataclass(frozen=True)
class Proposal:
    """What pull-request mode did: the outcome, and the pull request it opened or updated."""

    outcome: Outcome
    pull_request: PullRequest | None


@dataclass
class Proposer:
    """Proposes manifests as pull requests into the registry branch."""

    base: RegistryStore
    host: ProposalHost
    options: RunOptions

    def propose(self, spec: PluginSpec, message: str) -> Proposal:
        """Open or update the plugin's pull request; a concurrent change means try again."""
        warnings: list[str] = []
        return retrying(
            lambda attempt: self._propose_once(spec, message, warnings, attempt),
            self.options,
            f"the proposal for {spec.id}",
        )

    def _propose_once(
        self, spec: PluginSpec, message: str, warnings: list[str], attempt: int
    ) -> Proposal:
        spec = self._as_listed(spec)
        path = manifest_path(spec.id)
        base_file, on_base = _read(self.base, path, warnings)
        manifest = render_manifest(spec, self.options.clock())
        previous = on_base.get("version") if on_base else None
        # The registry branch's manifest is what a merge would replace: never go below it.
        registered = {path: previous} if isinstance(previous, str) else {}
        allowed = guard_version(
            spec.id, spec.version, registered, allow_downgrade=self.options.allow_downgrade
        )
        if allowed and allowed not in warnings:
            warnings.append(allowed)
        draft = _Draft(
            spec.id,
            manifest,
            message,
            pull_title(spec, previous),
            pull_body(spec, manifest, self.host.base),
        )
        pull = self.host.find_open_pull(draft.head)
        changes: tuple[FileChange, ...] = ()
        shown = manifest
        if pull is not None:
            changes, shown, pull = self._update(draft, pull, warnings)
        elif on_base is not None and same_content(on_base, manifest):
            shown = on_base  # already registered as it is: nothing to propose
        else:
            changes, pull = self._open(draft, base_file)
        outcome = Outcome(
            spec.id, changes, shown, previous, tuple(warnings), attempt, self.options.dry_run
        )
        return Proposal(outcome, pull)

    def _as_listed(self, spec: PluginSpec) -> PluginSpec:
        """``spec`` under the spelling its manifest has on the registry branch, if another.

        The registry branch's manifests are what the index is rebuilt from after a merge, so
        proposing ``calendar2.json`` beside ``Calendar2.json`` would list the plugin twice, and
        ``weath-er.json`` beside ``weather.json`` would list two plugins with one container.
        """
        paths = self.base.list_dir(PLUGINS_DIR)
        spec = as_spelled(spec, paths)
        check_container([plugin_id_of(path) for path in paths if is_manifest_path(path)], spec.id)
        return spec

    def _update(
        self, draft: _Draft, pull: PullRequest, warnings: list[str]
    ) -> tuple[tuple[FileChange, ...], dict[str, Any], PullRequest]:
        """Bring the open pull request's manifest up to date, if it is not already."""
        branch = self.host.files_on(draft.head)
        stored, proposed = _read(branch, draft.path, warnings)
        if proposed is not None and same_content(proposed, draft.manifest):
            return (), proposed, pull
        change = self._write(branch, stored, draft)
        if not self.options.dry_run:
            pull = self.host.update_pull(pull.number, draft.title, draft.body)
        return (change,), draft.manifest, pull

    def _open(
        self, draft: _Draft, base_file: StoredFile | None
    ) -> tuple[tuple[FileChange, ...], PullRequest | None]:
        """Start the proposal branch from the registry branch, commit, open the pull request."""
        if self.options.dry_run:
            return (self._write(self.base, base_file, draft),), None
        self.host.start_branch(draft.head)
        # The fresh branch is the registry branch's head: its manifest is the one read there.
        change = self._write(self.host.files_on(draft.head), base_file, draft)
        return (change,), self.host.create_pull(draft.head, draft.title, draft.body)

    def _write(self, store: RegistryStore, stored: StoredFile | None, draft: _Draft) -> FileChange:
        body = dumps(draft.manifest)
        before = stored.content if stored else None
        if self.options.dry_run:
            return FileChange(draft.path, before, body)
        version = stored.version if stored else None
        result = store.write(draft.path, body, version, draft.message)
        return FileChange(draft.path, before, body, result.commit_sha, result.commit_url)


def _read(
    store: RegistryStore, path: str, warnings: list[str]
) -> tuple[StoredFile | None, dict[str, Any] | None]:
    stored = store.read(path)
    if stored is None:
        return None, None
    manifest, warning = replaceable_manifest(path, stored.content)
    if warning is not None and warning not in warnings:
        warnings.append(warning)
    return stored, manifest
