"""Inputs as a Docker action receives them."""

from __future__ import annotations

import pytest

from registry_action.cli import main
from registry_action.errors import InputError
from registry_action.settings.inputs import Inputs
from registry_action.settings.runner import Runner


def test_hyphen_and_underscore_forms_and_empty_values() -> None:
    inputs = Inputs.from_env(
        {
            "INPUT_REGISTRY-REPOSITORY": "org/plugin-registry",
            "INPUT_PLUGIN_ID": "calendar",
            "INPUT_REGISTRY-BRANCH": "",
            "INPUT_TOKEN": "  t0ken\n",
            "INPUT_DRY-RUN": "true",
            "INPUT_MAX-ATTEMPTS": "3",
        }
    )
    assert inputs.registry_repository == "org/plugin-registry"
    assert inputs.plugin_id == "calendar"
    assert inputs.registry_branch is None
    assert inputs.token is not None and inputs.token.get_secret_value() == "t0ken"
    assert inputs.dry_run is True
    assert inputs.max_attempts == 3
    assert "t0ken" not in repr(inputs)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"INPUT_REGISTRY-REPOSITORY": "plugin-registry"},
            "input `registry-repository` must be owner/name",
        ),
        ({"INPUT_DRY-RUN": "yes"}, "input `dry-run` must be true or false, not 'yes'"),
        ({"INPUT_MAX-ATTEMPTS": "many"}, "input `max-attempts` must be a whole number, not 'many'"),
        ({"INPUT_MAX-ATTEMPTS": "0"}, "input `max-attempts` must be greater than or equal to 1"),
        ({"INPUT_API-URL": "api.github.com"}, "input `api-url` must be an http(s) URL"),
        ({"INPUT_TIMEOUT": "soon"}, "input `timeout` must be a number of seconds, not 'soon'"),
        ({"INPUT_TIMEOUT": "0"}, "input `timeout` must be more than 0 and at most 21600 seconds"),
        # Bytes that are not UTF-8 reach os.environ as lone surrogates (surrogateescape).
        (
            {"INPUT_PLUGIN-NAME": b"caf\xe9".decode("utf-8", "surrogateescape")},
            "input `plugin-name` is not valid UTF-8 text",
        ),
    ],
)
def test_bad_inputs_give_one_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(InputError) as caught:
        Inputs.from_env(env)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_the_deadline_defaults_to_ten_minutes_and_attempts_are_not_capped() -> None:
    inputs = Inputs.from_env({"INPUT_TIMEOUT": "", "INPUT_MAX-ATTEMPTS": ""})
    assert (inputs.timeout, inputs.max_attempts) == (600, None)
    assert Inputs.from_env({"INPUT_TIMEOUT": "90"}).timeout == 90


def test_runner_context_and_enterprise() -> None:
    runner = Runner.from_env(
        {"GITHUB_REPOSITORY": "acme/x", "GITHUB_SERVER_URL": "https://ghe.acme.dev"}
    )
    assert runner.repository == "acme/x"
    assert runner.is_enterprise
    assert not Runner.from_env({}).is_enterprise


def test_an_unknown_command_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    env = {"INPUT_COMMAND": "delete", "INPUT_REGISTRY-REPOSITORY": "org/plugin-registry"}
    assert main([], env) == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: input `command` must be one of register, unregister, validate, reindex, "
        "history, rollback, promote, not 'delete'"
    ]
