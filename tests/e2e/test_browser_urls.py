"""URLs as a dashboard's browser parses them: refused before any write, in one line each.

A URL that the schemas' pattern lets through but ``new URL()`` refuses would be written into a
manifest no dashboard can load; a path that a browser resolves to another host would send the
plugin's API calls there. Each is refused from an input, a template or a registry file with
one line naming the cause, exit 1, and nothing written; validate reports the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ada_url import URL

from console import run_console, seed
from fake_github import FakeGitHub
from harness import REGISTRY, Action
from registry_action.core.strictjson import dumps
from registry_files import entry, manifest, registry, registry_files
from strict_checks import assert_failed_cleanly

BROWSERS = "is not a URL browsers accept as written"
HOST = "is not a path browsers keep on the deployment's host"
INPUT_CASES = [
    ("ui-remote-entry", "https://a.dev:99999/r.js", "the port 99999 is above 65535"),
    ("ui-remote-entry", "https://a.dev:http/r.js", "the port 'http' is not a number"),
    (
        "ui-remote-entry",
        "https://a<b.dev/r.js",
        "the host holds '<', which browsers refuse in a host name",
    ),
    (
        "ui-remote-entry",
        "https://a|b.dev/r.js",
        "the host holds '|', which browsers refuse in a host name",
    ),
    (
        "server-deployment-url",
        "https://a^b.dev",
        "the host holds '^', which browsers refuse in a host name",
    ),
    (
        "server-deployment-url",
        "https://a%zz.dev",
        "'%zz' in the host is not a percent-escape (% and two hex digits)",
    ),
    ("server-deployment-url", "https://[::1", "the IPv6 address '[::1' has no closing ']'"),
    (
        "ui-remote-entry",
        "https://[::1]]/r.js",
        "']' follows the IPv6 address where only ':' and a port may",
    ),
    ("manifest-base-url", "https://cdn.dev:65536", "the port 65536 is above 65535"),
]


@pytest.mark.parametrize(
    ("name", "value", "cause"), INPUT_CASES, ids=[v for _, v, _ in INPUT_CASES]
)
def test_an_input_url_browsers_refuse_is_refused_before_any_write(
    github: FakeGitHub, action: Action, name: str, value: str, cause: str
) -> None:
    run = action.run({"version": "1.2.3", name: value})
    message = f"input `{name}` {value!r} {BROWSERS}: {cause}"
    # Workflow commands escape '%' (and line breaks) in a message.
    line = "::error title=Invalid input::" + message.replace("%", "%25")
    assert_failed_cleanly(run, line, github)
    assert github.list_files(REGISTRY) == []


PATH_CASES = [
    (
        "server-route-base",
        "/\\evil.example/api",
        "a browser resolves it to the host evil.example, not to the deployment's",
    ),
    (
        "server-health-check",
        "/\\\\evil/health",
        "a browser resolves it to the host evil, not to the deployment's",
    ),
    ("server-health-check", "/api\\health", "it holds a backslash, which browsers read as '/'"),
]


@pytest.mark.parametrize(("name", "value", "cause"), PATH_CASES, ids=[v for _, v, _ in PATH_CASES])
def test_a_path_a_browser_resolves_to_another_host_is_refused(
    github: FakeGitHub, action: Action, name: str, value: str, cause: str
) -> None:
    run = action.run({"version": "1.2.3", name: value})
    line = f"::error title=Invalid input::input `{name}` {value!r} {HOST}: {cause}"
    assert_failed_cleanly(run, line, github)
    assert github.list_files(REGISTRY) == []


TEMPLATE_CASES = [
    (
        {"ui": {"remoteEntry": "https://[::1/assets/remoteEntry.js"}},
        f"at /ui/remoteEntry: 'https://[::1/assets/remoteEntry.js' {BROWSERS}: the IPv6 address "
        "'[::1' has no closing ']'",
    ),
    (
        {"server": {"deploymentUrl": "https://{id}.fly.dev:99999"}},
        f"at /server/deploymentUrl: 'https://calendar2.fly.dev:99999' {BROWSERS}: the port 99999 "
        "is above 65535",
    ),
    (
        {"server": {"routeBase": "/\\evil.example/{id}"}},
        f"at /server/routeBase: '/\\\\evil.example/calendar2' {HOST}: a browser resolves it to "
        "the host evil.example, not to the deployment's",
    ),
]


@pytest.mark.parametrize(("template", "problem"), TEMPLATE_CASES, ids=["ipv6", "port", "path"])
def test_a_template_url_browsers_refuse_commits_nothing(
    github: FakeGitHub, action: Action, template: dict[str, object], problem: str
) -> None:
    (action.workspace / "t.json").write_text(json.dumps(template))
    run = action.run({"version": "1.2.3", "manifest-template": "t.json"})
    line = "::error title=Invalid input::the manifest for calendar2 would be invalid: " + problem
    assert_failed_cleanly(run, line, github)
    assert github.list_files(REGISTRY) == []


def test_a_listed_url_browsers_refuse_is_damage_and_nothing_is_written(
    github: FakeGitHub, action: Action
) -> None:
    weather = manifest("weather", manifestUrl="https://x.dev:99999/plugins/weather.json")
    content = dumps(registry([entry(weather)]))
    github.put_file(REGISTRY, "registry.json", content)
    github.reset_log()
    run = action.run({"version": "1.2.3"})
    line = (
        "::error title=Damaged registry file::registry.json is damaged: at "
        f"/plugins/0/manifestUrl: 'https://x.dev:99999/plugins/weather.json' {BROWSERS}: the "
        "port 99999 is above 65535"
    )
    assert_failed_cleanly(run, line, github, frozenset({"registry.json"}))
    assert github.get_file(REGISTRY, "registry.json") == content


def test_validate_reports_what_browsers_refuse_on_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    bad = manifest(
        "weather",
        ui={"remoteEntry": "https://weather-ui.dev:http/r.js", "expose": "./PluginApp"},
        server={
            "routeBase": "/\\evil.example/api",
            "deploymentUrl": "https://weather.fly.dev",
            "healthCheck": "/api/health",
        },
    )
    seed(folder, registry_files(bad))
    run = run_console(["validate", "--registry-dir", str(folder)], {}, tmp_path / "run")
    assert run.status == 1
    assert run.stderr.splitlines() == [
        f"error: {folder}/plugins/weather.json:7: at /ui/remoteEntry: "
        f"'https://weather-ui.dev:http/r.js' {BROWSERS}: the port 'http' is not a number",
        f"error: {folder}/plugins/weather.json:11: at /server/routeBase: "
        f"'/\\\\evil.example/api' {HOST}: a browser resolves it to the host evil.example, not "
        "to the deployment's",
    ]


def test_a_branch_name_is_percent_encoded_in_the_manifest_url(
    github: FakeGitHub, action: Action
) -> None:
    github.create_branch(REGISTRY, "rel#1%")
    run = action.run({"version": "1.2.3", "registry-branch": "rel#1%"})
    assert run.status == 0, run.stdout + run.stderr
    url = "https://raw.githubusercontent.com/org/plugin-registry/rel%231%25/plugins/calendar2.json"
    assert run.outputs["manifest-url"] == url
    written = json.loads(
        github.get_file(REGISTRY, "plugins/calendar2.json", branch="rel#1%") or b""
    )
    assert written["manifestUrl"] == url
    # What a browser fetches: the whole path, no fragment, the branch's own bytes escaped.
    assert (URL(url).pathname, URL(url).hash) == (
        "/org/plugin-registry/rel%231%25/plugins/calendar2.json",
        "",
    )
