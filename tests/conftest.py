"""Fixtures: a running fake GitHub per test, and the action as a plugin repository runs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_github import FakeGitHub
from harness import Action, docker_env, new_fake, start_fake
from resolver import Resolver


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the slow tests first: they mostly wait, and none should be the last one running."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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
    """The action as a plugin repository ``acme/Calendar2`` runs it against the fake.

    The workflow names the fake as `api-url` and leaves the other inputs empty, as the runner
    passes them; conflicts wait the shipped backoff.
    """
    workspace, files = tmp_path / "workspace", tmp_path / "file_commands"
    files.mkdir()
    inputs = {"API-URL": github.api_url, "COMMAND": "", "REGISTRY-BRANCH": "", "PLUGIN-ID": ""}
    env = docker_env(github, workspace, files, **inputs, **{"DRY-RUN": "false"})
    env |= {
        "HOME": str(tmp_path),
        "CI": "true",
        "GITHUB_REPOSITORY": "acme/Calendar2",
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_REF": "refs/heads/main",
    }
    del env["REGISTRY_ACTION_RETRY_BASE_DELAY"]
    return Action(workspace, files, env)


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resolver]:
    """Name lookups in this process as the test sets them (resolver.py); the rest go on as ever."""
    names = Resolver()
    names.install(monkeypatch)
    try:
        yield names
    finally:
        names.release()
