"""The trailer that names the workflow run in every commit message, and reading it back."""

from __future__ import annotations

import pytest

from registry_action.engine.history import run_of, with_carried, with_run
from registry_action.errors import InputError
from registry_action.settings.runner import Runner

RUN = "https://github.com/acme/calendar/actions/runs/123"


def test_the_runner_names_its_run_on_the_server_it_says() -> None:
    env = {"GITHUB_REPOSITORY": "acme/calendar", "GITHUB_RUN_ID": "123"}
    assert Runner.from_env(env).run_url == RUN
    enterprise = {**env, "GITHUB_SERVER_URL": "https://ghe.example.com/"}
    assert Runner.from_env(enterprise).run_url == (
        "https://ghe.example.com/acme/calendar/actions/runs/123"
    )
    # Off a runner (no run, or no repository) there is no run to name.
    assert Runner.from_env({"GITHUB_RUN_ID": "123"}).run_url is None
    assert Runner.from_env({"GITHUB_REPOSITORY": "acme/calendar"}).run_url is None


def test_a_run_id_that_is_no_number_is_one_line() -> None:
    with pytest.raises(InputError) as caught:
        Runner.from_env({"GITHUB_RUN_ID": "12\n\nWorkflow-Run: https://evil.example"})
    assert str(caught.value) == (
        "GITHUB_RUN_ID must be the workflow run's number, not "
        "'12\\n\\nWorkflow-Run: https://evil.example'"
    )


def test_the_trailer_is_the_last_paragraph_and_reads_back() -> None:
    message = with_run("Update plugin: calendar\n", RUN)
    assert message == f"Update plugin: calendar\n\nWorkflow-Run: {RUN}"
    assert run_of(message) == RUN
    assert run_of(message + "\n") == RUN  # git keeps a final line break
    assert with_run("Update plugin: calendar", None) == "Update plugin: calendar"


@pytest.mark.parametrize(
    "message",
    [
        "Update plugin: calendar",
        f"Workflow-Run: {RUN}\n\nSaid above, not a trailer",
        "Update\n\nWorkflow-Run: https://example.com/not/a/run",
        "Update\n\nWorkflow-Run: javascript:alert(1)//actions/runs/1",
        f"Update\n\nWorkflow-Run: {RUN} and more",
    ],
)
def test_a_message_without_a_run_trailer_names_no_run(message: str) -> None:
    assert run_of(message) is None


OTHER = "https://github.com/acme/beta/actions/runs/456"


def test_a_commit_carrying_parked_registrations_names_each_ones_run() -> None:
    message = with_carried(with_run("Update plugin: calendar", RUN), [("beta", OTHER), ("x", None)])
    assert message == (
        f"Update plugin: calendar\n\nWorkflow-Run: {RUN}\n"
        f"Registration-Run: beta {OTHER}\nRegistration-Run: x"
    )
    assert run_of(message, "calendar") == run_of(message) == RUN  # its own
    assert run_of(message, "beta") == OTHER
    assert run_of(message, "x") is None  # registered where no run was named (a terminal)
    # Off a runner, the commit's own message has no trailer: the carried ones start one.
    bare = with_carried("Update plugin: calendar", [("beta", OTHER)])
    assert bare == f"Update plugin: calendar\n\nRegistration-Run: beta {OTHER}"
    assert (run_of(bare, "beta"), run_of(bare, "calendar")) == (OTHER, None)
    assert with_carried("Update", []) == "Update"
