"""Every commit the action makes names the workflow run that made it, through either API."""

from __future__ import annotations

from fake_github import FakeGitHub
from harness import REGISTRY, Action
from registry_action.core.strictjson import dumps
from registry_files import manifest

RUN = {"GITHUB_RUN_ID": "4242"}
TRAILER = "\n\nWorkflow-Run: https://github.com/acme/Calendar2/actions/runs/4242"


def test_register_unregister_and_reindex_commits_carry_the_run(
    github: FakeGitHub, action: Action
) -> None:
    registered = action.run({"version": "1.0.0"}, **RUN)
    github.put_file(REGISTRY, "plugins/weather.json", dumps(manifest("weather")))
    reindexed = action.run({"command": "reindex"}, **RUN)
    removed = action.run({"command": "unregister"}, **RUN)

    for run in (registered, reindexed, removed):
        assert run.status == 0, run.stdout + run.stderr
    made = [c.message for c in github.commits(REGISTRY)]
    assert made[1:] == [
        f"Update plugin: calendar2{TRAILER}",  # the Contents API
        f"Update plugin: calendar2{TRAILER}",
        "Add plugins/weather.json",  # seeded by the test
        f"Reindex registry{TRAILER}",  # GraphQL: a headline and a body
        f"Remove plugin: calendar2{TRAILER}",  # GraphQL: the entry and the file together
    ]


def test_a_commit_message_input_gets_the_trailer_after_it(
    github: FakeGitHub, action: Action
) -> None:
    run = action.run({"version": "1.0.0", "commit-message": "Ship {id} {version}\n"}, **RUN)
    assert run.status == 0, run.stdout + run.stderr
    assert github.commits(REGISTRY)[-1].message == f"Ship calendar2 1.0.0{TRAILER}"


def test_without_a_run_id_a_commit_carries_no_trailer(github: FakeGitHub, action: Action) -> None:
    run = action.run({"version": "1.0.0"})
    assert run.status == 0, run.stdout + run.stderr
    assert github.commits(REGISTRY)[-1].message == "Update plugin: calendar2"
