"""What a run tells its user: outputs, the job summary, the closing line."""

from __future__ import annotations

import json

from registry_action.commands import Result


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
        "manifest": json.dumps(manifest, indent=2, ensure_ascii=False) if manifest else "",
        "pull-request-url": result.pull_request.url if result.pull_request else "",
        "pull-request-number": str(result.pull_request.number) if result.pull_request else "",
    }


def headline(result: Result) -> str:
    """One line saying what happened."""
    outcome = result.outcome
    would = "would be " if outcome.dry_run else ""
    version = (outcome.manifest or {}).get("version")
    label = f"{outcome.plugin_id} {version}" if version else outcome.plugin_id
    pull = result.pull_request
    if not outcome.changed:
        if pull is not None:
            return f"{label} is already proposed in pull request #{pull.number}: nothing written"
        return f"{label} is already up to date in {result.registry}: nothing written"
    files = ", ".join(change.path for change in outcome.changes)
    if result.proposed:
        where = f"pull request #{pull.number} ({pull.url})" if pull else "a pull request"
        return f"{label} {would}proposed in {where} ({files})"
    verb = {"register": "registered", "unregister": "unregistered"}.get(result.command, "updated")
    return f"{label} {would}{verb} in {result.registry} ({files})"


def summary(result: Result) -> str:
    """A short Markdown report for the job summary."""
    outcome = result.outcome
    lines = [f"### registry-action: {result.command}", "", headline(result), ""]
    before = outcome.previous_version or "—"
    after = (outcome.manifest or {}).get("version", "—")
    lines += ["| plugin | version before | version after | changed |", "|---|---|---|---|"]
    lines.append(f"| `{outcome.plugin_id}` | {before} | {after} | {str(outcome.changed).lower()} |")
    if outcome.changes:
        lines += ["", "| file | commit |", "|---|---|"]
        for change in outcome.changes:
            commit = (
                f"[{change.commit_sha[:7]}]({change.commit_url})"
                if change.commit_sha and change.commit_url
                else (change.commit_sha or ("dry run" if outcome.dry_run else "—"))
            )
            lines.append(f"| `{change.path}` | {commit} |")
    if result.pull_request:
        lines += ["", f"Pull request: {result.pull_request.url}"]
    if result.manifest_url:
        lines += ["", f"Manifest: {result.manifest_url}"]
    for warning in outcome.warnings:
        lines += ["", f"> [!WARNING]\n> {warning}"]
    return "\n".join(lines) + "\n"
