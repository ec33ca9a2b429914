"""`integrity` and validate's `live`, through the console script, against the fake GitHub and
plugins' hosts served on 127.0.0.1."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from console import terminal
from fake_github import FakeGitHub
from harness import READ_TOKEN, REGISTRY, WRITE_TOKEN, Action, manifest
from registry_action.core.strictjson import dumps
from registry_action.engine.remote import sri
from registry_files import manifest as manifest_of
from registry_files import registry_files
from remote_hosts import RemoteHosts
from resolver import Resolver

ENTRY = b'globalThis["Calendar2"] = { init() {}, get() {} };\n'
ANNOTATION = re.compile(r"^::error title=([^,:]+),file=([^,:]+),line=(\d+)::(.+)$")


@pytest.fixture
def hosts() -> Iterator[RemoteHosts]:
    with RemoteHosts() as running:
        yield running


def test_integrity_records_the_hash_of_the_bytes_served(
    github: FakeGitHub, action: Action, hosts: RemoteHosts
) -> None:
    url = hosts.serve("/assets/remoteEntry.js", ENTRY)
    run = action.run({"version": "1.2.3", "ui-remote-entry": url, "integrity": "true"})
    assert run.status == 0, run.stdout + run.stderr
    written = manifest(github, "calendar2")
    assert written is not None
    assert written["ui"] == {"remoteEntry": url, "expose": "./PluginApp", "integrity": sri(ENTRY)}
    assert list(written["ui"]) == ["remoteEntry", "expose", "integrity"]
    assert json.loads(run.outputs["manifest"])["ui"]["integrity"] == sri(ENTRY)
    assert f"Integrity: {url} is {len(ENTRY)} bytes, {sri(ENTRY)}" in run.stdout
    # One request to the plugin's host, none of them carrying the token.
    assert hosts.requested() == ["/assets/remoteEntry.js"]
    assert WRITE_TOKEN not in repr(hosts.seen)


def test_integrity_costs_no_request_to_github(
    github: FakeGitHub, action: Action, hosts: RemoteHosts
) -> None:
    url = hosts.serve("/assets/remoteEntry.js", ENTRY)
    counts = []
    for plugin, integrity in (("plain", "false"), ("hashed", "true")):
        github.reset_log()
        inputs = {"plugin-id": plugin, "ui-remote-entry": url, "integrity": integrity}
        run = action.run({"version": "1.2.3", **inputs})
        assert run.status == 0, run.stdout + run.stderr
        counts.append(len(github.requests))
    assert counts[0] == counts[1]


def test_a_rerun_with_the_same_bytes_writes_nothing(
    github: FakeGitHub, action: Action, hosts: RemoteHosts
) -> None:
    url = hosts.serve("/assets/remoteEntry.js", ENTRY)
    inputs = {"version": "1.2.3", "ui-remote-entry": url, "integrity": "true"}
    assert action.run(inputs).status == 0
    github.reset_log()
    again = action.run(inputs)
    assert again.status == 0 and again.outputs["changed"] == "false"
    assert github.writes == []
    # Redeployed: the next registration records the new hash.
    hosts.serve("/assets/remoteEntry.js", ENTRY + b"// hotfix\n")
    assert action.run(inputs).outputs["changed"] == "true"
    written = manifest(github, "calendar2")
    assert written is not None and written["ui"]["integrity"] == sri(ENTRY + b"// hotfix\n")


def refusal(url: str, reason: str) -> str:
    return (
        f"::error title=Remote entry not fetched::input `integrity`: the remote entry {url} "
        f"{reason}, so its hash cannot be recorded; nothing was registered. Check the "
        "deployment (`health-check: true` waits for it to go live)"
    )


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        ({}, "answered 404 Not Found"),
        ({"body": ENTRY, "status": 503}, "answered 503 Service Unavailable"),
        ({"size": 10 * 1024 * 1024 + 1}, "sent more than 10 MB"),
        (
            {"location": "file:///etc/passwd"},
            "redirected to file:///etc/passwd, which is not http(s)",
        ),
    ],
    ids=["gone", "failing", "huge", "redirected-to-a-file"],
)
def test_a_remote_entry_that_cannot_be_fetched_refuses_the_registration(
    github: FakeGitHub,
    action: Action,
    hosts: RemoteHosts,
    route: dict[str, object],
    reason: str,
) -> None:
    url = hosts.serve("/assets/remoteEntry.js", **route) if route else hosts.url("/x.js")
    github.reset_log()
    run = action.run({"version": "1.2.3", "ui-remote-entry": url, "integrity": "true"})
    assert run.status == 1
    assert run.errors == [refusal(url, reason)]
    assert github.writes == []
    assert github.list_files(REGISTRY) == []
    assert "Traceback" not in run.stderr


def test_the_fetch_counts_against_the_runs_timeout(
    github: FakeGitHub, action: Action, hosts: RemoteHosts
) -> None:
    url = hosts.serve("/assets/remoteEntry.js", ENTRY, trickle=0.2)
    started = time.monotonic()
    run = action.run(
        {"version": "1.2.3", "ui-remote-entry": url, "integrity": "true", "timeout": "2"}
    )
    assert time.monotonic() - started < 8
    assert run.status == 1
    [error] = run.errors
    assert re.fullmatch(
        re.escape(refusal(url, "did not answer in full within X")).replace("X", r"[0-9.]+s"),
        error,
    )
    assert github.writes == []


def test_a_lookup_that_hangs_counts_against_the_runs_timeout(
    github: FakeGitHub, action: Action, resolver: Resolver
) -> None:
    resolver.hanging.add("cdn.test")
    url = "http://cdn.test/assets/remoteEntry.js"
    started = time.monotonic()
    run = action.run(
        {"version": "1.2.3", "ui-remote-entry": url, "integrity": "true", "timeout": "2"}
    )
    # Two seconds of run, and the start and end of the console script.
    assert time.monotonic() - started < 2 + 2
    [error] = run.errors
    assert re.fullmatch(
        re.escape(refusal(url, "did not answer in full within X")).replace("X", r"[0-9.]+s"),
        error,
    )
    assert run.status == 1 and "Traceback" not in run.stdout + run.stderr
    assert github.writes == []
    assert resolver.stuck and all(thread.daemon for thread in resolver.stuck)


def test_a_host_name_that_does_not_exist_keeps_its_message(
    github: FakeGitHub, action: Action, resolver: Resolver
) -> None:
    resolver.missing.add("cdn.test")
    url = "http://cdn.test/assets/remoteEntry.js"
    run = action.run({"version": "1.2.3", "ui-remote-entry": url, "integrity": "true"})
    assert run.status == 1
    assert run.errors == [
        refusal(url, "could not be reached (host not found: Name or service not known)")
    ]
    assert github.writes == []


def seed_live(github: FakeGitHub, hosts: RemoteHosts) -> dict[str, str]:
    """Three plugins registered with integrity: one unchanged, one redeployed, one gone."""
    urls = {name: hosts.serve(f"/{name}/remoteEntry.js", ENTRY) for name in ("ok", "hot", "gone")}
    documents = [
        manifest_of(name, ui={"remoteEntry": url, "expose": "./PluginApp", "integrity": sri(ENTRY)})
        for name, url in urls.items()
    ]
    plain = manifest_of("plain", ui={"remoteEntry": urls["ok"], "expose": "./PluginApp"})
    for path, content in registry_files(*documents, plain).items():
        github.put_file(REGISTRY, path, content)
    hosts.serve("/hot/remoteEntry.js", ENTRY + b"// redeployed\n")
    hosts.gone("/gone/remoteEntry.js")
    github.reset_log()
    return urls


def test_validate_live_reports_each_gone_or_changed_plugin_once(
    github: FakeGitHub, action: Action, hosts: RemoteHosts
) -> None:
    urls = seed_live(github, hosts)
    run = action.run({"command": "validate", "live": "true"}, INPUT_TOKEN=READ_TOKEN)
    assert run.status == 1
    found = [ANNOTATION.match(line) for line in run.errors]
    assert all(found), run.errors
    assert [m.groups() for m in found if m] == [
        (
            "Registry problem",
            "plugins/gone.json",
            "7",
            f"the remote entry {urls['gone']} answered 404 Not Found: dashboards cannot load "
            "this plugin; deploy it again, or unregister the plugin",
        ),
        (
            "Registry problem",
            "plugins/hot.json",
            "9",
            f"the remote entry {urls['hot']} no longer matches its ui.integrity {sri(ENTRY)} (it "
            f"now hashes to {sri(ENTRY + b'// redeployed' + bytes([10]))}): it was redeployed "
            "without registering, so dashboards refuse to load it; register the plugin again",
        ),
    ]
    # Every listed remote entry fetched once (ok and plain share one), nothing written.
    assert sorted(hosts.requested()) == [
        "/gone/remoteEntry.js",
        "/hot/remoteEntry.js",
        "/ok/remoteEntry.js",
    ]
    assert github.writes == []
    assert "org/plugin-registry@main: 2 error(s), 0 warning(s)" in run.summary


def test_validate_without_live_fetches_nothing(
    github: FakeGitHub, action: Action, hosts: RemoteHosts
) -> None:
    seed_live(github, hosts)
    run = action.run({"command": "validate"}, INPUT_TOKEN=READ_TOKEN)
    assert run.status == 0, run.stdout
    assert hosts.seen == []


def test_validate_live_of_a_folder_on_a_terminal(tmp_path: Path, hosts: RemoteHosts) -> None:
    folder = tmp_path / "registry"
    (folder / "plugins").mkdir(parents=True)
    url = hosts.serve("/cal/remoteEntry.js", ENTRY)
    document = manifest_of(
        "cal", ui={"remoteEntry": url, "expose": "./PluginApp", "integrity": sri(b"")}
    )
    for path, content in registry_files(document).items():
        (folder / path).write_bytes(content)
    done = terminal("validate", "--registry-dir", str(folder), "--live", cwd=folder.parent)
    assert done.status == 1
    assert done.stderr.splitlines()[-1] == (
        f"error: registry/plugins/cal.json:9: the remote entry {url} no longer matches its "
        f"ui.integrity {sri(b'')} (it now hashes to {sri(ENTRY)}): it was redeployed without "
        "registering, so dashboards refuse to load it; register the plugin again"
    )
    assert dumps(document) == (folder / "plugins/cal.json").read_bytes()
