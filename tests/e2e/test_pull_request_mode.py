"""Pull-request mode and protected registries, through the console script against the fake."""

from __future__ import annotations

import json
import re

import pytest

from fake_github import FakeGitHub, faults
from harness import REGISTRY, WRITE_TOKEN, Action
from registry_action.errors import GitHubError
from registry_action.store.github.contents import make_client
from registry_action.store.github.proposals import REF_CAUSES, GitHubProposals
from registry_action.store.interface import Deadline

RAW = "https://raw.githubusercontent.com/org/plugin-registry/main"
BRANCH = "registry/calendar2"
PROPOSE = {"version": "1.2.3", "pull-request": "true"}
RULES_REFUSAL = (
    "::error title=GitHub refused the request::branch protection or a repository rule on "
    "org/plugin-registry@main refused to write plugins/calendar2.json (409 Repository rule "
    "violations found Changes must be made through a pull request.): set `pull-request: true` "
    "to propose the change as a pull request instead, or let the token bypass the rule"
)


def manifest_on(github: FakeGitHub, branch: str, plugin: str = "calendar2") -> dict[str, object]:
    content = github.get_file(REGISTRY, f"plugins/{plugin}.json", branch=branch)
    assert content is not None, f"plugins/{plugin}.json is missing on {branch}"
    document: dict[str, object] = json.loads(content)
    return document


def seed_other_plugin(github: FakeGitHub, action: Action) -> None:
    """Register ``weather`` directly on an unprotected main, as an existing registry."""
    run = action.run({"version": "0.9.0", "plugin-id": "weather"})
    assert run.status == 0, run.stdout + run.stderr


def test_direct_write_to_a_protected_branch_is_explained(
    github: FakeGitHub, action: Action
) -> None:
    github.protect_branch(REGISTRY, "main")
    run = action.run({"version": "1.2.3"})
    assert run.status == 1
    assert run.errors == [RULES_REFUSAL]
    assert "Traceback" not in run.stdout + run.stderr
    # Refused once, never retried as if it were a stale sha, and nothing written.
    assert [(r.method, r.status) for r in github.writes] == [("PUT", 409)]
    assert github.list_files(REGISTRY) == []


def test_classic_protection_refusal_is_explained_too(github: FakeGitHub, action: Action) -> None:
    # What classic branch protection answers on the Contents API (not a ruleset).
    message = "Could not update file: Changes must be made through a pull request."
    github.inject(method="PUT", path_regex=r"/contents/", fault=faults.status(409, message))
    run = action.run({"version": "1.2.3"})
    assert run.status == 1
    assert run.errors == [
        "::error title=GitHub refused the request::branch protection or a repository rule on "
        f"org/plugin-registry@main refused to write plugins/calendar2.json (409 {message}): "
        "set `pull-request: true` to propose the change as a pull request instead, or let the "
        "token bypass the rule"
    ]
    assert len(github.writes) == 1


def test_pull_request_carries_only_the_manifest(github: FakeGitHub, action: Action) -> None:
    seed_other_plugin(github, action)
    github.protect_branch(REGISTRY, "main")
    main_before = {p: github.get_file(REGISTRY, p) for p in github.list_files(REGISTRY)}
    github.reset_log()

    run = action.run(PROPOSE)

    assert run.status == 0, run.stdout + run.stderr
    [pull] = github.pulls(REGISTRY)
    assert (pull.number, pull.head, pull.base, pull.state) == (1, BRANCH, "main", "open")
    assert pull.title == "Register plugin calendar2 1.2.3"
    assert "`plugins/calendar2.json`" in (pull.body or "")
    # The branch is main plus one file; main itself is untouched.
    on_branch = {p: github.get_file(REGISTRY, p, branch=BRANCH) for p in main_before}
    assert on_branch == main_before
    added = set(github.list_files(REGISTRY, branch=BRANCH)) - set(main_before)
    assert added == {"plugins/calendar2.json"}
    assert {p: github.get_file(REGISTRY, p) for p in github.list_files(REGISTRY)} == main_before
    manifest = manifest_on(github, BRANCH)
    assert manifest["version"] == "1.2.3"
    assert manifest["manifestUrl"] == f"{RAW}/plugins/calendar2.json"
    head = github.commits(REGISTRY, branch=BRANCH)[-1]
    assert head.paths == ("plugins/calendar2.json",)
    assert head.parents == (github.head(REGISTRY, "main"),)
    assert run.outputs["pull-request-url"] == f"{github.root_url}/org/plugin-registry/pull/1"
    assert run.outputs["pull-request-number"] == "1"
    assert run.outputs["changed"] == "true"
    assert run.outputs["commit-sha"] == head.sha
    assert f"{github.root_url}/org/plugin-registry/pull/1" in run.summary
    assert "calendar2 1.2.3 proposed in pull request #1" in run.stdout


def test_rerun_updates_the_same_pull_request(github: FakeGitHub, action: Action) -> None:
    github.protect_branch(REGISTRY, "main")
    assert action.run(PROPOSE).status == 0

    github.reset_log()
    same = action.run(PROPOSE)
    assert same.status == 0, same.stdout + same.stderr
    assert github.writes == []
    assert same.outputs["changed"] == "false"
    assert same.outputs["pull-request-number"] == "1"
    assert "already proposed in pull request #1: nothing written" in same.stdout

    github.reset_log()
    newer = action.run({**PROPOSE, "version": "1.3.0"})
    assert newer.status == 0, newer.stdout + newer.stderr
    [pull] = github.pulls(REGISTRY)
    assert (pull.number, pull.state, pull.title) == (1, "open", "Register plugin calendar2 1.3.0")
    assert "1.3.0" in (pull.body or "")
    assert manifest_on(github, BRANCH)["version"] == "1.3.0"
    assert [(r.method, r.path) for r in github.writes] == [
        ("PUT", "/repos/org/plugin-registry/contents/plugins/calendar2.json"),
        ("PATCH", "/repos/org/plugin-registry/pulls/1"),
    ]
    assert newer.outputs["pull-request-number"] == "1"
    assert newer.outputs["changed"] == "true"


def test_after_a_merge_the_next_release_starts_a_fresh_pull_request(
    github: FakeGitHub, action: Action
) -> None:
    github.protect_branch(REGISTRY, "main")
    assert action.run(PROPOSE).status == 0
    github.merge_pull(REGISTRY, 1)

    # The merged version is registered as proposed: nothing left to propose.
    github.reset_log()
    again = action.run(PROPOSE)
    assert again.status == 0, again.stdout + again.stderr
    assert (again.outputs["changed"], again.outputs["pull-request-url"]) == ("false", "")
    assert github.writes == []

    newer = action.run({**PROPOSE, "version": "2.0.0"})
    assert newer.status == 0, newer.stdout + newer.stderr
    merged, fresh = github.pulls(REGISTRY)
    assert (merged.state, merged.merged) == ("closed", True)
    assert (fresh.number, fresh.state, fresh.head) == (2, "open", BRANCH)
    assert fresh.title == "Update plugin calendar2 from 1.2.3 to 2.0.0"
    # The branch was restarted from main's head: one new commit, no leftovers of the first.
    head = github.commits(REGISTRY, branch=BRANCH)[-1]
    assert head.parents == (github.head(REGISTRY, "main"),)
    assert newer.outputs["pull-request-number"] == "2"


def test_pull_requests_of_different_plugins_never_conflict(
    github: FakeGitHub, action: Action
) -> None:
    github.protect_branch(REGISTRY, "main")
    assert action.run(PROPOSE).status == 0
    assert action.run({**PROPOSE, "plugin-id": "weather"}).status == 0
    assert [p.head for p in github.pulls(REGISTRY)] == [BRANCH, "registry/weather"]
    github.merge_pull(REGISTRY, 2)
    github.merge_pull(REGISTRY, 1)  # would raise if the two touched the same file
    assert github.list_files(REGISTRY) == ["plugins/calendar2.json", "plugins/weather.json"]


def test_pull_request_mode_needs_a_github_registry(action: Action) -> None:
    run = action.run(
        None, "register", "--registry-dir", "reg", "--version", "1.2.3", "--pull-request"
    )
    assert run.status == 1
    assert run.errors == [
        "::error title=Invalid input::`--pull-request` needs a registry on GitHub: a local "
        "registry folder has no pull requests"
    ]


def test_dry_run_proposes_nothing(github: FakeGitHub, action: Action) -> None:
    github.protect_branch(REGISTRY, "main")
    run = action.run({**PROPOSE, "dry-run": "true"})
    assert run.status == 0, run.stdout + run.stderr
    assert github.writes == []
    assert github.branches(REGISTRY) == ["main"]
    assert "calendar2 1.2.3 would be proposed in a pull request (plugins/calendar2.json)" in (
        run.stdout
    )
    assert (run.outputs["changed"], run.outputs["pull-request-url"]) == ("true", "")


def test_a_token_that_cannot_open_pull_requests_is_explained(
    github: FakeGitHub, action: Action
) -> None:
    refusal = "Resource not accessible by integration"
    github.inject(method="POST", path_regex=r"/pulls$", fault=faults.status(403, refusal))
    run = action.run(PROPOSE)
    assert run.status == 1
    assert run.errors == [
        "::error title=GitHub refused the request::the token cannot open a pull request in "
        f"org/plugin-registry (403 {refusal}): give it `pull-requests: write` as well as "
        "`contents: write` on org/plugin-registry"
    ]
    assert github.pulls(REGISTRY) == []


def test_a_lower_version_than_the_merged_one_is_not_proposed(
    github: FakeGitHub, action: Action
) -> None:
    github.protect_branch(REGISTRY, "main")
    assert action.run({**PROPOSE, "version": "2.0.0"}).status == 0
    github.merge_pull(REGISTRY, 1)
    github.reset_log()

    lower = action.run({**PROPOSE, "version": "1.9.0"})
    assert lower.status == 1
    assert lower.errors == [
        "::error title=Version downgrade refused::refusing to register calendar2 1.9.0: "
        "plugins/calendar2.json already has the higher version 2.0.0; register 2.0.0 or "
        "later, or set `allow-downgrade: true` to go back"
    ]
    assert github.writes == []
    assert len(github.pulls(REGISTRY)) == 1

    allowed = action.run({**PROPOSE, "version": "1.9.0", "allow-downgrade": "true"})
    assert allowed.status == 0, allowed.stdout + allowed.stderr
    assert manifest_on(github, BRANCH)["version"] == "1.9.0"
    assert "goes down from 2.0.0" in allowed.stdout


def test_a_ruleset_restricting_proposal_branches_is_named(
    github: FakeGitHub, action: Action
) -> None:
    github.protect_branch(REGISTRY, "main")
    github.inject(method="POST", path_regex=r"/git/refs$", fault=faults.reference_update_failed())
    run = action.run(PROPOSE)
    assert run.status == 1
    assert run.errors == [
        f"::error title=GitHub refused the request::GitHub refused to create the branch {BRANCH} "
        f"in org/plugin-registry (422 Reference update failed); {REF_CAUSES}"
    ]
    assert github.branches(REGISTRY) == ["main"]


def test_pull_request_mode_behind_a_proxy_only_talks_to_api_url(
    github: FakeGitHub, action: Action
) -> None:
    # The answers name api.github.com while the client talks to the proxy (the fake): every
    # request must be built from `api-url`, none from a URL in an answer.
    github.answer_urls_with("https://api.github.com")
    github.protect_branch(REGISTRY, "main")
    for version in ("1.2.3", "1.2.4"):  # opens the pull request, then edits it
        run = action.run({**PROPOSE, "version": version})
        assert run.status == 0, run.stdout + run.stderr
    github.merge_pull(REGISTRY, 1)
    run = action.run({**PROPOSE, "version": "1.3.0"})  # resets the merged branch to main
    assert run.status == 0, run.stdout + run.stderr
    writes = [(r.method, r.path.split("/", 4)[-1], r.status) for r in github.writes]
    assert [w for w in writes if "contents" not in w[1]] == [
        ("POST", "git/refs", 201),
        ("POST", "pulls", 201),
        ("PATCH", "pulls/1", 200),
        ("PATCH", f"git/refs/heads/{BRANCH}", 200),
        ("POST", "pulls", 201),
    ]
    assert manifest_on(github, BRANCH)["version"] == "1.3.0"


def prose(body: str) -> str:
    """What GitHub renders as text: the body without its code spans, code elements and fences."""
    body = re.sub(r"^(`{3,})json\n.*?\n\1$", "", body, flags=re.DOTALL | re.MULTILINE)
    body = re.sub(r"<code>.*?</code>", "", body, flags=re.DOTALL)
    return re.sub(r"(`+)(?!`).+?(?<!`)\1(?!`)", "", body, flags=re.DOTALL)


def test_names_and_descriptions_neither_mention_nor_hide_anything(
    github: FakeGitHub, action: Action
) -> None:
    github.protect_branch(REGISTRY, "main")
    name = "Calendar @org/team\n<!-- the rest is hidden"
    description = "Pings @acme/everyone ```` </details> <img src=x onerror=alert(1)>"
    run = action.run({**PROPOSE, "plugin-name": name, "description": description})
    assert run.status == 0, run.stdout + run.stderr
    [pull] = github.pulls(REGISTRY)
    body = pull.body or ""
    assert body.splitlines()[0] == (
        "Proposes <code>Calendar @org/team\\n&lt;!-- the rest is hidden</code> 1.2.3 for the "
        "plugin registry."
    )
    # Mentions and markup are only inside code, where GitHub neither links nor renders them.
    text = prose(body)
    assert "@" not in text
    assert re.findall(r"<[^>]*>", text) == ["<details>", "<summary>", "</summary>", "</details>"]
    assert json.loads(body.split("`````json\n")[1].split("\n`````")[0])["description"] == (
        description
    )


def test_a_description_past_githubs_limit_is_cut_with_a_note(
    github: FakeGitHub, action: Action
) -> None:
    github.protect_branch(REGISTRY, "main")
    description = "Shows the team calendar. " * 3000  # 75,000 characters
    run = action.run({**PROPOSE, "description": description})
    assert run.status == 0, run.stdout + run.stderr
    [pull] = github.pulls(REGISTRY)
    body = pull.body or ""
    assert len(body) <= 65536
    assert body.endswith(
        "\n```\n\nThe manifest is cut here: it is 75,459 characters, past what GitHub allows in "
        "a description; `plugins/calendar2.json` on this branch has all of it.\n\n</details>"
    )
    assert manifest_on(github, BRANCH)["description"] == description
    # A re-run with a longer description edits the description within the limit too.
    longer = action.run(
        {**PROPOSE, "version": "1.2.4", "description": description + "More. " * 5000}
    )
    assert longer.status == 0, longer.stdout + longer.stderr
    assert len(github.pulls(REGISTRY)[0].body or "") <= 65536


def test_a_refused_pull_request_leaves_no_branch_and_a_rerun_opens_it(
    github: FakeGitHub, action: Action
) -> None:
    github.protect_branch(REGISTRY, "main")
    refusal = "Resource not accessible by integration"
    github.inject(method="POST", path_regex=r"/pulls$", fault=faults.status(403, refusal))
    run = action.run(PROPOSE)
    assert run.status == 1
    assert github.branches(REGISTRY) == ["main"]
    assert github.pulls(REGISTRY) == []
    again = action.run(PROPOSE)
    assert again.status == 0, again.stdout + again.stderr
    [pull] = github.pulls(REGISTRY)
    assert (pull.number, pull.head) == (1, BRANCH)
    assert github.commits(REGISTRY, branch=BRANCH)[-1].parents == (github.head(REGISTRY, "main"),)


def test_githubs_reason_for_a_422_is_in_the_one_line(github: FakeGitHub) -> None:
    client = make_client(WRITE_TOKEN, github.api_url, deadline=Deadline(60))
    host = GitHubProposals(client, REGISTRY, "main")
    host.start_branch(BRANCH)
    host.files_on(BRANCH).write("plugins/calendar2.json", b"{}\n", None, "Propose")
    with pytest.raises(GitHubError) as refused:
        host.create_pull(BRANCH, "Register plugin calendar2 1.2.3", "x" * 65537)
    assert refused.value.message == (
        "GitHub refused to open a pull request in org/plugin-registry@main (422 Validation "
        "Failed: body is too long (maximum is 65536 characters))"
    )
    assert github.branches(REGISTRY) == ["main"]  # the branch started for it is gone
