"""Fixtures: a running fake GitHub per test, and the action as a plugin repository runs it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_github import FakeGitHub
from harness import REGISTRY, WRITE_TOKEN, Action, new_fake, start_fake


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """A fake GitHub with an empty ``org/plugin-registry`` and a write and a read token."""
    with new_fake() as fake:
        yield fake


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    """A started fake GitHub, for runs made with ``harness.run_action``."""
    server = start_fake()
    try:
        yield server
    finally:
        server.stop()


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
        # Transport retries keep their count, with shorter waits between them.
        "REGISTRY_ACTION_TRANSPORT_BACKOFF": "0.01",
    }
    return Action(workspace, files, env)
