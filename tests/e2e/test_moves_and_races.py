"""A renamed registry, redirects to other hosts, and an unregister racing another delete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fake_github import FakeGitHub, faults
from harness import REGISTRY, WRITE_TOKEN, docker_env, run_action
from registry_action.store.github.contents import GitHubStore, make_client
from registry_action.store.interface import ConflictError, Deadline
from registry_files import manifest, registry_files

NEW = "platform/dashboard-plugins"
MOVED = (
    f"::warning::{REGISTRY} has been renamed or transferred to {NEW}: GitHub redirects the old "
    f"name for now, set `registry-repository: {NEW}` in the workflow"
)


def test_a_renamed_registry_is_written_under_its_new_name_with_a_warning(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    fake.rename_repo(REGISTRY, NEW)
    env = docker_env(fake, tmp_path, PLUGIN_ID="calendar")
    del env["INPUT_REGISTRY-BRANCH"]
    run = run_action(env)
    assert run.status == 0, run.stdout + run.stderr
    assert MOVED in run.stdout.splitlines()
    listed = json.loads(fake.get_file(NEW, "registry.json") or b"")
    assert [p["id"] for p in listed["plugins"]] == ["calendar"]
    assert run.outputs["manifest-url"].startswith(f"https://raw.githubusercontent.com/{NEW}/main/")
    assert all(r.status not in (301, 307) for r in fake.requests[1:])  # only the lookup moved


def test_a_renamed_registry_keeps_the_branch_asked_for(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.put_files(REGISTRY, registry_files(manifest("todo")))
    fake.create_branch(REGISTRY, "registry")
    # main moves on, so that a read that lands on main instead of the branch shows.
    on_main = registry_files(manifest("todo", "2.0.0"))
    for path in ("plugins/todo.json", "registry.json"):
        fake.put_file(REGISTRY, path, on_main[path], branch="main")
    main_before = fake.head(REGISTRY, "main")
    fake.rename_repo(REGISTRY, NEW)
    env = docker_env(fake, tmp_path, PLUGIN_ID="calendar", **{"REGISTRY-BRANCH": "registry"})
    run = run_action(env)
    assert run.status == 0, run.stdout + run.stderr
    assert MOVED in run.stdout.splitlines()
    assert fake.head(NEW, "main") == main_before  # the default branch is untouched
    on_branch = json.loads(fake.get_file(NEW, "registry.json", branch="registry") or b"")
    assert [p["id"] for p in on_branch["plugins"]] == ["todo", "calendar"]
    assert on_branch["plugins"][0]["version"] == "1.0.0"  # read from the branch, not from main
    # A read names no other ref (a redirect PyGithub followed drops it, and is read again).
    assert all(r.query.get("ref", "registry") == "registry" for r in fake.requests)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_host_is_refused_and_the_token_stays(
    fake: FakeGitHub, tmp_path: Path, status: int
) -> None:
    other = FakeGitHub(host="localhost").start()
    try:
        other.add_repo(REGISTRY)
        other.add_token(WRITE_TOKEN)
        location = f"{other.api_url}/repos/{REGISTRY}"
        fake.inject(fault=faults.redirect(status, location), times=None)
        run = run_action(docker_env(fake, tmp_path, PLUGIN_ID="calendar"))
        assert run.status == 1
        assert len(run.errors) == 1
        assert "redirected to another host (localhost)" in run.errors[0]
        assert "set `api-url` to the API's address" in run.errors[0]
        assert other.requests == []
        assert fake.writes == []
    finally:
        other.stop()


def test_an_unregister_whose_manifest_another_run_deleted_first_succeeds(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    fake.put_files(REGISTRY, registry_files(manifest("calendar"), manifest("todo")))
    # Another run deletes the manifest just before this run's commit, which then finds the
    # branch moved, reads it again and removes the entry alone.
    fake.inject(method="POST", path_regex=r"/graphql$", fault=faults.vanish(), skip=1)
    run = run_action(docker_env(fake, tmp_path, COMMAND="unregister", PLUGIN_ID="calendar"))
    assert run.status == 0, run.stdout + run.stderr
    assert [f.kind for f in fake.fired] == ["vanish"]
    assert sorted(fake.commits(REGISTRY)[-1].paths) == ["registry.json"]
    assert fake.get_file(REGISTRY, "plugins/calendar.json") is None
    listed = json.loads(fake.get_file(REGISTRY, "registry.json") or b"")
    assert [p["id"] for p in listed["plugins"]] == ["todo"]
    assert run.errors == []


def test_an_html_error_page_is_reduced_to_its_status(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.inject(method="POST", path_regex=r"/graphql$", fault=faults.html(503), times=None)
    # A 5xx is retried until the run's deadline: a short one keeps the test quick.
    run = run_action(docker_env(fake, tmp_path, PLUGIN_ID="calendar", TIMEOUT="3"))
    assert run.status == 1
    assert len(run.errors) == 1
    assert "(503 Service Unavailable)" in run.errors[0]
    assert "<" not in run.errors[0] and "Unicorn" not in run.stdout + run.stderr


def test_a_repository_renamed_between_read_and_write_is_looked_up_again(
    fake: FakeGitHub,
) -> None:
    fake.put_file(REGISTRY, "registry.json", b"{}\n")
    store = GitHubStore(
        make_client(WRITE_TOKEN, fake.api_url, deadline=Deadline(600)), REGISTRY, "main"
    )
    found = store.read("registry.json")
    assert found is not None
    fake.rename_repo(REGISTRY, NEW)
    with pytest.raises(ConflictError, match="was renamed or moved meanwhile"):
        store.write("registry.json", b"[]\n", found.version, "m")
    assert [r.status for r in fake.writes] == [307]  # GitHub's answer to a write: not applied
    again = store.read("registry.json")
    assert again is not None
    store.write("registry.json", b"[]\n", again.version, "m")
    assert fake.get_file(NEW, "registry.json") == b"[]\n"
    assert store.notices == (MOVED.removeprefix("::warning::"),)


def test_a_repository_renamed_between_two_reads_is_never_read_on_another_branch(
    fake: FakeGitHub,
) -> None:
    fake.create_branch(REGISTRY, "registry")
    fake.put_file(REGISTRY, "registry.json", b'"registry"\n', branch="registry")
    fake.put_file(REGISTRY, "registry.json", b'"main"\n', branch="main")
    store = GitHubStore(
        make_client(WRITE_TOKEN, fake.api_url, deadline=Deadline(600)), REGISTRY, "registry"
    )
    assert store.read("plugins/x.json") is None
    fake.rename_repo(REGISTRY, NEW)
    # PyGithub follows the 301 without ?ref=, to the default branch's file: refused, not used.
    with pytest.raises(ConflictError, match="was renamed or moved meanwhile"):
        store.read("registry.json")
    again = store.read("registry.json")
    assert again is not None and again.content == b'"registry"\n'
