"""action.yml and the README describe the raw-file URL forms that the code builds, and no other."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from registry_action.commands.target import raw_base_url

ROOT = Path(__file__).resolve().parents[2]
SERVER = "https://HOSTNAME"
GITHUB = "https://github.com"


def built_forms() -> set[str]:
    """What ``raw_base_url`` makes on github.com and on a server, with and without isolation."""
    forms = {
        raw_base_url(GITHUB, "{owner}/{repo}", "BRANCH"),
        raw_base_url(SERVER, "{owner}/{repo}", "BRANCH", isolation=True),
        raw_base_url(SERVER, "{owner}/{repo}", "BRANCH", isolation=False),
    }
    return {form.replace("BRANCH", "{branch}") for form in forms}


def described_forms(text: str) -> set[str]:
    return set(re.findall(r"`(https://[^`]*\{branch\})`", " ".join(text.split())))


def action_inputs() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    return loaded["inputs"]


def test_action_yml_describes_the_raw_url_forms_the_code_builds() -> None:
    inputs = action_inputs()
    assert described_forms(inputs["manifest-base-url"]["description"]) == built_forms()
    isolation = described_forms(inputs["subdomain-isolation"]["description"])
    assert isolation == built_forms() - {
        raw_base_url(GITHUB, "{owner}/{repo}", "BRANCH").replace("BRANCH", "{branch}")
    }


def test_the_readme_describes_the_raw_url_forms_the_code_builds() -> None:
    readme = (ROOT / "README.md").read_text()
    [row] = [line for line in readme.splitlines() if line.startswith("| `manifest-base-url`")]
    assert described_forms(row) == built_forms()
