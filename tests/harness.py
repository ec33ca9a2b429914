"""The one test harness: a fake GitHub, and the console script run as a user or a runner runs it.

Tests that need a server per test use the fixtures of ``conftest.py`` (built from here); tests
and benchmarks that run many registrations against one server call these functions directly.
"""

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

REGISTRY = "org/plugin-registry"
WRITE_TOKEN = "ghs_WriteToken0123456789abcdefABCDEF"
READ_TOKEN = "ghs_ReadToken0123456789abcdefABCDEFG"


def new_fake() -> FakeGitHub:
    """A fake GitHub (not started) with an empty registry repository and both tokens."""
    fake = FakeGitHub()
    fake.add_repo(REGISTRY, default_branch="main", description="Plugin registry")
    fake.add_token(WRITE_TOKEN, permission="write")
    fake.add_token(READ_TOKEN, permission="read")
    return fake


def start_fake() -> FakeGitHub:
    """A running fake GitHub with the registry repository and a write and a read token."""
    return new_fake().start()


def console_script() -> str:
    """The installed ``registry-action`` beside this interpreter (the venv's)."""
    beside = Path(sys.executable).with_name("registry-action")
    found = str(beside) if beside.exists() else shutil.which("registry-action")
    assert found, "registry-action is not installed: pip install -e ."
    return found


def terminal(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``registry-action args`` as typed on a terminal: only PATH, HOME and ``env`` are set."""
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd)}
    return subprocess.run(
        [console_script(), *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


@dataclass(frozen=True)
class Run:
    """A finished run of the console script, with what the runner would collect."""

    status: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str = ""

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::error")]


def parse_outputs(text: str) -> dict[str, str]:
    """Read a GITHUB_OUTPUT file written with ``name<<delimiter`` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        name, _, delimiter = line.partition("<<")
        assert delimiter, f"not a delimited output line: {line!r}"
        value: list[str] = []
        for item in lines:
            if item == delimiter:
                break
            value.append(item)
        else:
            raise AssertionError(f"output {name} has no closing delimiter")
        outputs[name] = "\n".join(value)
    return outputs


def read_outputs(path: Path) -> dict[str, str]:
    """The outputs in a ``GITHUB_OUTPUT`` file, none when it was never written."""
    return parse_outputs(path.read_text(encoding="utf-8")) if path.exists() else {}


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
        "INPUT_REGISTRY-REPOSITORY": REGISTRY,
        "INPUT_REGISTRY-BRANCH": "main",
        "INPUT_VERSION": "1.0.0",
        # The same full-jitter backoff, from a smaller base, so contention tests finish quickly.
        "REGISTRY_ACTION_RETRY_BASE_DELAY": "0.05",
        # Transport retries keep their count, with shorter waits between them.
        "REGISTRY_ACTION_TRANSPORT_BACKOFF": "0.01",
    }
    env.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
    if env.get("INPUT_COMMAND", "register") != "register":
        del env["INPUT_VERSION"]  # only register takes a version
    return env


@dataclass
class Action:
    """Runs the console script with the environment a Docker action receives."""

    workspace: Path
    files: Path
    env: dict[str, str]

    def run(self, inputs: Mapping[str, str] | None = None, *args: str, **extra: str) -> Run:
        env = {**self.env, **{f"INPUT_{k.upper()}": v for k, v in (inputs or {}).items()}}
        env.update(extra)
        output, summary = self.files / "output", self.files / "summary"
        output.write_text("")
        summary.write_text("")
        done = subprocess.run(
            [console_script(), *args],
            env=env,
            cwd=self.workspace,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )
        return Run(
            done.returncode,
            done.stdout,
            done.stderr,
            parse_outputs(output.read_text()),
            summary.read_text(),
        )


def start(env: Mapping[str, str]) -> subprocess.Popen[str]:
    """Start the console script with ``env`` and no arguments, as the container's entrypoint."""
    return subprocess.Popen(
        [console_script()],
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], env: Mapping[str, str], timeout: float = 240) -> Run:
    stdout, stderr = process.communicate(timeout=timeout)
    return Run(process.returncode, stdout, stderr, read_outputs(Path(env["GITHUB_OUTPUT"])))


def run_action(env: Mapping[str, str], timeout: float = 240) -> Run:
    return finish(start(env), env, timeout)


def registry(fake: FakeGitHub) -> dict[str, Any]:
    data = fake.get_file(REGISTRY, "registry.json")
    assert data is not None, "registry.json is missing"
    loaded: dict[str, Any] = json.loads(data)
    return loaded


def manifest(fake: FakeGitHub, plugin_id: str) -> dict[str, Any] | None:
    data = fake.get_file(REGISTRY, f"plugins/{plugin_id}.json")
    return None if data is None else json.loads(data)


def assert_consistent(fake: FakeGitHub) -> dict[str, Any]:
    """The registry is valid and every entry agrees with a manifest that exists."""
    from registry_action.core.documents import check_manifest, check_registry

    document = registry(fake)
    check_registry("registry.json", document)
    for entry in document["plugins"]:
        found = manifest(fake, entry["id"])
        assert found is not None, f"registry.json lists {entry['id']} with no manifest"
        check_manifest(entry["id"], found)
        assert {k: found[k] for k in ("id", "name", "version", "manifestUrl")} == entry
    return document
