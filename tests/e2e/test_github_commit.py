"""The GitHub store's commit of many files against the fake: the compare-and-swap on the head,
and each refusal as one line, with nothing committed."""

from __future__ import annotations

import time

import pytest

from fake_github import FakeGitHub, faults
from harness import READ_TOKEN, REGISTRY, WRITE_TOKEN
from registry_action.errors import GitHubError
from registry_action.store.github.contents import GitHubStore, make_client
from registry_action.store.github.http import waits_of
from registry_action.store.interface import ConflictError, Deadline, FileWrite, blob_sha

OLD = b'{"old": true}\n'


def store_of(fake: FakeGitHub, token: str = WRITE_TOKEN, **options: object) -> GitHubStore:
    client = make_client(token, fake.api_url, deadline=Deadline(600), backoff=0.01)
    return GitHubStore(client, REGISTRY, "main", **options)  # type: ignore[arg-type]


def seeded(fake: FakeGitHub) -> tuple[GitHubStore, str | None]:
    """A store on a registry holding plugins/old.json, and the head it is at."""
    fake.put_file(REGISTRY, "plugins/old.json", OLD)
    store = store_of(fake)
    return store, store.head()


def changes() -> list[FileWrite]:
    return [
        FileWrite("plugins/new.json", b'{"new": true}\n', None),
        FileWrite("plugins/old.json", None, blob_sha(OLD)),
    ]


def test_one_commit_adds_and_deletes_in_one_request_signed(fake: FakeGitHub) -> None:
    store, head = seeded(fake)
    fake.reset_log()

    results = store.commit(changes(), head, "Reindex registry")

    [commit] = fake.commits(REGISTRY)[-1:]
    assert [(r.method, r.path) for r in fake.requests] == [("POST", "/graphql")]
    assert (commit.parents, commit.verified, commit.empty) == ((head,), True, False)
    assert sorted(commit.paths) == ["plugins/new.json", "plugins/old.json"]
    assert fake.list_files(REGISTRY) == ["plugins/new.json"]
    assert [(r.path, r.version, r.commit_sha, r.parent_sha) for r in results] == [
        ("plugins/new.json", blob_sha(b'{"new": true}\n'), commit.sha, head),
        ("plugins/old.json", None, commit.sha, head),
    ]
    assert store.notices == ()


def test_a_branch_moved_since_the_read_is_a_conflict_and_nothing_is_committed(
    fake: FakeGitHub,
) -> None:
    store, head = seeded(fake)
    fake.put_file(REGISTRY, "plugins/other.json", b"{}\n")  # another run's commit
    made = len(fake.commits(REGISTRY))

    with pytest.raises(ConflictError) as caught:
        store.commit(changes(), head, "Reindex registry")

    assert not caught.value.outdated  # the files read may well be as they were: read again
    assert str(caught.value).startswith(
        f"could not commit 2 files: {REGISTRY}@main moved meanwhile (Expected branch to point "
        f'to "{head}" but it did not. Pull and try again.)'
    )
    assert len(fake.commits(REGISTRY)) == made


def test_a_protected_branch_gets_the_pull_request_advice(fake: FakeGitHub) -> None:
    fake.put_file(REGISTRY, "plugins/old.json", OLD)
    fake.protect_branch(REGISTRY, "main")
    store = store_of(fake)
    made = len(fake.commits(REGISTRY))

    with pytest.raises(GitHubError) as caught:
        store.commit(changes(), store.head(), "Reindex registry")

    assert str(caught.value) == (
        f"branch protection or a repository rule on {REGISTRY}@main refused to commit 2 files "
        "(GraphQL: Repository rule violations found Changes must be made through a pull "
        "request.): set `pull-request: true` to propose the change as a pull request instead, "
        "or let the token bypass the rule"
    )
    assert len(fake.commits(REGISTRY)) == made


def test_a_read_only_token_is_told_what_it_lacks(fake: FakeGitHub) -> None:
    fake.put_file(REGISTRY, "plugins/old.json", OLD)
    store = store_of(fake, READ_TOKEN)

    with pytest.raises(GitHubError) as caught:
        store.commit(changes(), store.head(), "Reindex registry")

    assert str(caught.value) == (
        f"the token cannot commit 2 files in {REGISTRY}@main (GraphQL: Resource not accessible "
        "by integration): give it `contents: write` on the registry repository"
    )


def test_deleting_a_file_already_gone_is_a_conflict(fake: FakeGitHub) -> None:
    store = store_of(fake)

    with pytest.raises(ConflictError, match="a file was deleted from"):
        store.commit(changes(), store.head(), "Reindex registry")


def test_a_custom_committer_is_said_not_to_apply(fake: FakeGitHub) -> None:
    fake.put_file(REGISTRY, "plugins/old.json", OLD)
    store = store_of(fake, committer=("Registry Bot", "bot@example.com"))

    store.commit(changes(), store.head(), "Reindex registry")

    assert store.notices == (
        "input `committer-name` and input `committer-email` do not apply to a commit of many "
        "files: GitHub records the token's owner as its author (and signs it)",
    )
    assert fake.commits(REGISTRY)[-1].verified


def test_a_commit_a_graphql_rate_limit_refused_is_sent_again_after_the_wait(
    fake: FakeGitHub,
) -> None:
    store, head = seeded(fake)
    fake.reset_log()
    # Status 200, RATE_LIMITED: the commit was not made; a retry-after of 1 s is waited out.
    fake.inject(
        method="POST",
        mutation=True,
        fault=faults.graphql_rate_limited(reset_in=None, retry_after=1),
    )
    started = time.monotonic()
    results = store.commit(changes(), head, "Reindex registry")
    assert time.monotonic() - started >= 1.0
    assert [r.path for r in fake.requests] == ["/graphql", "/graphql"]
    assert fake.head(REGISTRY) == results[0].commit_sha


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (502, "GitHub answered 502, the commit may or may not have been made"),
        # A 503 is tried again, and the commit made the first time moved the branch.
        (503, "moved meanwhile"),
    ],
)
def test_a_commit_whose_answer_failed_is_a_conflict_to_read_again(
    fake: FakeGitHub, status: int, said: str
) -> None:
    store, head = seeded(fake)
    # GitHub made it, then its answer failed: the caller reads again to see, not the run fails.
    fake.inject(method="POST", mutation=True, fault=faults.status(status, apply=True))
    with pytest.raises(ConflictError, match=said):
        store.commit(changes(), head, "Reindex registry")
    assert fake.get_file(REGISTRY, "plugins/new.json") == b'{"new": true}\n'


def test_a_commit_a_secondary_limit_refused_spreads_the_runs_later_writes(
    fake: FakeGitHub,
) -> None:
    store, head = seeded(fake)
    fake.inject(method="POST", mutation=True, fault=faults.secondary_rate_limit(retry_after=1))
    store.commit(changes(), head, "Reindex registry")
    # A mutation is a write to that limit: the run spreads each later write, as after a PUT.
    waits = waits_of(store._client)
    assert waits is not None and waits.write_spread > 0
