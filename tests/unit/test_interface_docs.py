"""action.yml, the settings model and the README describe the same inputs and outputs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from registry_action.inputs import Inputs, input_name

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
}


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    return loaded


def readme_table_names(heading: str) -> set[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z-]+)`", section, flags=re.MULTILINE))


def test_action_inputs_are_the_settings_fields() -> None:
    fields = {input_name(f) for f in Inputs.model_fields if f != "registry_dir"}
    assert set(action()["inputs"]) == fields


def test_readme_documents_every_input_and_output() -> None:
    assert readme_table_names("Inputs") == set(action()["inputs"])
    assert readme_table_names("Outputs") == set(action()["outputs"]) == OUTPUTS


def test_action_is_a_docker_action_with_only_token_and_repository_required() -> None:
    meta = action()
    assert meta["runs"]["using"] == "docker"
    required = {name for name, spec in meta["inputs"].items() if spec.get("required")}
    assert required == {"token", "registry-repository"}
    for name, spec in meta["inputs"].items():
        assert spec.get("description"), name
