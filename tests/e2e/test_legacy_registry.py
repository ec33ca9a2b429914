"""A registry the clone-and-push script wrote, taken over: validated, registered into, converted.

The registry is made by running the script's own steps (tests/legacy/clone_and_push.sh) for
``Calendar2`` and ``Weather-App``; every run goes through the console script.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from console import run_console
from fake_github import FakeGitHub
from harness import REGISTRY, Action
from legacy_registry import REGISTERED, UNEXPANDED, legacy_registry
from registry_action.core.models import is_canonical_timestamp
from registry_action.core.strictjson import dumps

RAW = "https://raw.githubusercontent.com/org/plugin-registry/main"
CALENDAR = "plugins/Calendar2.json"
WEATHER = "plugins/Weather-App.json"
LOCAL = {"GITHUB_REPOSITORY": "acme/Calendar2", "HOME": "/nonexistent"}


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*.json"))
        if ".git" not in p.parts
    }


def validate(folder: Path, tmp: Path) -> tuple[int, list[str]]:
    """validate's exit status and its annotation lines, in Actions form."""
    env = {**LOCAL, "GITHUB_ACTIONS": "true"}
    run = run_console(["validate", "--registry-dir", str(folder)], env, tmp)
    return run.status, [line for line in run.stdout.splitlines() if line.startswith("::")]


def assert_contract_form(content: bytes) -> dict[str, Any]:
    """``content`` is written as the program writes, with timestamps in the written form."""
    document: dict[str, Any] = json.loads(content)
    assert content == dumps(document)
    assert is_canonical_timestamp(document["lastUpdated"])
    return document


def test_validate_reports_the_script_s_forms_as_warnings_only(tmp_path: Path) -> None:
    folder = tmp_path / "registry"
    written = legacy_registry(folder)
    assert json.loads(written[CALENDAR])["lastUpdated"] == UNEXPANDED

    status, lines = validate(folder, tmp_path / "run")

    assert status == 0
    assert all(line.startswith("::warning ") for line in lines), lines
    stamp = json.loads(written["registry.json"])["lastUpdated"]
    assert [line.split("::")[2] for line in lines] == [
        "the keys are in the order version, plugins, lastUpdated, not version, lastUpdated, "
        "plugins: the next registration writes them in order, or `registry-action reindex` "
        "converts the registry in one run",
        f"lastUpdated {stamp!r} is not in the form written (2024-01-20T12:00:00.000Z): "
        "the next registration rewrites it, or `registry-action reindex` converts the registry in "
        "one run",
    ] + [
        # "%" is written "%25" in a workflow command, which the runner shows as "%".
        f"lastUpdated is the shell text {UNEXPANDED.replace('%', '%25')!r}, never expanded to "
        "a time: the plugin's next registration replaces it, or `registry-action reindex` converts "
        "the registry in one run"
    ] * 2
    assert f"file={folder}/{CALENDAR},line=16" in lines[2]


def seed_legacy(
    github: FakeGitHub, tmp_path: Path, dates: dict[str, str] | None = None
) -> dict[str, bytes]:
    """The script's registry, committed to the fake's registry (each file dated if given)."""
    files = legacy_registry(tmp_path / "checkout")
    for path, content in files.items():
        github.put_file(REGISTRY, path, content, date=(dates or {}).get(path))
    return files


def check_registered_in_place(before: dict[str, bytes], after: dict[str, bytes]) -> None:
    """Calendar2 updated in its entry and file, Weather-App untouched, all in contract form."""
    assert sorted(after) == sorted(before)  # no plugins/calendar2.json beside Calendar2.json
    assert after[WEATHER] == before[WEATHER]
    index = assert_contract_form(after["registry.json"])
    assert list(index) == ["version", "lastUpdated", "plugins"]
    old = json.loads(before["registry.json"])["plugins"]
    assert index["plugins"] == [{**old[0], "version": "1.2.0"}, old[1]]
    manifest = assert_contract_form(after[CALENDAR])
    assert (manifest["id"], manifest["version"]) == ("Calendar2", "1.2.0")
    assert manifest["manifestUrl"] == f"{RAW}/{CALENDAR}"
    assert manifest["server"]["routeBase"] == "/api/integrations/calendar2"


def test_registering_with_default_inputs_updates_the_entry_in_place_on_github(
    github: FakeGitHub, action: Action, tmp_path: Path
) -> None:
    before = seed_legacy(github, tmp_path)

    run = action.run({"version": "1.2.0"})  # GITHUB_REPOSITORY is acme/Calendar2

    assert run.status == 0, run.stdout + run.stderr
    assert run.outputs["plugin-id"] == "Calendar2"
    assert run.outputs["manifest-url"] == f"{RAW}/{CALENDAR}"
    after = {path: github.get_file(REGISTRY, path) or b"" for path in github.list_files(REGISTRY)}
    check_registered_in_place(before, after)


def test_registering_with_default_inputs_updates_the_entry_in_place_in_a_folder(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "registry"
    before = legacy_registry(folder)
    args = ["register", "--registry-dir", str(folder), "--version", "1.2.0"]
    args += ["--registry-repository", REGISTRY]

    run = run_console(args, LOCAL, tmp_path / "run")

    assert run.status == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1] == (
        f"Calendar2 1.2.0 registered in {folder} ({CALENDAR}, registry.json)"
    )
    check_registered_in_place(before, files_of(folder))
    status, lines = validate(folder, tmp_path / "check")
    assert status == 0
    assert [line.split("::")[1] for line in lines] == [
        f"warning title=Registry problem,file={folder}/{WEATHER},line=16"
    ]


def git_date(folder: Path, path: str) -> str:
    done = subprocess.run(
        ["git", "log", "-1", "--format=%cI", "--", path],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_reindex_converts_the_registry_in_one_run(tmp_path: Path) -> None:
    folder = tmp_path / "registry"
    before = legacy_registry(folder)
    args = ["reindex", "--registry-dir", str(folder)]

    dry = run_console([*args, "--dry-run"], LOCAL, tmp_path / "dry")
    assert dry.status == 0, dry.stdout + dry.stderr
    assert files_of(folder) == before
    assert f'-  "lastUpdated": "{UNEXPANDED}"' in dry.stdout
    assert '+  "lastUpdated": "2024-01-20T12:00:00.000Z"' in dry.stdout

    run = run_console(args, LOCAL, tmp_path / "run")

    assert run.status == 0, run.stdout + run.stderr
    after = files_of(folder)
    for path, plugin in ((CALENDAR, "Calendar2"), (WEATHER, "Weather-App")):
        manifest = assert_contract_form(after[path])
        # Dated by the commit that last changed the manifest, read from the checkout's history.
        assert git_date(folder, path) == REGISTERED[plugin]
        assert manifest["lastUpdated"] == REGISTERED[plugin].replace("+00:00", ".000Z")
        assert manifest == {**json.loads(before[path]), "lastUpdated": manifest["lastUpdated"]}
    index = assert_contract_form(after["registry.json"])
    old_index = json.loads(before["registry.json"])
    assert index == {**old_index, "lastUpdated": old_index["lastUpdated"][:23] + "Z"}
    assert validate(folder, tmp_path / "check") == (0, [])

    again = run_console(args, LOCAL, tmp_path / "again")
    assert again.status == 0
    assert again.stdout.splitlines()[-1] == (
        f"registry.json is already up to date in {folder}: nothing written"
    )
    assert files_of(folder) == after


def test_reindex_converts_on_github_and_a_second_run_writes_nothing(
    github: FakeGitHub, action: Action, tmp_path: Path
) -> None:
    dates = {CALENDAR: "2024-01-20T12:00:00Z", WEATHER: "2024-02-03T08:30:00Z"}
    seed_legacy(github, tmp_path, dates)
    seeded = len(github.commits(REGISTRY))
    github.reset_log()

    run = action.run({"command": "reindex"})

    assert run.status == 0, run.stdout + run.stderr
    assert run.outputs["changed"] == "true"
    assert [(r.method, r.path) for r in github.writes] == [("POST", "/graphql")]
    [commit] = github.commits(REGISTRY)[seeded:]  # both manifests and the index, in one
    assert sorted(commit.paths) == sorted([CALENDAR, WEATHER, "registry.json"])
    assert (commit.verified, commit.empty, commit.message) == (True, False, "Reindex registry")
    assert run.outputs["commit-sha"] == commit.sha
    converted = {p: github.get_file(REGISTRY, p) or b"" for p in github.list_files(REGISTRY)}
    for path, content in converted.items():
        document = assert_contract_form(content)
        if path in dates:  # dated by the commit that last changed it, read from the history
            assert document["lastUpdated"] == dates[path].replace("Z", ".000Z")
    checkout = tmp_path / "converted"
    for path, content in converted.items():
        (checkout / path).parent.mkdir(parents=True, exist_ok=True)
        (checkout / path).write_bytes(content)
    assert validate(checkout, tmp_path / "check") == (0, [])
    github.reset_log()

    again = action.run({"command": "reindex"})

    assert again.status == 0
    assert again.outputs["changed"] == "false"
    assert github.writes == []


def test_a_proposal_of_calendar2_updates_Calendar2_and_reindex_lists_it_once(
    github: FakeGitHub, action: Action, tmp_path: Path
) -> None:
    before = seed_legacy(github, tmp_path)
    github.protect_branch(REGISTRY, "main")

    run = action.run({"version": "1.2.0", "pull-request": "true", "plugin-id": "calendar2"})

    assert run.status == 0, run.stdout + run.stderr
    [pull] = github.pulls(REGISTRY)
    assert (pull.head, pull.title) == (
        "registry/Calendar2",
        "Update plugin Calendar2 from 1.1.0 to 1.2.0",
    )
    on_branch = github.list_files(REGISTRY, branch=pull.head)
    assert on_branch == sorted(before)  # Calendar2.json replaced, no calendar2.json beside it
    proposed = assert_contract_form(github.get_file(REGISTRY, CALENDAR, branch=pull.head) or b"")
    assert (proposed["id"], proposed["manifestUrl"]) == ("Calendar2", f"{RAW}/{CALENDAR}")

    github.merge_pull(REGISTRY, pull.number)
    github.protect_branch(REGISTRY, "main", protected=False)
    reindexed = action.run({"command": "reindex"})

    assert reindexed.status == 0, reindexed.stdout + reindexed.stderr
    index = assert_contract_form(github.get_file(REGISTRY, "registry.json") or b"")
    assert [(e["id"], e["version"]) for e in index["plugins"]] == [
        ("Calendar2", "1.2.0"),
        ("Weather-App", "0.3.1"),
    ]
    assert github.get_file(REGISTRY, WEATHER) != before[WEATHER]  # converted by the reindex
