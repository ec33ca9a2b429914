"""Hostile documents and file inputs: one clear line naming the file and the place, exit 1.

Each case is what an attacker or an unlucky user can put in a registry file, a template, the
version file or an input. Nothing is written, and nothing the action writes is anything but
strict JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fake_github import FakeGitHub
from harness import REGISTRY, Action
from strict_checks import assert_failed_cleanly, assert_strict_registry, strict_parse

HEAD = '{"version": "1.0.0", "lastUpdated": "2024-01-20T12:00:00.000Z", "plugins": [], "extra": '
AT = "at line 1 column 89"
SEEDED = frozenset({"registry.json"})
DAMAGED = "::error title=Damaged registry file::registry.json"
ENTRY = {"name": "w", "version": "1.0.0", "manifestUrl": "https://x.dev/w.json"}

REGISTRY_CASES = [
    ("1e400}", f"{DAMAGED} is not valid JSON: the number 1e400 is too large for JSON readers {AT}"),
    ("NaN}", f"{DAMAGED} is not valid JSON: NaN is not a JSON value {AT}"),
    ("-Infinity}", f"{DAMAGED} is not valid JSON: -Infinity is not a JSON value {AT}"),
    (
        "[" * 5000 + "]" * 5000 + "}",
        f"{DAMAGED} is not valid JSON: nesting deeper than 64 levels at line 1 column 152",
    ),
    (
        "[" * 500 + "]" * 500 + "}",
        f"{DAMAGED} is not valid JSON: nesting deeper than 64 levels at line 1 column 152",
    ),
    (
        "9" * 5000 + "}",
        f"{DAMAGED} is not valid JSON: the integer 99999999999999999999… (5000 characters) is "
        f"larger than JSON readers hold exactly (9007199254740991) {AT}",
    ),
    (
        '"\\ud800"}',
        f"{DAMAGED} is not valid JSON: \\ud800 is a lone surrogate, not a character "
        "at line 1 column 90",
    ),
    (
        '1, "extra": 2}',
        f'{DAMAGED} is not valid JSON: the key "extra" appears twice',
    ),
]


@pytest.mark.parametrize(("tail", "line"), REGISTRY_CASES, ids=[t[:12] for t, _ in REGISTRY_CASES])
def test_a_registry_with_what_json_parse_refuses_is_damaged(
    github: FakeGitHub, action: Action, tail: str, line: str
) -> None:
    github.put_file(REGISTRY, "registry.json", (HEAD + tail).encode())
    github.reset_log()
    run = action.run({"version": "1.2.3"})
    assert_failed_cleanly(run, line, github, SEEDED)
    assert github.get_file(REGISTRY, "registry.json") == (HEAD + tail).encode()


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        (
            {"id": "weather\n"},
            f"{DAMAGED} is damaged: at /plugins/0/id: 'weather\\n' is not valid: ",
        ),
        (
            {"id": "weather", "manifestUrl": "https://x.dev/w.json\n"},
            f"{DAMAGED} is damaged: at /plugins/0/manifestUrl: 'https://x.dev/w.json\\n' is not ",
        ),
        (
            {"id": "weather", "version": "1.0.0\n"},
            f"{DAMAGED} is damaged: at /plugins/0/version: '1.0.0\\n' is not valid: ",
        ),
    ],
)
def test_a_value_ending_in_a_newline_is_not_kept(
    github: FakeGitHub, action: Action, changes: dict[str, str], line: str
) -> None:
    document = {
        "version": "1.0.0",
        "lastUpdated": "2024-01-20T12:00:00.000Z",
        "plugins": [{**ENTRY, **changes}],
    }
    github.put_file(REGISTRY, "registry.json", json.dumps(document).encode())
    github.reset_log()
    run = action.run({"version": "1.2.3"})
    assert run.errors and run.errors[0].startswith(line), run.stdout
    assert_failed_cleanly(run, run.errors[0], github, SEEDED)


TEMPLATE = "::error title=Invalid manifest template::"
TEMPLATE_CASES = [
    (
        '{"id": "{id}", "extra": NaN}',
        f"{TEMPLATE}the manifest template t.json is not valid JSON: NaN is not a JSON value "
        "at line 1 column 25",
    ),
    (
        '{"extra": 1e400}',
        f"{TEMPLATE}the manifest template t.json is not valid JSON: the number 1e400 is too "
        "large for JSON readers at line 1 column 11",
    ),
    (
        '{"extra": ' + "[" * 5000 + "]" * 5000 + "}",
        f"{TEMPLATE}the manifest template t.json is not valid JSON: nesting deeper than 64 "
        "levels at line 1 column 74",
    ),
    (
        '{"extra": ' + "1" * 5000 + "}",
        f"{TEMPLATE}the manifest template t.json is not valid JSON: the integer "
        "11111111111111111111… (5000 characters) is larger than JSON readers hold exactly "
        "(9007199254740991) at line 1 column 11",
    ),
    (
        '{"description": "\\udfff"}',
        f"{TEMPLATE}the manifest template t.json is not valid JSON: \\udfff is a lone surrogate, "
        "not a character at line 1 column 18",
    ),
    (
        '{"a": 1, "a": 2}',
        f'{TEMPLATE}the manifest template t.json is not valid JSON: the key "a" appears twice',
    ),
]


@pytest.mark.parametrize(("text", "line"), TEMPLATE_CASES, ids=[t[:14] for t, _ in TEMPLATE_CASES])
def test_a_template_with_what_json_parse_refuses_is_refused(
    github: FakeGitHub, action: Action, text: str, line: str
) -> None:
    (action.workspace / "t.json").write_text(text)
    run = action.run({"version": "1.2.3", "manifest-template": "t.json"})
    assert_failed_cleanly(run, line, github)
    assert github.requests == []


def _input_error(name: str, message: str) -> str:
    return f"::error title=Invalid input::input `{name}` {message}"


def test_template_file_inputs_must_be_small_regular_files_in_the_workspace(
    github: FakeGitHub, action: Action, tmp_path: Path
) -> None:
    workspace = action.workspace
    outside = tmp_path / "secret.json"
    outside.write_text('{"description": "read from outside"}')
    (workspace / "zero.json").symlink_to("/dev/zero")
    (workspace / "out.json").symlink_to(outside)
    os.mkfifo(workspace / "fifo.json")
    with (workspace / "big.json").open("wb") as big:
        big.truncate(11 * 1024 * 1024)
    real = workspace.resolve()
    cases = {
        "zero.json": f"{workspace}/zero.json is outside the workspace {real}; name a file "
        "inside the repository's checkout",
        "out.json": f"{workspace}/out.json is outside the workspace {real}; name a file "
        "inside the repository's checkout",
        "../secret.json": f"{workspace}/../secret.json is outside the workspace {real}; name a "
        "file inside the repository's checkout",
        str(outside): f"{outside} is outside the workspace {real}; name a file inside the "
        "repository's checkout",
        "fifo.json": f"{workspace}/fifo.json is not a regular file",
        "big.json": f"{workspace}/big.json is larger than 10 MB",
        ".": f"{workspace} is not a regular file",
    }
    for given, message in cases.items():
        run = action.run({"version": "1.2.3", "manifest-template": given})
        line = f"{TEMPLATE}input `manifest-template`: {message}"
        assert_failed_cleanly(run, line, github)
    assert github.requests == []


def test_the_version_file_is_confined_and_strict(
    github: FakeGitHub, action: Action, tmp_path: Path
) -> None:
    workspace = action.workspace
    os.mkfifo(workspace / "fifo.json")
    (tmp_path / "package.json").write_text('{"version": "9.9.9"}')
    (workspace / "link.json").symlink_to(tmp_path / "package.json")
    (workspace / "package.json").write_text('{"version": "1.2.3\\n"}')
    real = workspace.resolve()
    cases = {
        "fifo.json": f"{workspace}/fifo.json is not a regular file",
        "link.json": f"{workspace}/link.json is outside the workspace {real}; name a file inside "
        "the repository's checkout",
        "../package.json": f"{workspace}/../package.json is outside the workspace {real}; name a "
        "file inside the repository's checkout",
    }
    for given, message in cases.items():
        run = action.run({"version-file": given})
        assert_failed_cleanly(run, _input_error("version-file", "")[:-1] + f": {message}", github)
    run = action.run()
    assert_failed_cleanly(
        run,
        "::error title=Invalid input::the version in package.json '1.2.3\\n' is not a semantic "
        "version (MAJOR.MINOR.PATCH such as 1.2.3, optionally with -prerelease or +build)",
        github,
    )
    (workspace / "package.json").write_text('{"version": "1.2.3", "size": NaN}')
    run = action.run()
    assert_failed_cleanly(
        run,
        f"::error title=Invalid input::input `version-file`: {workspace}/package.json is not "
        "valid JSON: NaN is not a JSON value at line 1 column 30",
        github,
    )
    assert github.requests == []


def test_a_hostile_event_payload_only_loses_the_default_description(
    github: FakeGitHub, action: Action, tmp_path: Path
) -> None:
    for content in ('{"repository": ' + "[" * 5000 + "]" * 5000 + "}", '{"a": NaN}'):
        event = tmp_path / "event.json"
        event.write_text(content)
        run = action.run({"version": "1.2.3"}, GITHUB_EVENT_PATH=str(event))
        assert run.status == 0, run.stdout + run.stderr
    fifo = tmp_path / "event.fifo"
    os.mkfifo(fifo)
    run = action.run({"version": "1.2.4"}, GITHUB_EVENT_PATH=str(fifo))
    assert run.status == 0, run.stdout + run.stderr
    assert_strict_registry(github)
    strict_parse(run.outputs["manifest"].encode())


def test_file_names_cannot_break_or_inject_summary_rows(tmp_path: Path) -> None:
    from console import seed, validate_checkout
    from registry_files import manifest, registry_files

    workspace = tmp_path / "workspace"
    seed(workspace, registry_files(manifest("calendar")))
    names = ["a|b", "x`y", "new\nline", "<img src=x onerror=alert(1)>"]
    for name in names:
        (workspace / "plugins" / f"{name}.json").write_text("{}")
    run = validate_checkout(workspace, tmp_path / "run")
    assert run.status == 1
    rows = [line for line in run.summary.splitlines() if line.startswith("| ❌")]
    assert len(rows) >= len(names)
    for row in rows:
        # Five cell borders, whatever the file name: no | inside a cell is left unescaped.
        assert row.replace("\\|", "").count("|") == 5, row
    assert "<img" not in run.summary
    assert "&lt;img src=x onerror=alert(1)&gt;" in run.summary
    # The name with a line break stays on its annotation's line.
    assert not [line for line in run.stdout.splitlines() if line.startswith("line")]
    assert "plugins/new%0Aline.json" in run.stdout


def test_a_damaged_manifest_is_replaced_by_strict_json(github: FakeGitHub, action: Action) -> None:
    damaged = b'{"id": "calendar2", "extra": ' + b"[" * 5000 + b"]" * 5000 + b",\n```\n<b>}"
    github.put_file(REGISTRY, "plugins/calendar2.json", damaged)
    github.reset_log()
    dry = action.run({"version": "1.2.3", "dry-run": "true"})
    assert dry.status == 0, dry.stdout + dry.stderr
    assert "nesting deeper than 64 levels at line 1 column 93" in dry.stdout
    # The damaged text stays inside a fence longer than its own backticks: shown, not rendered.
    inside = dry.summary.split("````diff\n", 1)[1].split("\n````\n", 1)
    assert "<b>" in inside[0] and "<b>" not in inside[1]
    run = action.run({"version": "1.2.3"})
    assert run.status == 0, run.stdout + run.stderr
    assert_strict_registry(github)
    strict_parse(run.outputs["manifest"].encode())
    assert "crashed" not in run.stdout + dry.stdout
