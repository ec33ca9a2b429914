"""Registries as the clone-and-push script left them, made by running its own steps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from registry_files import entry, manifest

SCRIPT = Path(__file__).resolve().parent / "legacy" / "clone_and_push.sh"
UNEXPANDED = "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)"
# When each plugin's workflow ran the step (the commit dates of its registration).
REGISTERED = {"Calendar2": "2024-01-20T12:00:00+00:00", "Weather-App": "2024-02-03T08:30:00+00:00"}


def run_script(checkout: Path, plugin: str) -> None:
    """One plugin's workflow running the step against ``checkout`` at its registration date."""
    date = REGISTERED[plugin]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(checkout.parent),
        "PYTHON": sys.executable,
        "GIT_AUTHOR_NAME": "github-actions[bot]",
        "GIT_AUTHOR_EMAIL": "github-actions[bot]@users.noreply.github.com",
        "GIT_COMMITTER_NAME": "github-actions[bot]",
        "GIT_COMMITTER_EMAIL": "github-actions[bot]@users.noreply.github.com",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    subprocess.run(
        ["bash", str(SCRIPT), str(checkout), plugin], env=env, check=True, capture_output=True
    )


def legacy_registry(checkout: Path) -> dict[str, bytes]:
    """A git checkout of a registry where ``Calendar2``, then ``Weather-App``, registered.

    Returns its files by path, as the script wrote them.
    """
    checkout.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(checkout)], check=True)
    for plugin in REGISTERED:
        run_script(checkout, plugin)
    return {
        path.relative_to(checkout).as_posix(): path.read_bytes()
        for path in sorted(checkout.rglob("*.json"))
        if ".git" not in path.parts
    }


def legacy_files(count: int) -> dict[str, bytes]:
    """``count`` manifests and an index in the forms the script wrote them: unexpanded stamps,
    the index's keys out of order and its stamp with microseconds."""
    manifests = [manifest(f"plugin-{n:03d}", lastUpdated=UNEXPANDED) for n in range(count)]
    files = {f"plugins/{m['id']}.json": json.dumps(m, indent=2).encode() + b"\n" for m in manifests}
    index = {
        "version": "1.0.0",
        "plugins": [entry(m) for m in manifests],
        "lastUpdated": "2024-01-20T12:00:00.123456Z",
    }
    files["registry.json"] = json.dumps(index, indent=2).encode() + b"\n"
    return files
