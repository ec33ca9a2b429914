"""The command line as a tool: each mistake is one line that says what to do, never a traceback."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

from console import terminal
from harness import Run
from registry_action.store.github.errors import why_unreachable


def cli(*args: str, cwd: Path, **env: str) -> Run:
    return terminal(*args, cwd=cwd, env=env)


def test_bare_command_on_a_terminal_prints_usage(tmp_path: Path) -> None:
    done = cli(cwd=tmp_path)
    assert done.status == 2
    assert done.stdout == "usage: registry-action [-h] [--version] COMMAND ...\n"
    assert done.stderr == (
        "error: no command given: run `registry-action register --help` (or another command), "
        "or set the INPUT_* variables as the runner does; see `registry-action --help`\n"
    )


def test_an_unknown_flag_is_one_line_with_the_way_to_help(tmp_path: Path) -> None:
    done = cli("register", "--bogus", "x", cwd=tmp_path)
    assert (done.status, done.stdout) == (2, "")
    assert done.stderr == ("error: unknown flag --bogus; see `registry-action register --help`\n")


def test_an_unknown_command_is_one_line(tmp_path: Path) -> None:
    done = cli("publish", cwd=tmp_path)
    assert done.status == 2
    assert done.stderr == (
        "error: unknown command 'publish' (choose from register, unregister, validate, "
        "reindex, history, rollback, promote); see `registry-action --help`\n"
    )


def test_a_flag_without_its_value_is_one_line(tmp_path: Path) -> None:
    done = cli("register", "--plugin-id", cwd=tmp_path)
    assert done.status == 2
    assert done.stderr == (
        "error: argument --plugin-id: expected one argument; "
        "see `registry-action register --help`\n"
    )


def test_a_flag_of_another_command_is_refused(tmp_path: Path) -> None:
    done = cli(
        "unregister", "--registry-dir", "r", "--plugin-id", "a", "--version", "1.2", cwd=tmp_path
    )
    assert done.status == 2
    assert done.stderr == (
        "error: `registry-action unregister` does not take --version (only register, rollback "
        "do); see `registry-action unregister --help`\n"
    )
    done = cli("validate", "--registry-dir", "r", "--plugin-id", "Bad_ID", cwd=tmp_path)
    assert done.status == 2
    assert done.stderr == (
        "error: `registry-action validate` does not take --plugin-id (only register, "
        "unregister, history, rollback, promote do); see `registry-action validate --help`\n"
    )


def test_validate_help_lists_only_what_validate_uses(tmp_path: Path) -> None:
    done = cli("validate", "--help", cwd=tmp_path)
    assert done.status == 0
    flags = {word.rstrip(",") for word in done.stdout.split() if word.startswith("--")}
    assert flags == {
        "--help",
        "--registry-repository",
        "--registry-branch",
        "--registry-dir",
        "--manifest-base-url",
        "--subdomain-isolation",
        "--timeout",
        "--server-url",
        "--api-url",
        "--live",
        "--manifest-urls",
        "--maps",
        "--token-env",
        "--json",
        "--quiet",
    }


def test_reindex_of_a_folder_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    for command in ("reindex", "validate"):
        done = cli(command, "--registry-dir", "regsitry", cwd=tmp_path)
        assert done.status == 1
        assert done.stderr == "error: the registry folder regsitry does not exist\n"
    assert not (tmp_path / "regsitry").exists()


def test_a_bad_tuning_variable_is_one_line(tmp_path: Path) -> None:
    done = cli(cwd=tmp_path, INPUT_COMMAND="bogus", REGISTRY_ACTION_RETRY_BASE_DELAY="abc")
    assert done.status == 1
    assert done.stderr == (
        "error: input `command` must be one of register, unregister, validate, reindex, "
        "history, rollback, promote, not 'bogus'\n"
    )
    done = cli(cwd=tmp_path, INPUT_COMMAND="validate", REGISTRY_ACTION_RETRY_BASE_DELAY="abc")
    assert done.status == 1
    assert done.stderr == (
        "error: REGISTRY_ACTION_RETRY_BASE_DELAY must be a valid number, unable to parse "
        "string as a number, not 'abc'\n"
    )


# A deadline shorter than a request's own connect timeout bounds the connection: a refusal
# is still told from the time running out.
@pytest.mark.parametrize("timeout", [[], ["--timeout", "5"]], ids=["default", "short"])
def test_a_refused_connection_fails_at_once_in_one_line(tmp_path: Path, timeout: list[str]) -> None:
    started = time.monotonic()
    done = cli(
        "register",
        "--registry-repository",
        "org/plugin-registry",
        "--plugin-id",
        "calendar",
        "--version",
        "1.0.0",
        "--api-url",
        "http://127.0.0.1:9",
        *timeout,
        cwd=tmp_path,
        GITHUB_TOKEN="ghs_NotARealToken0123456789",
    )
    assert done.status == 1
    assert done.stderr == (
        "error: could not read the repository in org/plugin-registry: the connection to "
        "127.0.0.1:9 was refused (nothing listens there); check `--api-url` and the network, "
        "then re-run\n"
    )
    assert time.monotonic() - started < 5  # no retries with backoff (those take 7 s)


def _failed(reason: Exception) -> requests.ConnectionError:
    from urllib3.exceptions import MaxRetryError

    error = requests.ConnectionError(MaxRetryError(None, "/repos/o/r", reason))
    error.request = requests.Request("GET", "https://ghe.example:8443/api/v3/repos/o/r").prepare()
    return error


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        (
            NameResolutionError("ghe.example", None, OSError("Name or service not known")),
            "the name ghe.example was not found (DNS)",
        ),
        (
            NewConnectionError(None, "Network is unreachable"),
            "no connection could be made to ghe.example:8443",
        ),
    ],
)
def test_a_name_not_found_and_no_route_are_told_apart(reason: Exception, said: str) -> None:
    assert why_unreachable(_failed(reason)) == said
