"""Shared fixtures: a running fake GitHub, and the console script run as the runner runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from action_support import start_fake
from fake_github import FakeGitHub

REGISTRY = "org/plugin-registry"
WRITE_TOKEN = "ghs_WriteToken0123456789abcdefABCDEF"
READ_TOKEN = "ghs_ReadToken0123456789abcdefABCDEFG"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """A fake GitHub with an empty ``org/plugin-registry`` and a write and a read token."""
    with FakeGitHub() as fake:
        fake.add_repo(REGISTRY, default_branch="main", description="Plugin registry")
        fake.add_token(WRITE_TOKEN, permission="write")
        fake.add_token(READ_TOKEN, permission="read")
        yield fake


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    """The fake GitHub of ``action_support.start_fake``, for runs made with ``run_action``."""
    server = start_fake()
    try:
        yield server
    finally:
        server.stop()


def console_script() -> str:
    """The installed ``registry-action`` beside this interpreter (the venv's)."""
    beside = Path(sys.executable).with_name("registry-action")
    found = str(beside) if beside.exists() else shutil.which("registry-action")
    assert found, "registry-action is not installed: pip install -e ."
    return found


@dataclass
class Run:
    """A finished run of the console script, with what the runner would collect."""

    status: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str

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


@pytest.fixture
def action(github: FakeGitHub, tmp_path: Path) -> Action:
    """The action as a plugin repository ``acme/Calendar2`` runs it against the fake."""
    workspace, files = tmp_path / "workspace", tmp_path / "file_commands"
    workspace.mkdir()
    files.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_REPOSITORY": "acme/Calendar2",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(files / "output"),
        "GITHUB_STEP_SUMMARY": str(files / "summary"),
        "INPUT_TOKEN": WRITE_TOKEN,
        "INPUT_REGISTRY-REPOSITORY": REGISTRY,
        "INPUT_API-URL": github.api_url,
        "INPUT_COMMAND": "",
        "INPUT_REGISTRY-BRANCH": "",
        "INPUT_PLUGIN-ID": "",
        "INPUT_DRY-RUN": "false",
    }
    return Action(workspace, files, env)
