"""A message names a setting as the interface in use spells it: an input, or a flag."""

from __future__ import annotations

from fake_github import FakeGitHub
from harness import REGISTRY, Action

WRONG = "ghs_WrongToken0123456789abcdefABCDEFG"


def test_a_rejected_token_in_a_workflow_names_the_token_input(action: Action) -> None:
    run = action.run({"version": "1.2.3"}, INPUT_TOKEN=WRONG)
    assert run.status == 1
    assert run.errors == [
        "::error title=GitHub refused the request::GitHub rejected the token (401 Bad "
        "credentials): it is wrong, expired or revoked; pass a valid token in the `token` input"
    ]


def test_a_rejected_token_on_the_command_line_names_the_variable(
    github: FakeGitHub, action: Action
) -> None:
    run = action.run(
        None,
        "register",
        "--registry-repository",
        REGISTRY,
        "--api-url",
        github.api_url,
        "--version",
        "1.2.3",
        "--token-env",
        "MY_TOKEN",
        MY_TOKEN=WRONG,
        GITHUB_ACTIONS="",
    )
    assert run.status == 1
    assert run.stderr == (
        "error: GitHub rejected the token (401 Bad credentials): it is wrong, expired or "
        "revoked; put a valid token in MY_TOKEN\n"
    )


def test_a_missing_plugin_id_is_named_as_an_input_or_a_flag(action: Action) -> None:
    in_workflow = action.run({"version": "1.2.3"}, GITHUB_REPOSITORY="")
    assert in_workflow.errors == [
        "::error title=Invalid input::input `plugin-id` is required when GITHUB_REPOSITORY "
        "is not set"
    ]
    on_terminal = action.run(
        None, "register", "--registry-dir", "r", "--version", "1.2.3", GITHUB_REPOSITORY=""
    )
    assert on_terminal.errors == [
        "::error title=Invalid input::`--plugin-id` is required when GITHUB_REPOSITORY is not set"
    ]


def test_an_input_the_command_does_not_use_is_warned_about(action: Action) -> None:
    run = action.run({"command": "unregister", "plugin-id": "calendar", "pull-request": "true"})
    assert run.status == 0
    warnings = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert warnings == [
        "::warning title=Input not used::input `pull-request` is not used by "
        "`command: unregister`: it is ignored"
    ]
    quiet = action.run({"command": "unregister", "plugin-id": "calendar", "pull-request": "false"})
    assert "::warning" not in quiet.stdout


def test_a_short_token_is_not_masked_inside_words(github: FakeGitHub, action: Action) -> None:
    # "wrong" cannot be a GitHub token: scrubbing it would turn the advice into nonsense.
    run = action.run(
        None,
        "register",
        "--registry-repository",
        REGISTRY,
        "--api-url",
        github.api_url,
        "--version",
        "1.2.3",
        GITHUB_TOKEN="wrong",
        GITHUB_ACTIONS="",
        INPUT_TOKEN="",
    )
    assert run.status == 1
    assert run.stderr == (
        "error: GitHub rejected the token (401 Bad credentials): it is wrong, expired or "
        "revoked; put a valid token in GITHUB_TOKEN\n"
    )


def test_a_token_is_scrubbed_only_where_it_stands_whole() -> None:
    from registry_action.report.workflow import Reporter

    reporter = Reporter(in_actions=False)
    reporter.mask(WRONG)
    assert reporter.scrub(f"sent {WRONG}, '{WRONG}' and {WRONG}s or x{WRONG}") == (
        f"sent ***, '***' and {WRONG}s or x{WRONG}"
    )
