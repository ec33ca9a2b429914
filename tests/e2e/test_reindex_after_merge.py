"""The whole pull-request flow: proposals merged, then `command: reindex` builds the index."""

from __future__ import annotations

import json

from fake_github import FakeGitHub
from harness import REGISTRY, Action

RAW = "https://raw.githubusercontent.com/org/plugin-registry/main"


def test_reindex_after_merging_proposals_lists_every_plugin(
    github: FakeGitHub, action: Action
) -> None:
    github.protect_branch(REGISTRY, "main")
    for plugin, version in (("calendar2", "1.2.3"), ("weather", "0.9.0")):
        run = action.run({"version": version, "plugin-id": plugin, "pull-request": "true"})
        assert run.status == 0, run.stdout + run.stderr
    github.merge_pull(REGISTRY, 2)
    github.merge_pull(REGISTRY, 1)
    assert github.get_file(REGISTRY, "registry.json") is None  # proposals never touch it

    # The registry's reindex job runs with a token the protection lets through.
    github.protect_branch(REGISTRY, "main", protected=False)
    run = action.run({"command": "reindex", "registry-branch": "main"})

    assert run.status == 0, run.stdout + run.stderr
    index = json.loads(github.get_file(REGISTRY, "registry.json") or b"{}")
    assert index["version"] == "1.0.0"
    entries = sorted(index["plugins"], key=lambda entry: entry["id"])
    assert entries == [
        {
            "id": "calendar2",
            "name": "Calendar2",
            "version": "1.2.3",
            "manifestUrl": f"{RAW}/plugins/calendar2.json",
        },
        {
            "id": "weather",
            "name": "Calendar2",
            "version": "0.9.0",
            "manifestUrl": f"{RAW}/plugins/weather.json",
        },
    ]
    assert github.commits(REGISTRY)[-1].paths == ("registry.json",)
