"""A change of many files in few commits: reindex converting 300 legacy manifests, on GitHub
and in a folder, a second reindex writing nothing, and refusals made before the first write."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from console import run_console
from fake_github import FakeGitHub
from harness import REGISTRY, Action
from legacy_registry import UNEXPANDED, legacy_files
from registry_action.core.models import is_canonical_timestamp
from registry_action.core.strictjson import dumps
from registry_action.store.interface import ConflictError, FileWrite, WriteResult, blob_sha
from registry_action.store.local import LocalStore
from registry_files import entry, manifest, quiet_publisher, registry
from strict_checks import assert_failed_cleanly

COUNT = 300
LOCAL = {"GITHUB_REPOSITORY": "acme/Calendar2", "HOME": "/nonexistent"}


def in_contract_form(files: dict[str, bytes]) -> None:
    for path, content in files.items():
        document: dict[str, Any] = json.loads(content)
        assert content == dumps(document), path
        assert is_canonical_timestamp(document["lastUpdated"]), path


def everything(github: FakeGitHub) -> dict[str, bytes]:
    return {path: github.get_file(REGISTRY, path) or b"" for path in github.list_files(REGISTRY)}


def test_300_legacy_manifests_are_converted_in_two_commits_on_github(
    github: FakeGitHub, action: Action
) -> None:
    github.put_files(REGISTRY, legacy_files(COUNT))
    seeded = len(github.commits(REGISTRY))
    github.reset_log()

    run = action.run({"command": "reindex"})

    assert run.status == 0, run.stdout + run.stderr
    made = github.commits(REGISTRY)[seeded:]
    # 301 files; a commit carries at most 250: the manifests first, the index in the last.
    assert [len(commit.paths) for commit in made] == [250, 51]
    assert "registry.json" in made[-1].paths
    assert [(c.empty, c.verified, c.message) for c in made] == [
        (False, True, "Reindex registry")
    ] * 2
    assert made[1].parents == (made[0].sha,)
    assert [(r.method, r.path) for r in github.writes] == [("POST", "/graphql")] * 2
    assert run.outputs["changed"] == "true"
    assert run.outputs["commit-sha"] == made[-1].sha
    converted = everything(github)
    in_contract_form(converted)
    github.reset_log()

    again = action.run({"command": "reindex"})

    assert again.status == 0, again.stdout + again.stderr
    assert again.outputs["changed"] == "false"
    assert github.writes == []
    assert len(github.commits(REGISTRY)) == seeded + 2
    assert everything(github) == converted


class CountingFolder(LocalStore):
    """A registry folder that counts the writes asked of it: commits, and single files."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, create=False)
        self.calls: list[tuple[str, int]] = []

    def write(self, path: str, content: bytes, expected: str | None, message: str) -> WriteResult:
        self.calls.append(("write", 1))
        return super().write(path, content, expected, message)

    def commit(
        self, changes: Sequence[FileWrite], expected_head: str | None, message: str
    ) -> list[WriteResult]:
        self.calls.append(("commit", len(changes)))
        return super().commit(changes, expected_head, message)


def seed_folder(folder: Path, files: dict[str, bytes]) -> None:
    for path, content in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(content)


def test_300_legacy_manifests_are_converted_in_one_commit_in_a_folder(tmp_path: Path) -> None:
    seed_folder(tmp_path, legacy_files(COUNT))
    store = CountingFolder(tmp_path)

    outcome = quiet_publisher(store)[0].reindex("Reindex registry")

    # A folder limits no commit: every file in one, all or nothing.
    assert store.calls == [("commit", COUNT + 1)]
    assert len(outcome.changes) == COUNT + 1
    again = quiet_publisher(store)[0].reindex("Reindex registry")
    assert store.calls == [("commit", COUNT + 1)]
    assert not again.changed


def test_300_legacy_manifests_are_converted_by_the_console_script_in_a_folder(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "registry"
    seed_folder(folder, legacy_files(COUNT))
    args = ["reindex", "--registry-dir", str(folder)]

    run = run_console(args, LOCAL, tmp_path / "run")

    assert run.status == 0, run.stdout + run.stderr
    converted = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.json")}
    assert len(converted) == COUNT + 1
    in_contract_form(converted)
    stamps = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}

    again = run_console(args, LOCAL, tmp_path / "again")

    assert again.status == 0, again.stdout + again.stderr
    assert again.stdout.splitlines()[-1] == (
        f"registry.json is already up to date in {folder}: nothing written"
    )
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*")} == stamps


# Two manifests, each valid, whose ids differ only in case: the index listing both would be
# damaged. The second has a legacy stamp, so the reindex also has a manifest to rewrite.
CASE_TWINS = {
    "plugins/Calendar.json": dumps(manifest("Calendar")),
    "plugins/calendar.json": dumps(manifest("calendar", lastUpdated=UNEXPANDED)),
    "registry.json": dumps(registry([entry(manifest("Calendar"))])),
}
REFUSED = (
    "reindex refused, nothing written: plugins/Calendar.json and plugins/calendar.json would "
    "make the registry damaged (the plugin ids 'Calendar' and 'calendar' differ only in case); "
    "fix, rename or delete those files, then reindex again"
)


def test_reindex_refuses_damage_before_writing_naming_the_files_on_github(
    github: FakeGitHub, action: Action
) -> None:
    github.put_files(REGISTRY, CASE_TWINS)
    before = everything(github)
    github.reset_log()

    run = action.run({"command": "reindex"})

    assert_failed_cleanly(
        run, f"::error title=Registry has problems::{REFUSED}", github, frozenset(CASE_TWINS)
    )
    assert github.writes == []
    assert everything(github) == before


def test_reindex_refuses_damage_before_writing_naming_the_files_in_a_folder(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "registry"
    seed_folder(folder, CASE_TWINS)

    run = run_console(["reindex", "--registry-dir", str(folder)], LOCAL, tmp_path / "run")

    assert run.status == 1
    assert run.stderr.splitlines() == [f"error: {REFUSED}"]
    found = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.json")}
    assert found == CASE_TWINS


def test_a_folder_commit_with_one_stale_version_changes_nothing(tmp_path: Path) -> None:
    seed_folder(tmp_path, {"plugins/a.json": b"a\n", "registry.json": b"index\n"})
    store = LocalStore(tmp_path, create=False)
    changes = [
        FileWrite("plugins/a.json", b"new a\n", blob_sha(b"a\n")),
        FileWrite("plugins/b.json", b"new b\n", None),
        FileWrite("registry.json", b"new index\n", blob_sha(b"the index as read\n")),
    ]

    with pytest.raises(ConflictError, match=r"^registry\.json changed since it was read$"):
        store.commit(changes, None, "m")

    assert (tmp_path / "plugins/a.json").read_bytes() == b"a\n"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.json", "plugins", "registry.json"]
