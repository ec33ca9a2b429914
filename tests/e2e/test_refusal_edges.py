"""GitHub's refusals at their edges: a contents write's 409 in any words, a DELETE's 404 that
is not a deletion, and the causes of "Reference update failed"."""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_github import FakeGitHub, faults
from harness import REGISTRY, WRITE_TOKEN, assert_consistent, docker_env, run_action
from registry_action.errors import GitHubError
from registry_action.store.github.contents import GitHubStore, make_client
from registry_action.store.interface import Deadline
from registry_files import manifest, registry_files
from strict_checks import assert_failed_cleanly

INDEX = r"/contents/registry\.json$"


@pytest.mark.parametrize(
    "said",
    [
        # An older wording of the branch moving under the write.
        "refs/heads/main expected to be at 0123456789abcdef0123456789abcdef01234567",
        "Conflict",  # words GitHub may use tomorrow: the status and the route decide
    ],
)
def test_a_contents_write_s_409_is_a_conflict_whatever_its_words(
    fake: FakeGitHub, tmp_path: Path, said: str
) -> None:
    fake.inject(method="PUT", path_regex=INDEX, fault=faults.status(409, said))
    run = run_action(docker_env(fake, tmp_path))
    assert run.status == 0, run.stdout + run.stderr
    retries = [line for line in run.stdout.splitlines() if line.startswith("Attempt 1 met")]
    assert len(retries) == 1 and f"(409 {said})" in retries[0], run.stdout
    document = assert_consistent(fake)
    assert [p["id"] for p in document["plugins"]] == ["calendar"]


def test_a_delete_answered_404_while_the_file_is_there_is_not_taken_as_done(
    fake: FakeGitHub,
) -> None:
    fake.put_files(REGISTRY, registry_files(manifest("calendar"), manifest("todo")))
    fake.inject(
        method="DELETE",
        path_regex=r"/contents/plugins/calendar\.json$",
        fault=faults.status(404, "Not Found"),
    )
    store = GitHubStore(
        make_client(WRITE_TOKEN, fake.api_url, deadline=Deadline(60)), REGISTRY, "main"
    )
    found = store.read("plugins/calendar.json")
    assert found is not None
    with pytest.raises(GitHubError) as refused:
        store.delete(found.path, found.version, "Remove plugin: calendar")
    assert str(refused.value) == (
        "could not delete plugins/calendar.json in "
        f"{REGISTRY}@main: GitHub answered 404 (Not Found) though the file is there, so the "
        f"token may read but not write it; give it `contents: write` on {REGISTRY}"
    )
    assert fake.get_file(REGISTRY, "plugins/calendar.json") is not None


def test_a_clashing_branch_name_is_among_the_causes_named_for_reference_update_failed(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    fake.protect_branch(REGISTRY, "main")
    fake.create_branch(REGISTRY, "registry")  # git keeps no registry/<id> beside a registry
    before = fake.branches(REGISTRY)
    run = run_action(docker_env(fake, tmp_path, PLUGIN_ID="calendar", PULL_REQUEST="true"))
    assert_failed_cleanly(
        run,
        "::error title=GitHub refused the request::GitHub refused to create the branch "
        f"registry/calendar in {REGISTRY} (422 Reference update failed); its known causes: a "
        "ruleset of the repository or its organization restricting `registry/*` branches "
        "(exclude them from its targets or let the token bypass it), classic branch protection "
        "matching `registry/*` (let the token push there), or an existing branch named "
        "`registry` (git keeps no `registry/<id>` beside it: rename or delete that branch)",
    )
    assert fake.branches(REGISTRY) == before
