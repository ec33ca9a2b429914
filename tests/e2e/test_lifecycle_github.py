"""The lifecycle commands as the container runs them, against the fake GitHub."""

from __future__ import annotations

import json
import re

from fake_github import FakeGitHub
from harness import READ_TOKEN, REGISTRY, Action
from registry_action.core.strictjson import dumps
from registry_files import entry, manifest, registry, registry_files

ANNOTATION = re.compile(r"^::error title=[^,:]+,file=(?P<file>[^,:]+),line=(?P<line>\d+)::.+$")


def seed(github: FakeGitHub, files: dict[str, bytes]) -> None:
    for path, content in files.items():
        github.put_file(REGISTRY, path, content)
    github.reset_log()


def index(github: FakeGitHub) -> list[str]:
    content = github.get_file(REGISTRY, "registry.json")
    assert content is not None
    return [e["id"] for e in json.loads(content)["plugins"]]


def test_unregister_removes_the_entry_and_the_manifest_in_one_commit(
    github: FakeGitHub, action: Action
) -> None:
    seed(github, registry_files(manifest("calendar"), manifest("todo")))
    run = action.run({"command": "unregister", "plugin-id": "calendar"})
    assert run.status == 0, run.stdout + run.stderr
    assert index(github) == ["todo"]
    assert github.get_file(REGISTRY, "plugins/calendar.json") is None
    commits = github.commits(REGISTRY)
    assert [(c.message, sorted(c.paths)) for c in commits[-1:]] == [
        ("Remove plugin: calendar", ["plugins/calendar.json", "registry.json"])
    ]
    assert commits[-1].verified  # createCommitOnBranch: GitHub signs it
    assert run.outputs["changed"] == "true"
    assert run.outputs["commit-sha"] == commits[-1].sha
    short = commits[-1].sha[:7]
    assert (
        f"| `calendar` | 1.0.0 → — | `registry.json`, `plugins/calendar.json` | [`{short}`]("
        in (run.summary)
    )
    # The default branch looked up, a snapshot, the commit.
    assert [r.method for r in github.requests] == ["GET", "POST", "POST"]


def test_unregister_of_an_unknown_plugin_writes_nothing(github: FakeGitHub, action: Action) -> None:
    seed(github, registry_files(manifest("todo")))
    run = action.run({"command": "unregister", "plugin-id": "calendar"})
    assert run.status == 0, run.stdout + run.stderr
    assert run.outputs["changed"] == "false" and run.outputs["commit-sha"] == ""
    assert github.writes == []


def test_dry_run_of_every_command_makes_no_write_request(
    github: FakeGitHub, action: Action
) -> None:
    seed(github, registry_files(manifest("calendar2", "1.0.0"), manifest("todo"), listed=False))
    for inputs in (
        {"command": "register", "version": "1.1.0"},
        {"command": "unregister", "plugin-id": "todo"},
        {"command": "reindex"},
    ):
        run = action.run({**inputs, "dry-run": "true"})
        assert run.status == 0, run.stdout + run.stderr
        assert run.outputs["changed"] == "true" and run.outputs["commit-sha"] == ""
        assert "```diff\n--- " in run.summary and "Dry run: nothing was written" in run.summary
    assert github.requests and github.writes == []


def test_reindex_rebuilds_the_index_through_the_api(github: FakeGitHub, action: Action) -> None:
    seed(github, registry_files(manifest("todo"), manifest("calendar"), listed=False))
    run = action.run({"command": "reindex"})
    assert run.status == 0, run.stdout + run.stderr
    assert index(github) == ["calendar", "todo"]
    assert github.commits(REGISTRY)[-1].message == "Reindex registry"
    again = action.run({"command": "reindex"})
    assert again.status == 0 and again.outputs["changed"] == "false"


def test_a_downgrade_is_refused_with_one_annotation_and_no_write(
    github: FakeGitHub, action: Action
) -> None:
    seed(github, registry_files(manifest("calendar2", "2.0.0-rc.1")))
    run = action.run({"version": "1.9.0"})
    assert run.status == 1
    assert run.errors == [
        "::error title=Version downgrade refused::refusing to register calendar2 1.9.0: "
        "registry.json already has the higher version 2.0.0-rc.1; register 2.0.0-rc.1 or "
        "later, or set `allow-downgrade: true` to go back"
    ]
    assert "Traceback" not in run.stderr and github.writes == []


def test_validate_reports_every_problem_through_the_api(github: FakeGitHub, action: Action) -> None:
    calendar, todo = manifest("calendar"), manifest("todo")
    seed(github, registry_files(calendar, todo))
    seed(
        github,
        {
            "registry.json": dumps(
                registry([entry(calendar), {**entry(todo), "version": "3.0.0"}, entry(calendar)])
            ),
            "plugins/broken.json": b'{\n  "id": "broken",\n}\n',
            "plugins/misnamed.json": dumps(manifest("other")),
        },
    )
    github.remove_file(REGISTRY, "plugins/calendar.json")
    github.reset_log()
    run = action.run({"command": "validate"}, INPUT_TOKEN=READ_TOKEN)
    assert run.status == 1
    found = [ANNOTATION.match(line) for line in run.errors]
    assert all(found), run.errors
    assert [(m["file"], int(m["line"])) for m in found if m] == [
        ("registry.json", 5),  # calendar's manifest is missing
        ("registry.json", 14),  # todo's version disagrees with its manifest
        ("registry.json", 17),  # the second calendar entry lacks its manifest too
        ("registry.json", 18),  # calendar is listed twice
        ("plugins/broken.json", 3),  # not JSON
        ("plugins/misnamed.json", 2),  # named after another id
        ("plugins/misnamed.json", 15),  # its manifestUrl names that id's file
    ]
    assert len(run.stdout.splitlines()) > len(run.errors)
    warnings = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert [w.split("::")[1] for w in warnings] == [
        "warning title=Registry problem,file=plugins/broken.json",
        "warning title=Registry problem,file=plugins/misnamed.json",
    ]
    assert github.writes == []
    assert "org/plugin-registry@main: 7 error(s), 2 warning(s)" in run.summary
