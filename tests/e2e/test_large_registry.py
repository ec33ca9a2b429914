"""Registries past the Contents API's 1 MB inline limit, read and written through the fake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fake_github import FakeGitHub
from harness import REGISTRY, docker_env, run_action
from registry_action.core.strictjson import dumps

BASE = "https://raw.githubusercontent.com/org/plugin-registry/main/plugins"


def big_registry(count: int) -> dict[str, Any]:
    plugins = [
        {
            "id": f"plugin-{n:05d}",
            "name": f"Plugin {n} ü",  # non-ASCII kept as itself
            "version": "1.0.0",
            "manifestUrl": f"{BASE}/plugin-{n:05d}.json",
            "team": "kept",  # a field the program does not know
        }
        for n in range(count)
    ]
    return {"version": "1.0.0", "lastUpdated": "2024-01-20T12:00:00.000Z", "plugins": plugins}


def test_a_ten_thousand_plugin_registry_round_trips_but_for_the_change(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    document = big_registry(10_000)
    original = dumps(document)
    assert len(original) > 1024 * 1024
    fake.put_file(REGISTRY, "registry.json", original)
    fake.reset_log()

    run = run_action(
        docker_env(
            fake, tmp_path, PLUGIN_ID="plugin-05000", PLUGIN_NAME="Plugin 5000 ü", VERSION="2.0.0"
        )
    )

    assert run.status == 0, run.stdout + run.stderr
    written = fake.get_file(REGISTRY, "registry.json")
    assert written is not None
    new = json.loads(written)
    document["plugins"][5000]["version"] = "2.0.0"
    document["lastUpdated"] = new["lastUpdated"]
    assert written == dumps(document)  # byte for byte, but for the version and the time
    assert any("/git/blobs/" in r.path for r in fake.requests)  # read past the 1 MB limit


def test_a_new_plugin_is_appended_to_a_registry_over_one_megabyte(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    document = big_registry(10_000)
    fake.put_file(REGISTRY, "registry.json", dumps(document))
    run = run_action(docker_env(fake, tmp_path, PLUGIN_ID="newcomer"))
    assert run.status == 0, run.stdout + run.stderr
    written = json.loads(fake.get_file(REGISTRY, "registry.json") or b"")
    assert len(written["plugins"]) == 10_001
    assert written["plugins"][:10_000] == document["plugins"]
    assert written["plugins"][-1]["id"] == "newcomer"
