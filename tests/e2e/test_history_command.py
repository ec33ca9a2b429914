"""`history` through the console script: against the fake after five registrations, on a git
checkout with --json, and each bad input as one line."""

from __future__ import annotations

import json
from pathlib import Path

from console import run_console
from fake_github import FakeGitHub
from git_checkouts import git
from harness import REGISTRY, Action
from strict_checks import assert_failed_cleanly

MASK = "::add-mask::ghs_WriteToken0123456789abcdefABCDEF"
VERSIONS = ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"]
RUN = "https://github.com/acme/Calendar2/actions/runs/"


def register_five(action: Action) -> None:
    for number, version in enumerate(VERSIONS, start=101):
        run = action.run({"version": version}, GITHUB_RUN_ID=str(number))
        assert run.status == 0, run.stdout + run.stderr


def manifest_commits(github: FakeGitHub) -> list[tuple[str, str]]:
    """(sha, date in the registry's form) of each commit of the manifest, newest first."""
    made = [c for c in github.commits(REGISTRY) if "plugins/calendar2.json" in c.paths]
    return [(c.sha, c.date.replace("Z", ".000Z")) for c in reversed(made)]


def test_history_after_five_registrations(github: FakeGitHub, action: Action) -> None:
    register_five(action)
    github.reset_log()

    run = action.run({"command": "history"})

    assert run.status == 0, run.stdout + run.stderr
    made = manifest_commits(github)
    newest_first = list(zip(VERSIONS[::-1], made, range(105, 100, -1), strict=True))
    assert run.outputs["history"] == "\n".join(
        [
            "[",
            ",\n".join(
                f'  {{\n    "version": "{v}",\n    "commit": "{sha}",\n    "date": "{date}"\n  }}'
                for v, (sha, date), _ in newest_first
            ),
            "]",
        ]
    )
    assert run.stdout.splitlines()[1:] == [
        *(f"{v}  {sha[:7]}  {date}  {RUN}{n}" for v, (sha, date), n in newest_first),
        "calendar2: 5 registrations in org/plugin-registry@main (newest: 1.4.0)",
    ]
    assert run.summary == "\n".join(
        [
            "### registry-action: history",
            "",
            "calendar2: 5 registrations in org/plugin-registry@main (newest: 1.4.0)",
            "",
            "| version | commit | date | workflow run |",
            "|---|---|---|---|",
            *(
                f"| {v} | `{sha[:7]}` | {date} | [{RUN}{n}]({RUN}{n}) |"
                for v, (sha, date), n in newest_first
            ),
            "",
        ]
    )
    assert run.outputs["changed"] == "false"
    # The default branch, registry.json (for the id's spelling), one page of commits, one
    # query for their files.
    assert [(r.method, r.path) for r in github.requests] == [
        ("GET", f"/repos/{REGISTRY}"),
        ("GET", f"/repos/{REGISTRY}/contents/registry.json"),
        ("GET", f"/repos/{REGISTRY}/commits"),
        ("POST", "/graphql"),
    ]
    assert github.writes == []


def test_a_plugin_never_registered_has_an_empty_history(github: FakeGitHub, action: Action) -> None:
    run = action.run({"command": "history", "plugin-id": "weather"})
    assert run.status == 0, run.stdout + run.stderr
    assert run.outputs["history"] == "[]"
    assert run.stdout.splitlines()[1:] == ["weather: no registrations in org/plugin-registry@main"]


def test_history_of_a_git_checkout_as_json(tmp_path: Path) -> None:
    folder = tmp_path / "registry"
    folder.mkdir()
    git(folder, "init", "-q")
    made = []
    for version in VERSIONS[:2]:
        args = ["register", "--registry-dir", str(folder), "--registry-repository", REGISTRY]
        registered = run_console(
            [*args, "--plugin-id", "calendar", "--version", version], {}, tmp_path / version
        )
        assert registered.status == 0, registered.stderr
        git(folder, "add", "-A")
        git(folder, "commit", "-q", "-m", f"Register {version}")
        made.append(
            (version, git(folder, "rev-parse", "HEAD"), git(folder, "log", "-1", "--format=%cI"))
        )

    run = run_console(
        ["history", "--registry-dir", str(folder), "--plugin-id", "calendar", "--json"],
        {},
        tmp_path / "history",
    )

    assert run.status == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["history"] == [
        {"version": v, "commit": sha, "date": date.replace("+00:00", ".000Z")}
        for v, sha, date in reversed(made)
    ]
    assert document["changed"] is False
    assert run.stderr.splitlines()[-1] == f"calendar: 2 registrations in {folder} (newest: 1.1.0)"


def test_history_of_a_folder_that_is_no_checkout_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "registry"
    folder.mkdir()
    run = run_console(
        ["history", "--registry-dir", str(folder), "--plugin-id", "calendar"], {}, tmp_path / "run"
    )
    assert run.status == 1
    assert run.stderr == (
        f"error: the registry folder {folder} is not in a git checkout: it keeps no history\n"
    )
    assert run.stdout == ""


def test_a_bad_plugin_id_is_one_line_and_asks_nothing(github: FakeGitHub, action: Action) -> None:
    run = action.run({"command": "history", "plugin-id": "../calendar"})
    assert_failed_cleanly(
        run,
        "::error title=Invalid input::input `plugin-id` '../calendar' is not a valid plugin id: "
        "use letters, digits, '.', '_' and '-', starting with a letter or digit, no '..', at most "
        "100 characters",
        github,
    )
    assert github.requests == []
