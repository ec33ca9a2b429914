"""Each store's history of a file: GitHub's commits API and GraphQL against the fake, a git
checkout through git, and a store that keeps none."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from fake_github import FakeGitHub, faults
from git_checkouts import git
from harness import REGISTRY, WRITE_TOKEN
from memory_store import MemoryStore
from registry_action.store.github.contents import GitHubStore, make_client
from registry_action.store.interface import Deadline, NoHistoryError, Revision
from registry_action.store.local import LocalStore

PATH = "plugins/calendar.json"


def store_of(fake: FakeGitHub, repository: str = REGISTRY) -> GitHubStore:
    client = make_client(WRITE_TOKEN, fake.api_url, deadline=Deadline(600), backoff=0.01)
    return GitHubStore(client, repository, "main")


def shape(revisions: list[Revision]) -> list[tuple[str, str, bytes | None]]:
    return [(r.commit, r.message, r.content) for r in revisions]


def test_150_commits_of_a_file_take_two_pages_and_two_queries(fake: FakeGitHub) -> None:
    made = []
    for n in range(150):
        made.append(
            (fake.put_file(REGISTRY, PATH, f"{n}\n", message=f"v{n}"), f"v{n}", b"%d\n" % n)
        )
        fake.put_file(REGISTRY, "registry.json", f"{n}\n")  # another file: not its history
    made.append((fake.remove_file(REGISTRY, PATH, message="gone"), "gone", None))
    store = store_of(fake)
    fake.reset_log()

    revisions = list(store.history(PATH))

    assert shape(revisions) == made[::-1]
    dates = [c.date for c in fake.commits(REGISTRY) if PATH in c.paths][::-1]
    assert [r.date.strftime("%Y-%m-%dT%H:%M:%SZ") for r in revisions] == dates
    assert [(r.method, r.path) for r in fake.requests] == [
        ("GET", f"/repos/{REGISTRY}/commits"),
        ("POST", "/graphql"),
        ("GET", f"/repos/{REGISTRY}/commits"),
        ("POST", "/graphql"),
    ]


def test_history_is_read_lazily_and_from_the_commit_given(fake: FakeGitHub) -> None:
    shas = [fake.put_file(REGISTRY, PATH, f"{n}\n") for n in range(120)]
    store = store_of(fake)
    fake.reset_log()

    newest = list(itertools.islice(store.history(PATH, shas[100]), 3))

    assert [r.commit for r in newest] == [shas[100], shas[99], shas[98]]
    assert len(fake.requests) == 2  # the first page and its files only


def test_a_file_graphql_would_cut_is_read_from_the_blob_api(fake: FakeGitHub) -> None:
    big = b'"' + b"x" * 600_000 + b'"\n'
    first = fake.put_file(REGISTRY, PATH, big)
    second = fake.put_file(REGISTRY, PATH, b"{}\n")
    store = store_of(fake)
    fake.reset_log()

    revisions = list(store.history(PATH))

    assert [(r.commit, r.content) for r in revisions] == [(second, b"{}\n"), (first, big)]
    assert [r.method for r in fake.requests] == ["GET", "POST", "GET"]
    assert fake.requests[-1].path.startswith(f"/repos/{REGISTRY}/git/blobs/")


def test_a_renamed_repository_gives_its_history_under_the_new_name(fake: FakeGitHub) -> None:
    shas = [fake.put_file(REGISTRY, PATH, f"{n}\n") for n in range(3)]
    fake.rename_repo(REGISTRY, "org/registry")

    revisions = list(store_of(fake).history(PATH))

    assert [r.commit for r in revisions] == shas[::-1]


def test_a_registry_folder_in_a_git_checkout_gives_its_history(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    folder = tmp_path / "my registry"  # a folder below the checkout's top, with a space
    (folder / "plugins").mkdir(parents=True)
    made = []
    for n in range(3):
        (folder / PATH).write_text(f"{n}\n")
        git(tmp_path, "add", "-A")
        git(
            tmp_path,
            "commit",
            "-q",
            "-m",
            f"v{n}\n\nWorkflow-Run: https://github.com/a/b/actions/runs/{n}",
        )
        made.append((git(tmp_path, "rev-parse", "HEAD"), b"%d\n" % n))
    (folder / PATH).unlink()
    git(tmp_path, "commit", "-q", "-am", "gone")
    made.append((git(tmp_path, "rev-parse", "HEAD"), None))
    (folder / PATH).write_text("uncommitted\n")  # on disk, never committed: not history

    revisions = list(LocalStore(folder, create=False).history(PATH))

    assert [(r.commit, r.content) for r in revisions] == made[::-1]
    assert revisions[-1].message == "v0\n\nWorkflow-Run: https://github.com/a/b/actions/runs/0\n"
    assert revisions[0].date.tzinfo is not None


def test_a_folder_outside_a_checkout_or_a_memory_store_keeps_no_history(tmp_path: Path) -> None:
    folder = tmp_path / "registry"
    folder.mkdir()
    with pytest.raises(NoHistoryError) as caught:
        list(LocalStore(folder, create=False).history(PATH))
    assert str(caught.value) == (
        f"the registry folder {folder} is not in a git checkout: it keeps no history"
    )
    with pytest.raises(NoHistoryError) as caught:
        list(MemoryStore().history(PATH))
    assert str(caught.value) == "memory keeps no history: there are no earlier versions"


def test_what_a_partial_or_stopped_query_left_out_is_read_on_its_own(fake: FakeGitHub) -> None:
    shas = [fake.put_file(REGISTRY, PATH, f"{n}\n") for n in range(4)]
    expected = [(sha, b"%d\n" % n) for n, sha in enumerate(shas)][::-1]
    store = store_of(fake)

    # Partial results: every second file null, with an error: those two are read at their
    # commit through the Contents API.
    fake.inject(method="POST", path_regex=r"^/graphql$", fault=faults.graphql_partial())
    fake.reset_log()
    assert [(r.commit, r.content) for r in store.history(PATH)] == expected
    assert [r.path.rsplit("/", 1)[-1] for r in fake.requests] == [
        "commits",
        "graphql",
        "calendar.json",
        "calendar.json",
    ]

    # A query GitHub stopped after 10 s (502): asked again in halves.
    fake.inject(method="POST", path_regex=r"^/graphql$", fault=faults.status(502))
    fake.reset_log()
    assert [(r.commit, r.content) for r in store.history(PATH)] == expected
    assert [r.path.rsplit("/", 1)[-1] for r in fake.requests] == [
        "commits",
        "graphql",
        "graphql",
        "graphql",
    ]
