"""Placeholders are expanded only in what the user wrote; outside text is taken as it is."""

from __future__ import annotations

import json

import pytest

from fake_github import FakeGitHub
from harness import REGISTRY, Action

DESCRIPTIONS = [
    "Shows {metrics} per team",
    '{"widgets": [1, 2], "a": {"b": null}}',
    "a lone {",
    "a lone }",
    "Renders {id} widgets",
    "{{escaped}} stays doubled",
]


@pytest.mark.parametrize("description", DESCRIPTIONS)
def test_the_payload_s_description_is_written_verbatim(
    github: FakeGitHub, action: Action, description: str
) -> None:
    event = action.workspace.parent / "event.json"
    event.write_text(json.dumps({"repository": {"description": description}}))
    run = action.run({"version": "1.2.3"}, GITHUB_EVENT_PATH=str(event))
    assert (run.status, run.errors) == (0, []), run.stdout + run.stderr
    written = json.loads(github.get_file(REGISTRY, "plugins/calendar2.json") or b"")
    assert written["description"] == description
    assert json.loads(run.outputs["manifest"])["description"] == description


def test_a_description_the_user_wrote_is_still_a_template(
    github: FakeGitHub, action: Action
) -> None:
    event = action.workspace.parent / "event.json"
    event.write_text(json.dumps({"repository": {"description": "Renders {id} widgets"}}))
    run = action.run(
        {"version": "1.2.3", "description": "{name} {{v}} {version}"},
        GITHUB_EVENT_PATH=str(event),
    )
    assert run.status == 0, run.stdout + run.stderr
    written = json.loads(github.get_file(REGISTRY, "plugins/calendar2.json") or b"")
    assert written["description"] == "Calendar2 {v} 1.2.3"
