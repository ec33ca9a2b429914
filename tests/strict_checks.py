"""What every test of hostile input checks after a run: strict JSON out, nothing written."""

from __future__ import annotations

import json
from typing import Any

from fake_github import FakeGitHub
from harness import REGISTRY, Run


def _refuse(name: str) -> Any:
    raise AssertionError(f"{name} is not JSON")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), f"a key appears twice in {keys}"
    return dict(pairs)


def strict_parse(data: bytes) -> Any:
    """Parse as a browser's JSON.parse would, and refuse what it would not take back whole."""
    text = data.decode("utf-8")  # strict: a lone surrogate cannot be encoded in UTF-8
    return json.loads(text, parse_constant=_refuse, object_pairs_hook=_unique)


def assert_strict_registry(github: FakeGitHub, seeded: frozenset[str] = frozenset()) -> None:
    """Every file in the registry repository, but those a test put there, is strict JSON."""
    for path in github.list_files(REGISTRY):
        if path not in seeded:
            strict_parse(github.get_file(REGISTRY, path) or b"")


def assert_failed_cleanly(
    run: Run, line: str, github: FakeGitHub | None = None, seeded: frozenset[str] = frozenset()
) -> None:
    """Exit 1, exactly ``line`` as the one error, no crash, and nothing accepted by the fake."""
    assert run.status == 1, run.stdout + run.stderr
    assert run.errors == [line], run.stdout + run.stderr
    assert "crashed" not in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    if github is not None:
        assert [r for r in github.writes if r.status is None or r.status < 400] == []
        assert_strict_registry(github, seeded)
    if run.outputs.get("manifest"):
        strict_parse(run.outputs["manifest"].encode())
