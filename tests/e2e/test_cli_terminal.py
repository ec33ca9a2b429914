"""The command line as a new user meets it: each mistake is one line, exit status 2 for usage."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from console import terminal
from fake_github import FakeGitHub, faults
from harness import REGISTRY, WRITE_TOKEN

WRONG = "ghs_WrongToken0123456789abcdefABCDEFG"
FOLDER = ("--registry-dir", "registry", "--plugin-id", "calendar", "--version", "1.4.2")
REGISTER = ("register", *FOLDER, "--registry-repository", REGISTRY)
ON_GITHUB = ("--registry-repository", REGISTRY, "--plugin-id", "calendar", "--version", "1.4.2")
CREATED = "warning: created the registry folder registry, which did not exist: a new registry\n"


def cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return terminal(*args, cwd=cwd, env=env)


def usage(line: str, command: str = "register") -> str:
    return f"error: {line}; see `registry-action {command} --help`\n"


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (("--to", "5"), "unknown flag --to (did you mean --timeout?)"),
        (("--dry",), "unknown flag --dry (did you mean --dry-run?)"),
        (("--plugin-i", "weather"), "unknown flag --plugin-i (did you mean --plugin-id?)"),
    ],
)
def test_a_flag_is_never_guessed_from_its_beginning(
    tmp_path: Path, typed: tuple[str, ...], said: str
) -> None:
    done = cli(*REGISTER, *typed, cwd=tmp_path)
    assert (done.status, done.stdout, done.stderr) == (2, "", usage(said))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "typed", [("--token", "ghp_Secret0123456789"), ("--token=ghp_Secret0123",)]
)
def test_a_token_on_the_command_line_is_refused_and_never_echoed(
    tmp_path: Path, typed: tuple[str, ...]
) -> None:
    done = cli("register", *ON_GITHUB, *typed, cwd=tmp_path)
    assert (done.status, done.stdout) == (2, "")
    assert done.stderr == usage(
        "`registry-action register` takes no token on the command line, where other users of "
        "this machine could read it: export GITHUB_TOKEN (or GH_TOKEN) or use --token-env NAME"
    )


def test_a_mistyped_command_is_one_line_suggesting_the_command(tmp_path: Path) -> None:
    done = cli("regster", *FOLDER, cwd=tmp_path)
    assert (done.status, done.stdout) == (2, "")
    assert done.stderr == (
        "error: unknown command 'regster' (did you mean `registry-action register`?); "
        "see `registry-action --help`\n"
    )


def test_the_registry_is_asked_for_before_a_token(tmp_path: Path) -> None:
    done = cli("register", "--plugin-id", "calendar", "--version", "1.4.2", cwd=tmp_path)
    assert (done.status, done.stdout) == (1, "")
    assert done.stderr == (
        "error: `--registry-repository OWNER/NAME` or `--registry-dir DIR` is required: the "
        "registry on GitHub, or a registry folder\n"
    )
    done = cli("register", *ON_GITHUB, cwd=tmp_path)
    assert done.stderr == (
        "error: no GitHub token (a token with `contents: write` on org/plugin-registry): "
        "export GITHUB_TOKEN (or GH_TOKEN) or use --token-env NAME\n"
    )
    # validate only reads: it asks for no more than that.
    done = cli("validate", "--registry-repository", REGISTRY, cwd=tmp_path)
    assert done.stderr == (
        "error: no GitHub token (a token with `contents: read` on org/plugin-registry): "
        "export GITHUB_TOKEN (or GH_TOKEN) or use --token-env NAME\n"
    )


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (("--timeout", "abc"), "`--timeout` must be a number of seconds, not 'abc'"),
        (("--timeout", "0"), "`--timeout` must be more than 0 and at most 21600 seconds, not '0'"),
        (("--max-attempts", "0"), "`--max-attempts` must be greater than or equal to 1, not '0'"),
        (
            ("--registry-repository", "plugin-registry"),
            "`--registry-repository` must be owner/name, such as org/plugin-registry, not "
            "'plugin-registry'",
        ),
        (
            ("--committer-name", "Bot"),
            "`--committer-name` is set but `--committer-email` is not: set both to choose the "
            "committer (which makes the commits unverified), or neither",
        ),
    ],
)
def test_a_value_the_settings_refuse_is_a_usage_error_naming_it(
    tmp_path: Path, typed: tuple[str, ...], said: str
) -> None:
    done = cli("register", *FOLDER, *typed, cwd=tmp_path)
    assert (done.status, done.stdout, done.stderr) == (2, "", usage(said))
    assert list(tmp_path.iterdir()) == []


def test_the_help_says_what_each_flag_takes(tmp_path: Path) -> None:
    helped = cli("register", "--help", cwd=tmp_path)
    assert helped.status == 0
    for flag in (
        "--registry-repository OWNER/NAME",
        "--registry-branch BRANCH",
        "--registry-dir DIR",
        "--plugin-id ID",
        "--version SEMVER",
        "--manifest-template FILE",
        "--ui-remote-entry URL",
        "--server-route-base PATH",
        "--timeout SECONDS",
        "--max-attempts N",
        "--server-url URL",
        "--api-url URL",
        "--token-env NAME",
    ):
        assert flag in helped.stdout, flag
    assert "VALUE" not in helped.stdout


@pytest.mark.parametrize(
    ("command", "branch"),
    [
        ("register", "branch to register the plugin in"),
        ("unregister", "branch to remove the plugin from"),
        ("validate", "branch to check"),
        ("reindex", "branch whose registry.json is rebuilt"),
        ("history", "branch whose history is read"),
        ("rollback", "branch to roll the plugin back in"),
        ("promote", "branch to promote the plugin from (the source environment)"),
    ],
)
def test_each_command_says_what_its_branch_is(tmp_path: Path, command: str, branch: str) -> None:
    helped = " ".join(cli(command, "--help", cwd=tmp_path).stdout.split())
    assert f"--registry-branch BRANCH {branch} (default: the repository's default branch)" in (
        helped
    )
    assert "branch to write" not in helped


def test_json_prints_the_result_alone_on_stdout(tmp_path: Path) -> None:
    done = cli(*REGISTER, "--json", cwd=tmp_path)
    assert done.status == 0, done.stderr
    raw = "https://raw.githubusercontent.com/org/plugin-registry/main"
    manifest = json.loads((tmp_path / "registry/plugins/calendar.json").read_text())
    assert json.loads(done.stdout) == {
        "plugin-id": "calendar",
        "manifest-url": f"{raw}/plugins/calendar.json",
        "registry-url": f"{raw}/registry.json",
        "changed": True,
        "commit-sha": None,
        "manifest": manifest,
        "pull-request-url": None,
        "pull-request-number": None,
        "history": None,
    }
    assert done.stderr == (
        f"{CREATED}calendar 1.4.2 registered in registry (plugins/calendar.json, registry.json)\n"
    )
    # A check's problems come with it; here the manifests name another repository.
    other = ("--registry-repository", "org/other", "--json")
    checked = cli("validate", "--registry-dir", "registry", *other, cwd=tmp_path)
    assert checked.status == 1
    assert json.loads(checked.stdout)["problems"] == [
        {
            "severity": "error",
            "file": "registry/plugins/calendar.json",
            "line": 15,
            "message": f"manifestUrl is {raw}/plugins/calendar.json but this file is fetched "
            "from https://raw.githubusercontent.com/org/other/main/plugins/calendar.json: "
            "dashboards would load another manifest; register the plugin again or correct it",
        }
    ]


def test_quiet_prints_only_warnings_and_errors(tmp_path: Path) -> None:
    done = cli(*REGISTER, "--quiet", cwd=tmp_path)
    assert (done.status, done.stdout, done.stderr) == (0, "", CREATED)
    again = cli(*REGISTER, "-q", cwd=tmp_path)
    assert (again.status, again.stdout, again.stderr) == (0, "", "")


def test_a_new_registry_folder_is_announced_once(tmp_path: Path) -> None:
    done = cli(*REGISTER, cwd=tmp_path)
    assert (done.status, done.stderr) == (0, CREATED)
    assert cli(*REGISTER, "--version", "1.4.3", cwd=tmp_path).stderr == ""


def test_a_warning_for_every_flag_a_folder_ignores(tmp_path: Path) -> None:
    done = cli(
        *REGISTER,
        "--api-url",
        "https://ghe.example.com/api/v3",
        "--committer-name",
        "Registry Bot",
        "--committer-email",
        "bot@example.com",
        "--subdomain-isolation",
        "false",
        "--health-check-timeout",
        "30",
        "--token-env",
        "MY_TOKEN",
        cwd=tmp_path,
    )
    assert done.status == 0, done.stderr
    folder = "`--registry-dir` names a folder, not a registry on GitHub"
    assert done.stderr.splitlines() == [
        f"warning: `--api-url` is ignored: {folder}",
        f"warning: `--committer-name` is ignored: {folder}",
        f"warning: `--committer-email` is ignored: {folder}",
        "warning: `--subdomain-isolation` is ignored: it applies to GitHub Enterprise Server, "
        "and the server is https://github.com",
        "warning: `--health-check-timeout` is ignored: `--health-check` is not set",
        "warning: `--token-env` is ignored: `--registry-dir` names a folder, not GitHub",
        CREATED.rstrip("\n"),
    ]
    manifest = json.loads((tmp_path / "registry/plugins/calendar.json").read_text())
    assert manifest["manifestUrl"].startswith("https://raw.githubusercontent.com/")


@pytest.fixture
def enterprise() -> Iterator[FakeGitHub]:
    """A GitHub Enterprise Server: the REST API under /api/v3."""
    with FakeGitHub(prefix="/api/v3") as fake:
        fake.add_repo(REGISTRY, default_branch="main")
        fake.add_token(WRITE_TOKEN, permission="write")
        yield fake


def test_an_enterprise_api_url_gives_its_servers_raw_urls(
    tmp_path: Path, enterprise: FakeGitHub
) -> None:
    api = ("--api-url", enterprise.api_url)
    done = cli(
        "register",
        *ON_GITHUB,
        *api,
        "--subdomain-isolation",
        "false",
        cwd=tmp_path,
        GITHUB_TOKEN=WRITE_TOKEN,
    )
    assert done.status == 0, done.stderr
    raw = f"{enterprise.root_url}/raw/org/plugin-registry/main/plugins/calendar.json"
    manifest = json.loads(enterprise.get_file(REGISTRY, "plugins/calendar.json") or b"{}")
    assert manifest["manifestUrl"] == raw
    # --server-url names the server itself; with subdomain isolation, raw.HOSTNAME.
    done = cli(
        "register",
        *ON_GITHUB[:-1],
        "1.4.3",
        *api,
        "--server-url",
        "https://ghe.example.com",
        cwd=tmp_path,
        GITHUB_TOKEN=WRITE_TOKEN,
    )
    assert done.status == 0, done.stderr
    manifest = json.loads(enterprise.get_file(REGISTRY, "plugins/calendar.json") or b"{}")
    assert manifest["manifestUrl"] == (
        "https://raw.ghe.example.com/org/plugin-registry/main/plugins/calendar.json"
    )


@pytest.mark.parametrize(
    ("env", "read_from"),
    [
        ({"GH_TOKEN": WRITE_TOKEN, "GITHUB_TOKEN": WRONG}, None),
        ({"GH_TOKEN": WRONG, "GITHUB_TOKEN": WRITE_TOKEN}, "GH_TOKEN"),
        ({"GITHUB_TOKEN": WRONG}, "GITHUB_TOKEN"),
    ],
)
def test_the_token_is_read_as_gh_reads_it(
    tmp_path: Path, github: FakeGitHub, env: dict[str, str], read_from: str | None
) -> None:
    done = cli("register", *ON_GITHUB, "--api-url", github.api_url, cwd=tmp_path, **env)
    if read_from is None:
        assert done.status == 0, done.stderr
        return
    assert (done.status, done.stdout) == (1, "")
    assert done.stderr == (
        "error: GitHub rejected the token (401 Bad credentials): it is wrong, expired or "
        f"revoked; put a valid token in {read_from}\n"
    )
    assert github.list_files(REGISTRY) == []


def test_token_env_names_the_only_variable_read(tmp_path: Path, github: FakeGitHub) -> None:
    args = ("register", *ON_GITHUB, "--api-url", github.api_url, "--token-env", "MY_TOKEN")
    done = cli(*args, cwd=tmp_path, GH_TOKEN=WRITE_TOKEN)
    assert (done.status, done.stderr) == (
        1,
        "error: no GitHub token in MY_TOKEN (a token with `contents: write` on "
        "org/plugin-registry): export it, or export GITHUB_TOKEN (or GH_TOKEN) without "
        "--token-env\n",
    )
    done = cli(*args, cwd=tmp_path, MY_TOKEN=WRITE_TOKEN, GH_TOKEN=WRONG)
    assert done.status == 0, done.stderr


def test_validate_asks_for_read_access_only(tmp_path: Path, github: FakeGitHub) -> None:
    refusal = "Resource not accessible by integration"
    github.inject(method="GET", path_regex=r"/repos/", fault=faults.status(403, refusal))
    done = cli(
        "validate",
        "--registry-repository",
        REGISTRY,
        "--api-url",
        github.api_url,
        cwd=tmp_path,
        GITHUB_TOKEN=WRITE_TOKEN,
    )
    assert (done.status, done.stdout) == (1, "")
    assert done.stderr == (
        f"error: the token cannot read the repository in org/plugin-registry (403 {refusal}): "
        "give it `contents: read` on org/plugin-registry (a GitHub App installed on it, or a "
        "fine-grained token)\n"
    )


def test_the_docs_say_what_the_command_line_does() -> None:
    from registry_action.commands import COMMANDS

    root = Path(__file__).resolve().parents[2]
    commands = (root / "docs/commands.md").read_text()
    statuses = re.findall(r"^\| (\d+) \| (.*) \|$", commands, flags=re.MULTILINE)
    assert [int(status) for status, _ in statuses] == [0, 1, 2, 130]
    assert "a flag's value the settings refuse" in dict(statuses)["2"]
    for name, command in COMMANDS.items():
        section = commands.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        said = re.findall(r"Default commit message: `([^`]*)`", section)
        assert said in ([], [command.message]), name
    validate = commands.split("\n## validate\n", 1)[1].split("\n## ", 1)[0]
    assert "a token with `contents: read` is enough" in " ".join(validate.split())
    readme = " ".join((root / "README.md").read_text().split())
    for fact in ("from `GH_TOKEN`, else `GITHUB_TOKEN`", "exit status 2", "`--server-url`"):
        assert fact in readme


@pytest.mark.parametrize(
    ("given", "api", "runner_server", "server"),
    [
        ("https://ghe.example.com/", "https://api.github.com", None, "https://ghe.example.com"),
        (None, "https://ghe.example.com/api/v3", None, "https://ghe.example.com"),
        (None, "https://ghe.example.com/api/v3/", "https://ghe.internal", "https://ghe.internal"),
        (None, "https://api.github.com", None, "https://github.com"),
        (None, "http://127.0.0.1:8080", None, "https://github.com"),
        (None, None, None, "https://github.com"),
    ],
)
def test_the_server_of_the_raw_urls(
    given: str | None, api: str | None, runner_server: str | None, server: str
) -> None:
    from registry_action.settings.runner import Runner, server_url

    runner = Runner.from_env({"GITHUB_SERVER_URL": runner_server} if runner_server else {})
    assert server_url(given, api, runner) == server
