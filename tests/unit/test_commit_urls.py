"""Raw-file URLs at a commit (core/commit_urls.py): made, recognised, and undone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry_action.core.commit_urls import CommitUrls, named_commit, pinned, unpinned
from registry_files import entry, manifest, registry

SHA = "0123456789abcdef0123456789abcdef01234567"
RAW = "https://raw.githubusercontent.com/org/plugin-registry"


@pytest.mark.parametrize(
    ("base", "branch", "commit_url"),
    [
        (f"{RAW}/main", "main", f"{RAW}/{SHA}/plugins/calendar.json"),
        (f"{RAW}/main/", "main", f"{RAW}/{SHA}/plugins/calendar.json"),
        (f"{RAW}/release/v2", "release/v2", f"{RAW}/{SHA}/plugins/calendar.json"),
        (
            "https://raw.ghe.example.com/org/plugin-registry/main",
            "main",
            f"https://raw.ghe.example.com/org/plugin-registry/{SHA}/plugins/calendar.json",
        ),
        (
            "https://ghe.example.com/raw/org/plugin-registry/main",
            "main",
            f"https://ghe.example.com/raw/org/plugin-registry/{SHA}/plugins/calendar.json",
        ),
    ],
)
def test_a_branch_url_at_a_commit(base: str, branch: str, commit_url: str) -> None:
    urls = CommitUrls.of(base, branch)
    assert urls is not None
    branch_url = f"{base.rstrip('/')}/plugins/calendar.json"
    assert urls.at(branch_url, SHA) == commit_url
    assert named_commit(commit_url, branch_url) == SHA


@pytest.mark.parametrize(
    ("base", "branch"),
    [("https://registry.pages.dev", "main"), ("https://x.dev/mainline", "main"), ("main", "main")],
)
def test_a_base_that_does_not_end_with_the_branch_has_no_commit_urls(
    base: str, branch: str
) -> None:
    assert CommitUrls.of(base, branch) is None


def test_a_url_of_another_base_is_left_as_it_is() -> None:
    urls = CommitUrls.of(f"{RAW}/main", "main")
    assert urls is not None
    other = "https://cdn.example.com/main/plugins/calendar.json"
    assert urls.at(other, SHA) == other


@pytest.mark.parametrize(
    ("entry_url", "why"),
    [
        (f"{RAW}/main/plugins/calendar.json", "the branch itself"),
        (f"{RAW}/{SHA[:39]}/plugins/calendar.json", "39 hex digits"),
        (f"{RAW}/{SHA.upper()}/plugins/calendar.json", "upper case"),
        (f"{RAW}/{SHA}/plugins/notes.json", "another file"),
        (
            f"https://raw.githubusercontent.com/org/other/{SHA}/plugins/calendar.json",
            "another repo",
        ),
        (f"{RAW}/{SHA}/manifests/calendar.json", "another folder"),
        (f"{RAW}/main/{SHA}/plugins/calendar.json", "a commit after the branch"),
    ],
)
def test_only_the_same_file_at_a_commit_is_recognised(entry_url: str, why: str) -> None:
    assert named_commit(entry_url, f"{RAW}/main/plugins/calendar.json") is None, why


@given(
    branch=st.from_regex(r"[a-z][a-z0-9._-]{0,10}(/[a-z0-9._-]{1,8}){0,2}", fullmatch=True),
    sha=st.from_regex(r"[0-9a-f]{40}", fullmatch=True),
    plugin_id=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True),
)
def test_pinning_then_recognising_gives_the_commit_back(
    branch: str, sha: str, plugin_id: str
) -> None:
    base = f"{RAW}/{branch}"
    urls = CommitUrls.of(base, branch)
    assert urls is not None
    branch_url = f"{base}/plugins/{plugin_id}.json"
    assert named_commit(urls.at(branch_url, sha), branch_url) == sha


def test_pinned_and_unpinned_undo_each_other() -> None:
    calendar, notes = manifest("calendar"), manifest("notes")
    index = registry([entry(calendar), entry(notes)], maintainers=["platform"])
    urls = CommitUrls.of(f"{RAW}/main", "main")
    assert urls is not None
    at_commits = pinned(index, {"calendar": SHA}, urls)
    assert at_commits["plugins"][0]["manifestUrl"] == f"{RAW}/{SHA}/plugins/calendar.json"
    assert at_commits["plugins"][1] == entry(notes)
    assert at_commits["maintainers"] == ["platform"]
    manifests = {"plugins/calendar.json": calendar, "plugins/notes.json": notes}
    assert unpinned(at_commits, manifests) == index
