"""Rendering manifests from the built-in template and from template files."""

from __future__ import annotations

import re
from typing import Any

import pytest

from registry_action.commands.register import build_spec
from registry_action.core.manifest import (
    PluginSpec,
    RepositoryContext,
    SpecInputs,
    insecure_urls,
    render_manifest,
    same_content,
)
from registry_action.core.strictjson import dumps
from registry_action.errors import InputError, TemplateError
from registry_files import spec_inputs

NOW = "2024-01-20T12:00:00.000Z"
REPOS = RepositoryContext("acme/Calendar", "org/plugin-registry", "main")
BASE = "https://raw.githubusercontent.com/org/plugin-registry/main"


def raw(**changes: Any) -> SpecInputs:
    values: dict[str, Any] = {
        "plugin_id": "calendar",
        "plugin_name": None,
        "version": "1.4.2",
        "description": "Team calendar",
        "ui_remote_entry": "https://{id}-ui.pages.dev/assets/remoteEntry.js",
        "ui_expose": "./PluginApp",
        "server_route_base": "/api/integrations/{id}",
        "server_deployment_url": "https://{id}.fly.dev",
        "server_health_check": "/api/health",
        "manifest_base_url": BASE,
    }
    return spec_inputs(**{**values, **changes})


def spec(**changes: Any) -> PluginSpec:
    return build_spec(raw(**changes), REPOS)


def test_built_in_template_gives_the_design_document() -> None:
    manifest = render_manifest(spec(plugin_name="calendar"), NOW)
    assert dumps(manifest).decode() == (
        "{\n"
        '  "id": "calendar",\n'
        '  "name": "calendar",\n'
        '  "version": "1.4.2",\n'
        '  "description": "Team calendar",\n'
        '  "ui": {\n'
        '    "remoteEntry": "https://calendar-ui.pages.dev/assets/remoteEntry.js",\n'
        '    "expose": "./PluginApp"\n'
        "  },\n"
        '  "server": {\n'
        '    "routeBase": "/api/integrations/calendar",\n'
        '    "deploymentUrl": "https://calendar.fly.dev",\n'
        '    "healthCheck": "/api/health"\n'
        "  },\n"
        f'  "manifestUrl": "{BASE}/plugins/calendar.json",\n'
        f'  "lastUpdated": "{NOW}"\n'
        "}\n"
    )


def test_default_name_is_the_repository_name() -> None:
    assert render_manifest(spec(), NOW)["name"] == "Calendar"


def test_template_values_win_and_gaps_come_from_inputs() -> None:
    template = {
        "icon": "https://cdn.dev/{id}.svg",
        "ui": {"expose": "./Widget", "scope": "{name}"},
        "name": "{repository_name} plugin",
    }
    manifest = render_manifest(spec(template=template), NOW)
    assert manifest["ui"] == {
        "remoteEntry": "https://calendar-ui.pages.dev/assets/remoteEntry.js",
        "expose": "./Widget",
        "scope": "Calendar",
    }
    assert manifest["name"] == "Calendar plugin"
    assert manifest["icon"] == "https://cdn.dev/calendar.svg"
    # Known keys in the public order, the template's own after them.
    assert list(manifest) == [
        "id",
        "name",
        "version",
        "description",
        "ui",
        "server",
        "manifestUrl",
        "lastUpdated",
        "icon",
    ]


def test_template_cannot_contradict_the_id() -> None:
    with pytest.raises(TemplateError, match="sets id to 'other'"):
        render_manifest(spec(template={"id": "other"}), NOW)


def test_program_fields_are_always_set_by_the_program() -> None:
    template = {"manifestUrl": "https://evil.dev/x.json", "lastUpdated": "never"}
    manifest = render_manifest(spec(template=template), NOW)
    assert manifest["manifestUrl"] == f"{BASE}/plugins/calendar.json"
    assert manifest["lastUpdated"] == NOW


def test_template_with_a_bad_url_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        render_manifest(spec(template={"ui": {"remoteEntry": "javascript:alert(1)"}}), NOW)
    assert "at /ui/remoteEntry" in str(caught.value)
    assert "javascript:alert(1)" in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ui_remote_entry", "javascript:alert(1)", "input `ui-remote-entry` 'javascript:alert(1)'"),
        ("ui_remote_entry", "/assets/remoteEntry.js", "is not an absolute http(s) URL"),
        ("server_deployment_url", "data:text/html,x", "input `server-deployment-url`"),
        ("server_route_base", "api/x", "input `server-route-base` 'api/x' must be a path"),
        ("manifest_base_url", "file:///tmp", "input `manifest-base-url`"),
    ],
)
def test_bad_urls_in_inputs_are_refused(field: str, value: str, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        spec(**{field: value})


def test_same_content_ignores_only_the_timestamp() -> None:
    a = render_manifest(spec(), NOW)
    b = render_manifest(spec(), "2030-01-01T00:00:00.000Z")
    assert same_content(a, b)
    assert not same_content(a, render_manifest(spec(version="1.4.3"), NOW))


def test_plain_http_is_flagged_except_for_localhost() -> None:
    manifest = render_manifest(
        spec(ui_remote_entry="http://localhost:5173/r.js", server_deployment_url="http://api.dev"),
        NOW,
    )
    assert insecure_urls(manifest) == ["http://api.dev"]


def test_non_ascii_is_written_as_itself() -> None:
    manifest = render_manifest(spec(description="Kalender für Teams ✓"), NOW)
    assert '"description": "Kalender für Teams ✓"' in dumps(manifest).decode("utf-8")
