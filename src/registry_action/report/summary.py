"""What a run tells its user: outputs, the job summary, the closing line."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from registry_action.commands import COMMANDS
from registry_action.commands.base import Result
from registry_action.core import strictjson
from registry_action.core.documents import REGISTRY_PATH, plugin_id_of
from registry_action.core.escaping import markdown_code, markdown_text
from registry_action.core.validation import Problem
from registry_action.engine.outcome import FileChange, Outcome
from registry_action.report.diffs import markdown_diff


def outputs(result: Result) -> dict[str, str]:
    """The action's outputs for ``result`` (the token is never among them)."""
    outcome = result.outcome
    manifest = outcome.manifest
    return {
        "plugin-id": outcome.plugin_id,
        "manifest-url": result.manifest_url or "",
        "registry-url": result.registry_url or "",
        "changed": "true" if outcome.changed else "false",
        "commit-sha": outcome.commit_sha or "",
        "manifest": strictjson.dumps_text(manifest, indent=2) if manifest else "",
        "pull-request-url": result.pull_request.url if result.pull_request else "",
        "pull-request-number": str(result.pull_request.number) if result.pull_request else "",
        "history": _history_output(result),
    }


def _history_output(result: Result) -> str:
    if result.history is None:
        return ""
    return strictjson.dumps_text([r.as_output() for r in result.history], indent=2)


def headline(result: Result) -> str:
    """One line saying what happened."""
    if result.problems is not None:
        return _checked_headline(result)
    if result.history is not None:
        return _history_headline(result)
    outcome, command = result.outcome, COMMANDS[result.command]
    would = "would be " if outcome.dry_run else ""
    version = (outcome.manifest or {}).get("version")
    label = result.label or (f"{outcome.plugin_id} {version}" if version else outcome.plugin_id)
    pull = result.pull_request
    if not outcome.changed:
        if pull is not None:
            return f"{label} is already proposed in pull request #{pull.number}: nothing written"
        return f"{label} {command.unchanged.format(registry=result.registry)}"
    files = ", ".join(change.path for change in outcome.changes)
    if result.proposed:
        where = f"pull request #{pull.number} ({pull.url})" if pull else "a pull request"
        return f"{label} {would}proposed in {where} ({files})"
    return f"{label} {would}{command.done} in {result.registry} ({files})"


def _checked_headline(result: Result) -> str:
    problems = result.problems or ()
    errors = sum(problem.severity == "error" for problem in problems)
    warnings = len(problems) - errors
    if not problems:
        return f"{result.registry}: no problems found"
    return f"{result.registry}: {errors} error(s), {warnings} warning(s)"


def _history_headline(result: Result) -> str:
    found, plugin = result.history or (), result.outcome.plugin_id
    if not found:
        return f"{plugin}: no registrations in {result.registry}"
    times = "registration" if len(found) == 1 else "registrations"
    return f"{plugin}: {len(found)} {times} in {result.registry} (newest: {found[0].version})"


@dataclass(frozen=True)
class PluginRow:
    """One plugin's line in the summary table."""

    plugin_id: str
    before: str | None
    after: str | None
    files: tuple[str, ...]


def plugin_rows(outcome: Outcome) -> list[PluginRow]:
    """Per plugin: its version before and after, and the files changed for it.

    Worked out from the files' contents, so one shape serves every command: register and
    unregister touch one plugin, reindex may touch many entries of the index.
    """
    rows: dict[str, PluginRow] = {}
    for change in outcome.changes:
        for plugin_id, before, after in _versions_changed(change):
            row = rows.get(plugin_id)
            if row is None:
                row = PluginRow(plugin_id, before, after, ())
            elif change.path == REGISTRY_PATH:  # the index says what is registered
                row = replace(row, before=before, after=after)
            rows[plugin_id] = replace(row, files=(*row.files, change.path))
    if not rows and outcome.plugin_id:
        current = (outcome.manifest or {}).get("version") or outcome.previous_version
        rows[outcome.plugin_id] = PluginRow(
            outcome.plugin_id, outcome.previous_version, current, ()
        )
    return list(rows.values())


def _versions_changed(change: FileChange) -> list[tuple[str, str | None, str | None]]:
    if change.path == REGISTRY_PATH:
        before, after = _index_entries(change.before), _index_entries(change.after)
        ids = list(before) + [plugin_id for plugin_id in after if plugin_id not in before]
        return [
            (i, _version(before.get(i)), _version(after.get(i)))
            for i in ids
            if before.get(i) != after.get(i)
        ]
    plugin_id = plugin_id_of(change.path)
    return [(plugin_id, _version(_load(change.before)), _version(_load(change.after)))]


def _load(content: bytes | None) -> Any:
    try:
        return strictjson.loads(content.decode("utf-8")) if content is not None else None
    except ValueError:
        return None  # a damaged file being replaced: its version is unknown


def _index_entries(content: bytes | None) -> dict[str, Any]:
    document = _load(content)
    plugins = document.get("plugins") if isinstance(document, dict) else None
    entries = plugins if isinstance(plugins, list) else []
    return {e["id"]: e for e in entries if isinstance(e, dict) and isinstance(e.get("id"), str)}


def _version(document: Any) -> str | None:
    version = document.get("version") if isinstance(document, dict) else None
    return version if isinstance(version, str) else None


def summary(result: Result) -> str:
    """A short Markdown report for the job summary."""
    outcome = result.outcome
    lines = [f"### registry-action: {result.command}", "", markdown_text(headline(result)), ""]
    if result.problems is not None:
        return "\n".join(lines + _problem_table(result.problems)) + "\n"
    if result.history is not None:
        lines += _history_table(result)
        lines += [f"\n> [!WARNING]\n> {markdown_text(w)}" for w in outcome.warnings]
        return "\n".join(lines) + "\n"
    rows = plugin_rows(outcome)
    if rows:
        lines += ["| plugin | version | files changed | commits |", "|---|---|---|---|"]
        lines += [_row(row, outcome) for row in rows]
    if result.pull_request:
        lines += ["", f"Pull request: {_link(result.pull_request.url)}"]
    if result.manifest_url and outcome.manifest:
        lines += ["", f"Manifest: {_link(result.manifest_url)}"]
    lines += [f"\n> [!WARNING]\n> {markdown_text(warning)}" for warning in outcome.warnings]
    if outcome.dry_run and outcome.changes:
        lines += ["", "Dry run: nothing was written. The changes it would make:"]
        for change in outcome.changes:
            lines += ["", f"#### {markdown_code(change.path)}", "", markdown_diff(change)]
    return "\n".join(lines) + "\n"


def _row(row: PluginRow, outcome: Outcome) -> str:
    before, after = markdown_text(row.before or "—"), markdown_text(row.after or "—")
    version = before if before == after else f"{before} → {after}"
    files = ", ".join(markdown_code(path) for path in row.files) or "none"
    return f"| {markdown_code(row.plugin_id)} | {version} | {files} | {_commits(row, outcome)} |"


def _commits(row: PluginRow, outcome: Outcome) -> str:
    if outcome.dry_run:
        return "dry run" if row.files else "—"
    links = []
    for change in outcome.changes:
        if change.path in row.files and change.commit_sha:
            text = f"`{change.commit_sha[:7]}`"
            link = f"[{text}]({_target(change.commit_url)})" if change.commit_url else text
            if link not in links:
                links.append(link)
    return ", ".join(links) or "—"


def _problem_table(problems: tuple[Problem, ...]) -> list[str]:
    if not problems:
        return []
    lines = ["| | file | line | problem |", "|---|---|---|---|"]
    for problem in problems:
        mark = "❌ error" if problem.severity == "error" else "⚠️ warning"
        message = markdown_text(problem.message)
        where = markdown_code(problem.path)
        lines.append(f"| {mark} | {where} | {problem.line or ''} | {message} |")
    return lines


def _history_table(result: Result) -> list[str]:
    if not result.history:
        return []
    lines = ["| version | commit | date | workflow run |", "|---|---|---|---|"]
    for registration in result.history:
        run = _link(registration.run) if registration.run else "—"
        commit = f"`{registration.commit[:7]}`"
        lines.append(
            f"| {markdown_text(registration.version)} | {commit} | {registration.date} | {run} |"
        )
    return lines


def _target(url: str) -> str:
    """A URL from a server as a Markdown link target that cannot end the link early."""
    return re.sub(r"[\s()<>\[\]`|\\]", lambda c: f"%{ord(c.group()):02X}", url)


def _link(url: str) -> str:
    return f"[{markdown_text(url)}]({_target(url)})"
