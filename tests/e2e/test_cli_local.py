"""The CLI on a local registry folder: no GitHub at all."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from console import terminal as cli
from harness import console_script

ROOT = Path(__file__).resolve().parents[2]


REGISTER = (
    "register",
    "--registry-dir",
    "registry",
    "--registry-repository",
    "org/plugin-registry",
    "--plugin-id",
    "calendar",
    "--version",
    "1.4.2",
    "--description",
    "Team calendar",
)


def test_register_into_a_folder_then_rerun(tmp_path: Path) -> None:
    first = cli(*REGISTER, cwd=tmp_path)
    assert first.status == 0, first.stderr
    assert first.stdout.strip() == (
        "calendar 1.4.2 registered in registry (plugins/calendar.json, registry.json)"
    )
    registry = json.loads((tmp_path / "registry/registry.json").read_text())
    manifest = json.loads((tmp_path / "registry/plugins/calendar.json").read_text())
    assert registry["plugins"][0]["version"] == "1.4.2"
    assert manifest["description"] == "Team calendar"
    assert manifest["manifestUrl"] == (
        "https://raw.githubusercontent.com/org/plugin-registry/main/plugins/calendar.json"
    )
    before = {p: p.read_bytes() for p in (tmp_path / "registry").rglob("*.json")}
    again = cli(*REGISTER, cwd=tmp_path)
    assert again.status == 0
    assert "already up to date" in again.stdout
    assert {p: p.read_bytes() for p in (tmp_path / "registry").rglob("*.json")} == before


def test_bad_input_on_a_terminal_is_one_plain_line(tmp_path: Path) -> None:
    done = cli(*REGISTER[:-4], "--version", "1.2", cwd=tmp_path, process=True)
    assert done.status == 1
    assert done.stdout == ""
    assert done.stderr == (
        "error: `--version` '1.2' is not a semantic version (MAJOR.MINOR.PATCH such as "
        "1.2.3, optionally with -prerelease or +build)\n"
    )
    assert not (tmp_path / "registry").exists()


def test_a_damaged_registry_is_reported_and_kept(tmp_path: Path) -> None:
    folder = tmp_path / "registry"
    folder.mkdir()
    (folder / "registry.json").write_text('{"version": "1.0.0", "plugins": [}\n')
    done = cli(*REGISTER, cwd=tmp_path)
    assert done.status == 1
    assert done.stderr.startswith(
        "error: registry.json is not valid JSON: Expecting value at line 1"
    )
    assert (folder / "registry.json").read_text() == '{"version": "1.0.0", "plugins": [}\n'
    assert not (folder / "plugins").exists()


def test_help_and_version(tmp_path: Path) -> None:
    version = cli("--version", cwd=tmp_path)
    assert version.status == 0 and version.stdout.startswith("registry-action ")
    helped = cli("register", "--help", cwd=tmp_path)
    assert helped.status == 0
    for flag in ("--registry-dir", "--plugin-id", "--version", "--dry-run", "--manifest-template"):
        assert flag in helped.stdout


def test_no_arguments_reads_the_environment_like_the_container(tmp_path: Path) -> None:
    env = {
        "GITHUB_REPOSITORY": "acme/Maps",
        "INPUT_VERSION": "3.0.0",
        "INPUT_TOKEN": "",
        "INPUT_REGISTRY-REPOSITORY": "",
    }
    done = cli(cwd=tmp_path, env=env, process=True)
    assert done.status == 1
    assert done.stderr == (
        "error: input `registry-repository` is required (owner/name of the registry)\n"
    )


def test_the_quick_start_script_registers_a_sample(tmp_path: Path) -> None:
    env = {"VENV": str(Path(console_script()).parent.parent), "REGISTRY_DIR": str(tmp_path / "r")}
    done = subprocess.run(
        ["bash", str(ROOT / "examples/quickstart.sh")],
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "calendar 1.4.2 registered" in done.stdout
    assert json.loads((tmp_path / "r/registry.json").read_text())["plugins"][0]["id"] == "calendar"


COLLECTOR_PROBE = """
import gc, json, sys
from registry_action.cli import main
status = main(sys.argv[1:])
print(json.dumps([status, gc.isenabled(), gc.get_freeze_count(), gc.get_threshold()]))
"""


def _probe(tmp_path: Path, *args: str) -> list[object]:
    python = str(Path(console_script()).with_name("python"))
    done = subprocess.run(
        [python, "-c", COLLECTOR_PROBE, *args],
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: list[object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_the_garbage_collector_is_paused_only_while_the_program_loads(tmp_path: Path) -> None:
    # A registration resumes collection with the default thresholds once loaded, and what
    # loaded is frozen out of later collections.
    status, enabled, frozen, threshold = _probe(tmp_path, *REGISTER)
    assert (status, enabled, threshold) == (0, True, [700, 10, 10])
    assert isinstance(frozen, int) and frozen > 10_000
    # A run that stops on bad input before it has loaded still leaves collection on.
    status, enabled, frozen, _ = _probe(tmp_path, *REGISTER, "--max-attempts", "many")
    assert (status, enabled, frozen) == (2, True, 0)


def test_a_register_that_fails_before_writing_leaves_no_folder(tmp_path: Path) -> None:
    done = cli(
        "register",
        "--registry-dir",
        "registry",
        "--plugin-id",
        "calendar",
        "--version",
        "1.4.2",
        cwd=tmp_path,
    )  # no repository: no manifest URL, found after opening
    assert done.status == 1
    assert done.stderr == (
        "error: `--manifest-base-url` (or `--registry-repository`) is required to compute the "
        "manifest URL of a local registry\n"
    )
    assert list(tmp_path.iterdir()) == []
