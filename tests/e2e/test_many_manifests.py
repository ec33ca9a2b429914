"""Registries of thousands of manifests, past the Contents API's 1,000-file listing."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from fake_github import FakeGitHub
from harness import REGISTRY, docker_env, run_action
from registry_action.store.github.texts import TEXTS_PER_QUERY
from registry_files import manifest, registry_files


def budget(count: int) -> int:
    """API requests a reindex or a validate of ``count`` manifests may make: a handful, and
    one GraphQL query per batch of texts."""
    return 6 + math.ceil(count / TEXTS_PER_QUERY)


def seed(fake: FakeGitHub, count: int, *, listed: bool) -> list[str]:
    ids = [f"plugin-{n:05d}" for n in range(count)]
    fake.put_files(REGISTRY, registry_files(*(manifest(i) for i in ids), listed=listed))
    fake.reset_log()
    return ids


def command(fake: FakeGitHub, tmp_path: Path, name: str) -> dict[str, str]:
    return docker_env(fake, tmp_path, COMMAND=name)


@pytest.mark.parametrize(
    ("count", "tree_limit"), [(1_500, 100_000), (1_500, 500), (10_000, 100_000)]
)
def test_reindex_keeps_every_plugin_in_a_few_requests(
    fake: FakeGitHub, tmp_path: Path, count: int, tree_limit: int
) -> None:
    fake.tree_limit = tree_limit  # below the count: the recursive listing says truncated
    ids = seed(fake, count, listed=False)
    run = run_action(command(fake, tmp_path, "reindex"))
    assert run.status == 0, run.stdout + run.stderr
    written = json.loads(fake.get_file(REGISTRY, "registry.json") or b"")
    assert [p["id"] for p in written["plugins"]] == ids
    assert len(fake.requests) <= budget(count), [r.path for r in fake.requests]
    assert run.errors == []


@pytest.mark.parametrize("count", [1_500, 10_000])
def test_validate_finds_no_false_problem_in_a_few_requests(
    fake: FakeGitHub, tmp_path: Path, count: int
) -> None:
    seed(fake, count, listed=True)
    run = run_action(command(fake, tmp_path, "validate"))
    assert run.status == 0, run.stdout + run.stderr
    assert run.errors == []
    assert "::warning" not in run.stdout
    assert f"Checked registry.json and {count} manifest(s)" in run.stdout
    assert len(fake.requests) <= budget(count)


def test_a_listed_manifest_missing_from_the_index_is_still_found_past_1000(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    seed(fake, 1_200, listed=True)
    fake.put_file(REGISTRY, "plugins/zzz-late.json", json.dumps(manifest("zzz-late")))
    run = run_action(command(fake, tmp_path, "validate"))
    assert run.status == 0  # an unlisted manifest is a warning: reindex lists it
    assert "plugins/zzz-late.json" in run.stdout


def test_a_manifest_that_is_not_utf8_is_read_byte_for_byte_and_reported(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    seed(fake, 3, listed=True)
    fake.put_file(REGISTRY, "plugins/broken.json", b'{"id": "broken\xff"}\n')
    run = run_action(command(fake, tmp_path, "validate"))
    assert run.status == 1
    assert any("file=plugins/broken.json" in line for line in run.stdout.splitlines())
    assert any("/git/blobs/" in r.path for r in fake.requests)  # GraphQL gave no exact text


def test_a_branch_whose_name_has_a_slash_is_listed_whole(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.create_branch(REGISTRY, "release/2024")
    files = registry_files(*(manifest(f"plugin-{n:04d}") for n in range(1_100)), listed=False)
    fake.put_files(REGISTRY, files, branch="release/2024")
    fake.reset_log()
    env = {**command(fake, tmp_path, "reindex"), "INPUT_REGISTRY-BRANCH": "release/2024"}
    run = run_action(env)
    assert run.status == 0, run.stdout + run.stderr
    written = json.loads(fake.get_file(REGISTRY, "registry.json", branch="release/2024") or b"")
    assert len(written["plugins"]) == 1_100
    assert fake.get_file(REGISTRY, "registry.json", branch="main") is None


def test_a_truncated_listing_without_the_folder_is_walked_from_the_root(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    # 600 files sort before plugins/: a listing cut at 500 entries does not reach the folder.
    fake.put_files(REGISTRY, {f"assets/a{n:03d}.txt": b"x\n" for n in range(600)})
    fake.tree_limit = 500
    ids = seed(fake, 1_200, listed=False)
    run = run_action(command(fake, tmp_path, "reindex"))
    assert run.status == 0, run.stdout + run.stderr
    written = json.loads(fake.get_file(REGISTRY, "registry.json") or b"")
    assert [p["id"] for p in written["plugins"]] == ids
    trees = [r.path.rsplit("/", 1)[-1] for r in fake.requests if "/git/trees/" in r.path]
    assert len(trees) == 3  # the cut recursive listing, the root, then plugins/
    assert len(fake.requests) <= budget(1_200)
