"""Running the installed console script as a Docker action would, against the fake GitHub."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_github import FakeGitHub

REPO = "org/plugin-registry"
WRITE_TOKEN = "ghs_writeTokenForTests0123456789"
READ_TOKEN = "ghs_readTokenForTests0123456789"
SCRIPT = shutil.which("registry-action", path=str(Path(sys.executable).parent)) or "registry-action"


def start_fake() -> FakeGitHub:
    """A running fake with the registry repository and a write and a read token."""
    fake = FakeGitHub().start()
    fake.add_repo(REPO)
    fake.add_token(WRITE_TOKEN, permission="write")
    fake.add_token(READ_TOKEN, permission="read")
    return fake


def docker_env(fake: FakeGitHub, workdir: Path, **inputs: str) -> dict[str, str]:
    """The environment a Docker action receives, with ``inputs`` as ``INPUT_*`` variables."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(workdir),
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/calendar",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_WORKSPACE": str(workdir),
        "GITHUB_OUTPUT": str(workdir / "output"),
        "GITHUB_STEP_SUMMARY": str(workdir / "summary"),
        "INPUT_TOKEN": WRITE_TOKEN,
        "INPUT_REGISTRY-REPOSITORY": REPO,
        "INPUT_REGISTRY-BRANCH": "main",
        "INPUT_VERSION": "1.0.0",
        # The same full-jitter backoff, from a smaller base, so contention tests finish quickly.
        "REGISTRY_ACTION_RETRY_BASE_DELAY": "0.05",
    }
    env.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
    return env


@dataclass(frozen=True)
class Run:
    """What a finished run left: exit status, streams, and its outputs."""

    status: int
    stdout: str
    stderr: str
    outputs: dict[str, str]

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::error")]


def read_outputs(path: Path) -> dict[str, str]:
    """Parse ``GITHUB_OUTPUT`` (``name<<delimiter`` blocks)."""
    if not path.exists():
        return {}
    lines, found = path.read_text(encoding="utf-8").splitlines(), {}
    index = 0
    while index < len(lines):
        name, _, delimiter = lines[index].partition("<<")
        end = lines.index(delimiter, index + 1)
        found[name] = "\n".join(lines[index + 1 : end])
        index = end + 1
    return found


def start(env: Mapping[str, str]) -> subprocess.Popen[str]:
    """Start the console script with ``env`` and no arguments, as the container's entrypoint."""
    return subprocess.Popen(
        [SCRIPT], env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen[str], env: Mapping[str, str], timeout: float = 240) -> Run:
    stdout, stderr = process.communicate(timeout=timeout)
    return Run(process.returncode, stdout, stderr, read_outputs(Path(env["GITHUB_OUTPUT"])))


def run_action(env: Mapping[str, str], timeout: float = 240) -> Run:
    return finish(start(env), env, timeout)


def registry(fake: FakeGitHub) -> dict[str, Any]:
    data = fake.get_file(REPO, "registry.json")
    assert data is not None, "registry.json is missing"
    loaded: dict[str, Any] = json.loads(data)
    return loaded


def manifest(fake: FakeGitHub, plugin_id: str) -> dict[str, Any] | None:
    data = fake.get_file(REPO, f"plugins/{plugin_id}.json")
    return None if data is None else json.loads(data)


def assert_consistent(fake: FakeGitHub) -> dict[str, Any]:
    """The registry is valid and every entry agrees with a manifest that exists."""
    from registry_action.documents import check_manifest, check_registry

    document = registry(fake)
    check_registry("registry.json", document)
    for entry in document["plugins"]:
        found = manifest(fake, entry["id"])
        assert found is not None, f"registry.json lists {entry['id']} with no manifest"
        check_manifest(entry["id"], found)
        assert {k: found[k] for k in ("id", "name", "version", "manifestUrl")} == entry
    return document
