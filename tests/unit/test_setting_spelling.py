"""Messages name settings through one function per form, and only settings that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from registry_action.settings.inputs import declared, input_name
from registry_action.settings.spelling import (
    advise,
    named,
    needing,
    permission,
    setting,
    speaking,
    token_advice,
    token_taken_from,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "registry_action"
CALL = re.compile(r"\b(?:setting|named|advise)\(\s*[\"']([a-z-]+)[\"']")


def test_every_setting_a_message_names_is_declared() -> None:
    names = {input_name(field) for field, _ in declared()}
    found = {
        (path.name, name)
        for path in SRC.rglob("*.py")
        for name in CALL.findall(path.read_text(encoding="utf-8"))
    }
    assert found, "no message names a setting"
    assert {(file, name) for file, name in found if name not in names} == set()


@pytest.mark.parametrize(
    ("interface", "spelled"),
    [
        (
            "actions",
            ("`allow-downgrade: true`", "input `plugin-id`", "set `allow-downgrade: true`"),
        ),
        ("cli", ("`--allow-downgrade`", "`--plugin-id`", "pass `--allow-downgrade`")),
    ],
)
def test_each_interface_spells_settings_its_way(interface: str, spelled: tuple[str, ...]) -> None:
    with speaking(interface):
        assert (
            setting("allow-downgrade", "true"),
            named("plugin-id"),
            advise("allow-downgrade", "true"),
        ) == spelled
    assert setting("command", "reindex") == "`command: reindex`"  # Actions outside the block


def test_the_command_line_names_commands_and_the_token_as_typed() -> None:
    with speaking("cli"):
        assert setting("command", "reindex") == "`registry-action reindex`"
        assert setting("max-attempts", "20") == "`--max-attempts 20`"
        assert "`--token-env`" in named("token")


def test_the_token_is_named_by_the_variable_it_came_from_until_the_block_ends() -> None:
    with speaking("cli"):
        assert token_advice() == "export GITHUB_TOKEN (or GH_TOKEN) or use --token-env NAME"
        token_taken_from("GH_TOKEN")
        assert (named("token"), token_advice()) == (
            "the token in GH_TOKEN",
            "put a valid token in GH_TOKEN",
        )
    with speaking("cli"):
        assert "GH_TOKEN, else GITHUB_TOKEN" in named("token")
    assert token_advice() == "pass a valid token in the `token` input"


def test_a_command_that_only_reads_asks_for_read_access() -> None:
    assert permission() == "`contents: write`"
    with speaking("actions"):
        needing("read")
        assert permission() == "`contents: read`"
    assert permission() == "`contents: write`"
