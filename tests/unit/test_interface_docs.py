"""action.yml and the README say what the declarations of the inputs say.

Each input is declared once, on ``Inputs``; these tests fail when a name, a default, a
required flag or a placeholder mark in ``action.yml`` or the README's table differs from it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from registry_action.settings.inputs import (
    Inputs,
    declared,
    format_value,
    input_name,
    shown_default,
)

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = {
    "plugin-id",
    "manifest-url",
    "registry-url",
    "changed",
    "commit-sha",
    "manifest",
    "pull-request-url",
    "pull-request-number",
    "history",
}
ACTION_INPUTS = [(input_name(field), use) for field, use in declared() if use.action]


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    return loaded


def readme_rows(heading: str) -> dict[str, list[str]]:
    """The rows of a README table by name: the name cell's marks, then the other cells."""
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        found = re.match(r"^\| `([a-z-]+)`( ✱)? \|(.*)\|$", line)
        if found:
            cells = [cell.strip() for cell in found.group(3).split(" | ")]
            rows[found.group(1)] = [found.group(2) or "", *cells]
    return rows


def test_action_yml_declares_exactly_the_inputs_in_their_order() -> None:
    assert list(action()["inputs"]) == [name for name, _ in ACTION_INPUTS]


@pytest.mark.parametrize(("name", "use"), ACTION_INPUTS, ids=[n for n, _ in ACTION_INPUTS])
def test_action_yml_holds_each_input_to_its_declaration(name: str, use: Any) -> None:
    declared_in_action = action()["inputs"][name]
    assert declared_in_action.get("description"), name
    assert declared_in_action.get("required", False) is use.required
    default = Inputs.model_fields[name.replace("-", "_")].default
    if use.declared and default is not None:
        assert declared_in_action.get("default") == format_value(default)
    else:  # an empty default is no default: the runner passes an empty value either way
        assert declared_in_action.get("default", "") == ""


def test_readme_lists_exactly_the_inputs_in_their_order() -> None:
    assert list(readme_rows("Inputs")) == [name for name, _ in ACTION_INPUTS]
    assert set(readme_rows("Outputs")) == set(action()["outputs"]) == OUTPUTS


@pytest.mark.parametrize(("name", "use"), ACTION_INPUTS, ids=[n for n, _ in ACTION_INPUTS])
def test_readme_holds_each_input_to_its_declaration(name: str, use: Any) -> None:
    mark, default, _meaning = readme_rows("Inputs")[name]
    assert default == shown_default(name.replace("-", "_"))
    assert (mark == " ✱") is use.placeholder


def test_only_token_and_repository_are_required() -> None:
    assert {name for name, use in ACTION_INPUTS if use.required} == {
        "token",
        "registry-repository",
    }
    assert action()["runs"]["using"] == "docker"


def test_the_default_commit_messages_are_each_commands_own() -> None:
    from registry_action.commands import COMMANDS

    described = " ".join(action()["inputs"]["commit-message"]["description"].split())
    meaning = readme_rows("Inputs")["commit-message"][2]
    for command in COMMANDS.values():
        if command.message is not None:
            said = f"`{command.message}` for {command.name}"
            assert said in described
            assert said in meaning


def test_the_command_input_names_every_command_of_the_table() -> None:
    from registry_action.commands import COMMANDS

    described = action()["inputs"]["command"]["description"]
    meaning = readme_rows("Inputs")["command"][2]
    for name in COMMANDS:
        assert f"`{name}`" in described
        assert f"`{name}`" in meaning
    assert set(re.findall(r"`([a-z]+)`", meaning)) == set(COMMANDS)
