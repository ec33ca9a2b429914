"""Which version is registered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry_action.core.versions import resolve_version
from registry_action.errors import InputError


def package(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "package.json"
    path.write_text(json.dumps(content))
    return path


def test_input_wins_and_a_leading_v_is_dropped(tmp_path: Path) -> None:
    file = package(tmp_path, {"version": "9.9.9"})
    assert resolve_version("v1.2.3", file, True, "refs/tags/v5.0.0") == "1.2.3"


def test_version_file_then_tag(tmp_path: Path) -> None:
    assert resolve_version(None, package(tmp_path, {"version": "2.0.0-rc.1"}), True, None) == (
        "2.0.0-rc.1"
    )
    missing = tmp_path / "none.json"
    assert resolve_version(None, missing, True, "refs/tags/v3.1.4") == "3.1.4"


@pytest.mark.parametrize("bad", ["1.2", "latest", "1.2.3.4", "01.2.3", "v", ""])
def test_not_semver_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InputError, match="is not a semantic version"):
        resolve_version(bad or "x", tmp_path / "none.json", True, None)


def test_nothing_found_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        resolve_version(None, tmp_path / "package.json", True, "refs/heads/main")
    assert str(caught.value) == (
        'no version to register: set `version`, put a "version" in package.json, '
        "or run on a tag such as v1.2.3"
    )


def test_an_explicit_version_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"input `version-file`: .*ver\.json does not exist"):
        resolve_version(None, tmp_path / "ver.json", False, None)


def test_a_broken_version_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text("{")
    with pytest.raises(InputError, match="is not valid JSON"):
        resolve_version(None, tmp_path / "package.json", True, None)
