"""Registering through the console script, as the container runs it, against the fake GitHub."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from fake_github import FakeGitHub
from harness import READ_TOKEN, REGISTRY, WRITE_TOKEN, Action

ROOT = Path(__file__).resolve().parents[2]
RAW = "https://raw.githubusercontent.com/org/plugin-registry/main"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def load(github: FakeGitHub, path: str) -> dict[str, object]:
    content = github.get_file(REGISTRY, path)
    assert content is not None, f"{path} is missing"
    document: dict[str, object] = json.loads(content)
    return document


def schema(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((ROOT / "schema" / name).read_text()))


def test_registration_writes_exactly_the_design_documents(
    github: FakeGitHub, action: Action
) -> None:
    run = action.run({"version": "1.2.3"})
    assert run.status == 0, run.stdout + run.stderr
    manifest = load(github, "plugins/calendar2.json")
    stamp = manifest["lastUpdated"]
    assert isinstance(stamp, str) and TIMESTAMP.match(stamp)
    assert manifest == {
        "id": "calendar2",
        "name": "Calendar2",
        "version": "1.2.3",
        "description": "",
        "ui": {
            "remoteEntry": "https://calendar2-ui.pages.dev/assets/remoteEntry.js",
            "expose": "./PluginApp",
        },
        "server": {
            "routeBase": "/api/integrations/calendar2",
            "deploymentUrl": "https://calendar2.fly.dev",
            "healthCheck": "/api/health",
        },
        "manifestUrl": f"{RAW}/plugins/calendar2.json",
        "lastUpdated": stamp,
    }
    registry = load(github, "registry.json")
    assert registry == {
        "version": "1.0.0",
        "lastUpdated": stamp,
        "plugins": [
            {
                "id": "calendar2",
                "name": "Calendar2",
                "version": "1.2.3",
                "manifestUrl": f"{RAW}/plugins/calendar2.json",
            }
        ],
    }
    schema("plugin-manifest.schema.json").validate(manifest)
    schema("registry.schema.json").validate(registry)
    raw = github.get_file(REGISTRY, "registry.json")
    assert raw is not None and raw.endswith(b"}\n") and raw.startswith(b'{\n  "version"')


def test_outputs_summary_and_request_budget(github: FakeGitHub, action: Action) -> None:
    run = action.run({"version": "1.2.3"})
    assert run.status == 0, run.stdout + run.stderr
    commits = github.commits(REGISTRY)
    assert [c.paths for c in commits[-2:]] == [("plugins/calendar2.json",), ("registry.json",)]
    assert run.outputs["plugin-id"] == "calendar2"
    assert run.outputs["manifest-url"] == f"{RAW}/plugins/calendar2.json"
    assert run.outputs["registry-url"] == f"{RAW}/registry.json"
    assert run.outputs["changed"] == "true"
    assert run.outputs["commit-sha"] == commits[-1].sha
    assert json.loads(run.outputs["manifest"]) == load(github, "plugins/calendar2.json")
    assert "calendar2" in run.summary and "1.2.3" in run.summary
    assert commits[-1].message == "Update plugin: calendar2"
    # An id not listed yet lists plugins/ (the branch's ref, its tree) for a file in another
    # case; the listing saves reading the manifest it lacks.
    assert len(github.requests) <= 6
    assert len(github.writes) == 2


def test_request_budget_with_a_branch_given(github: FakeGitHub, action: Action) -> None:
    run = action.run({"version": "1.2.3", "registry-branch": "main"})
    assert run.status == 0, run.stdout + run.stderr
    # No lookup of the repository: it is looked up only once a redirect shows it moved. The
    # listing of plugins/ for a new id, as above, costs one request more.
    assert len(github.requests) <= 5
    assert [r.method for r in github.writes] == ["PUT", "PUT"]


def test_rerun_changes_nothing(github: FakeGitHub, action: Action) -> None:
    assert action.run({"version": "1.2.3"}).status == 0
    commits = len(github.commits(REGISTRY))
    github.reset_log()
    run = action.run({"version": "1.2.3"})
    assert run.status == 0, run.stdout + run.stderr
    assert run.outputs["changed"] == "false"
    assert run.outputs["commit-sha"] == ""
    assert github.writes == []
    assert len(github.commits(REGISTRY)) == commits
    assert "already up to date" in run.stdout


def test_unknown_fields_survive_an_update(github: FakeGitHub, action: Action) -> None:
    github.put_file(
        REGISTRY,
        "registry.json",
        json.dumps(
            {
                "version": "1.0.0",
                "lastUpdated": "2024-01-20T12:00:00.000Z",
                "owners": {"platform": ["@org/platform"]},
                "plugins": [
                    {
                        "id": "calendar2",
                        "name": "Calendar2",
                        "version": "1.0.0",
                        "manifestUrl": f"{RAW}/plugins/calendar2.json",
                        "icon": "https://cdn.dev/calendar.svg",
                    },
                    {
                        "id": "maps",
                        "name": "maps",
                        "version": "3.0.0",
                        "manifestUrl": f"{RAW}/plugins/maps.json",
                        "beta": True,
                    },
                ],
            }
        ),
    )
    run = action.run({"version": "1.2.3"})
    assert run.status == 0, run.stdout + run.stderr
    registry = load(github, "registry.json")
    assert registry["owners"] == {"platform": ["@org/platform"]}
    plugins = registry["plugins"]
    assert isinstance(plugins, list)
    assert plugins[0]["icon"] == "https://cdn.dev/calendar.svg"
    assert plugins[0]["version"] == "1.2.3"
    assert plugins[1] == {
        "id": "maps",
        "name": "maps",
        "version": "3.0.0",
        "manifestUrl": f"{RAW}/plugins/maps.json",
        "beta": True,
    }


def test_template_value_with_quotes_still_gives_valid_json(
    github: FakeGitHub, action: Action
) -> None:
    (action.workspace / "manifest.json").write_text(
        json.dumps({"description": 'The "{name}" plugin \\ {repository}', "tags": ["{id}"]})
    )
    run = action.run(
        {"version": "1.2.3", "manifest-template": "manifest.json", "plugin-name": 'Cal "2"'}
    )
    assert run.status == 0, run.stdout + run.stderr
    manifest = load(github, "plugins/calendar2.json")
    assert manifest["description"] == 'The "Cal "2"" plugin \\ acme/Calendar2'
    assert manifest["tags"] == ["calendar2"]


def test_description_comes_from_the_event_payload(github: FakeGitHub, action: Action) -> None:
    event = action.workspace.parent / "event.json"
    event.write_text(json.dumps({"repository": {"description": "Team calendar ✓"}}))
    run = action.run({"version": "1.2.3"}, GITHUB_EVENT_PATH=str(event))
    assert run.status == 0, run.stdout + run.stderr
    assert load(github, "plugins/calendar2.json")["description"] == "Team calendar ✓"
    assert "Team calendar ✓".encode() in (
        github.get_file(REGISTRY, "plugins/calendar2.json") or b""
    )


def test_version_from_package_json_and_from_a_tag(github: FakeGitHub, action: Action) -> None:
    (action.workspace / "package.json").write_text('{"name": "calendar", "version": "2.0.1"}')
    assert action.run().status == 0
    assert load(github, "plugins/calendar2.json")["version"] == "2.0.1"
    (action.workspace / "package.json").unlink()
    run = action.run(None, GITHUB_REF="refs/tags/v2.1.0")
    assert run.status == 0, run.stdout
    assert load(github, "plugins/calendar2.json")["version"] == "2.1.0"


BAD_INPUTS = [
    ({"plugin-id": "team/calendar"}, "input `plugin-id` 'team/calendar' is not a valid plugin id"),
    ({"plugin-id": "../etc"}, "input `plugin-id` '../etc' is not a valid plugin id"),
    ({"plugin-id": "my plugin"}, "input `plugin-id` 'my plugin' is not a valid plugin id"),
    ({"version": "1.2"}, "input `version` '1.2' is not a semantic version"),
    ({"version": "latest"}, "input `version` 'latest' is not a semantic version"),
    (
        {"ui-remote-entry": "javascript:alert(1)"},
        "input `ui-remote-entry` 'javascript:alert(1)' is not an absolute http(s) URL",
    ),
    (
        {"server-deployment-url": "/relative"},
        "input `server-deployment-url` '/relative' is not an absolute http(s) URL",
    ),
    (
        {"registry-repository": "plugin-registry"},
        "input `registry-repository` must be owner/name",
    ),
    ({"manifest-template": "broken.json"}, "the manifest template broken.json is not valid JSON"),
    ({"ui-expose": "./{component}"}, "input `ui-expose`: unknown placeholder {component}"),
    ({"token": ""}, "input `token` is required"),
    ({"token": "ghs_not_a_known_token"}, "GitHub rejected the token (401 Bad credentials)"),
    ({"token": READ_TOKEN}, "the token cannot write plugins/calendar2.json in org/plugin-registry"),
    (
        {"registry-repository": "org/missing"},
        "org/missing was not found (404), or the token cannot see it",
    ),
    ({"registry-branch": "nope"}, "the branch 'nope' does not exist in org/plugin-registry"),
]


@pytest.mark.parametrize(("inputs", "message"), BAD_INPUTS, ids=[m for _, m in BAD_INPUTS])
def test_bad_input_gives_one_clear_line_and_writes_nothing(
    github: FakeGitHub, action: Action, inputs: dict[str, str], message: str
) -> None:
    (action.workspace / "broken.json").write_text('{"description": "unterminated}')
    run = action.run({"version": "1.2.3", **inputs})
    assert run.status == 1
    assert len(run.errors) == 1, run.stdout
    assert message in run.errors[0]
    assert "Traceback" not in run.stdout + run.stderr
    # A write may be attempted (a read-only token finds out only then) but none is accepted.
    assert [r for r in github.writes if r.status is None or r.status < 400] == []
    assert github.list_files(REGISTRY) == []
    assert "### registry-action failed" in run.summary


def test_token_appears_only_in_the_authorization_header(github: FakeGitHub, action: Action) -> None:
    runs = [action.run({"version": "1.2.3"}), action.run({"version": "1.2.4"})]
    runs.append(action.run({"version": "bad"}))
    for run in runs:
        # The one place the token may be printed is the runner's own mask command.
        printed = [s for s in run.stdout.splitlines() if not s.startswith("::add-mask::")]
        for text in (*printed, run.stderr, run.summary, *run.outputs.values()):
            assert WRITE_TOKEN not in text
        assert f"::add-mask::{WRITE_TOKEN}" == run.stdout.splitlines()[0]
    assert github.requests
    for request in github.requests:
        assert WRITE_TOKEN not in request.request_line
        assert WRITE_TOKEN not in request.body.decode("utf-8", "replace")
        others = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        assert WRITE_TOKEN not in json.dumps(others)
        assert WRITE_TOKEN in (request.header("Authorization") or "")
    for path in github.list_files(REGISTRY):
        assert WRITE_TOKEN.encode() not in (github.get_file(REGISTRY, path) or b"")
    for commit in github.commits(REGISTRY):
        assert WRITE_TOKEN not in commit.message


def test_debug_shows_a_traceback(github: FakeGitHub, action: Action) -> None:
    run = action.run({"version": "1.2"}, RUNNER_DEBUG="1")
    assert run.status == 1
    assert "Traceback" in run.stderr
    assert len(run.errors) == 1
