"""URLs and paths as browsers parse them, held to Node's ``new URL()`` where node is installed."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from registry_action.commands.target import raw_base_url
from registry_action.core.manifest import insecure_urls
from registry_action.core.urls import browser_violations, path_problem, url_problem

REFUSED = [
    ("https://a.dev:99999/r.js", "the port 99999 is above 65535"),
    ("https://a.dev:65536/r.js", "the port 65536 is above 65535"),
    ("https://a.dev:http/r.js", "the port 'http' is not a number"),
    ("https://a.dev:+80/r.js", "the port '+80' is not a number"),
    ("https://a.dev:80:80/", "the host holds ':', which browsers refuse in a host name"),
    ("https://a<b.dev/r.js", "the host holds '<', which browsers refuse in a host name"),
    ("https://a>b.dev/r.js", "the host holds '>', which browsers refuse in a host name"),
    ("https://a|b.dev/r.js", "the host holds '|', which browsers refuse in a host name"),
    ("https://a^b.dev/r.js", "the host holds '^', which browsers refuse in a host name"),
    ("https://a b.dev/", "the host holds ' ', which browsers refuse in a host name"),
    ("https://a[b.dev/", "the host holds '[', which browsers refuse in a host name"),
    ("https://a]b.dev/", "the host holds ']', which browsers refuse in a host name"),
    (
        "https://a%zz.dev/r.js",
        "'%zz' in the host is not a percent-escape (% and two hex digits)",
    ),
    ("https://a%20b.dev/", "the host holds ' ' once decoded, which browsers refuse in a host name"),
    ("https://[::1/r.js", "the IPv6 address '[::1' has no closing ']'"),
    ("https://[::g]/r.js", "[::g] is not an IPv6 address"),
    ("https://[::1]x/", "'x' follows the IPv6 address where only ':' and a port may"),
    ("https://[::1]:99999/", "the port 99999 is above 65535"),
    ("https://256.1.1.1/", "the host 256.1.1.1 ends in a number but is not an IPv4 address"),
    ("https://xn--a.dev/", "the host label 'xn--a' is not punycode of a name (browsers refuse it)"),
    ("https://a.dev\\evil/r.js", "it holds a backslash, which browsers read as '/'"),
    ("https://a.dev/x\\y", "it holds a backslash, which browsers read as '/'"),
]
ACCEPTED = [
    "https://calendar-ui.pages.dev/assets/remoteEntry.js",
    "https://a.dev:65535/r.js",
    "https://a.dev:0/r.js",
    "https://a.dev:/r.js",
    "https://[::1]:8080/r.js",
    "https://[2001:db8::1]/r.js",
    "http://localhost:5173/r.js",
    "https://127.0.0.1/",
    "https://a_b.dev/",
    "https://ünïcode.dev/",
    "https://xn--ls8h.la/",
    "https://a.dev/%zz?%zz#%zz",
    "https://a.dev/<>",
    "https://raw.githubusercontent.com/org/plugin-registry/rel%231%25/plugins/x.json",
]
# Browsers take these but read them otherwise than written: refused on purpose.
BACKSLASH = "it holds a backslash, which browsers read as '/'"
STRICTER = {url for url, cause in REFUSED if cause == BACKSLASH}


@pytest.mark.parametrize(("url", "cause"), REFUSED)
def test_a_url_browsers_refuse_is_refused_naming_the_cause(url: str, cause: str) -> None:
    assert url_problem(url) == cause


@pytest.mark.parametrize("url", ACCEPTED)
def test_a_url_browsers_accept_is_accepted(url: str) -> None:
    assert url_problem(url) is None


PATHS = [
    ("/api/health", None),
    ("/api/integrations/calendar", None),
    ("/%2F/evil", None),
    (
        "/\\evil.example/api",
        "a browser resolves it to the host evil.example, not to the deployment's",
    ),
    ("//evil", "a browser resolves it to the host evil, not to the deployment's"),
    ("/\\\\evil", "a browser resolves it to the host evil, not to the deployment's"),
    ("/\\/evil", "a browser resolves it to the host evil, not to the deployment's"),
    ("/\t/evil", "a browser resolves it to the host evil, not to the deployment's"),
    ("/\n/evil.example", "a browser resolves it to the host evil.example, not to the deployment's"),
    ("/api\\health", "it holds a backslash, which browsers read as '/'"),
]


@pytest.mark.parametrize(("path", "cause"), PATHS)
def test_a_path_must_stay_on_the_deployment_s_host(path: str, cause: str | None) -> None:
    assert path_problem(path) == cause


NODE = shutil.which("node")
_NODE_SCRIPT = """
const items = JSON.parse(require("fs").readFileSync(0, "utf8"));
console.log(JSON.stringify(items.map(([text, base]) => {
  try { return new URL(text, base || undefined).host; } catch { return null; }
})));
"""


def _node_hosts(items: list[tuple[str, str | None]]) -> list[str | None]:
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", _NODE_SCRIPT],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    hosts: list[str | None] = json.loads(done.stdout)
    return hosts


@pytest.mark.skipif(NODE is None, reason="node is not installed: new URL() cannot be asked")
def test_the_check_agrees_with_node_s_new_url() -> None:
    urls = [url for url, _ in REFUSED] + ACCEPTED
    paths = [path for path, _ in PATHS]
    base = "https://deployment.invalid/"
    hosts = _node_hosts([(url, None) for url in urls] + [(path, base) for path in paths])
    node_urls, node_paths = hosts[: len(urls)], hosts[len(urls) :]
    disagree = [
        url
        for url, host in zip(urls, node_urls, strict=True)
        if (url_problem(url) is None) != (host is not None and url not in STRICTER)
    ]
    assert disagree == []
    leaving = [
        path
        for path, host in zip(paths, node_paths, strict=True)
        if (host != "deployment.invalid") != (path_problem(path) not in (None, BACKSLASH))
    ]
    assert leaving == []


def test_the_plain_http_warning_reads_hosts_as_browsers_do() -> None:
    document = {
        "ui": {"remoteEntry": "http://[::1]:5173/r.js"},
        "server": {"deploymentUrl": "http://[::1"},
        "manifestUrl": "HTTP://cdn.dev/x.json",
    }
    assert insecure_urls(document) == ["http://[::1", "HTTP://cdn.dev/x.json"]


def test_every_entry_of_an_index_is_checked_though_most_share_a_checked_stem() -> None:
    stem = "https://raw.githubusercontent.com/org/plugin-registry/main/plugins"
    urls = [f"{stem}/a.json", f"{stem}/b.json", f"{stem}/c\\d.json", "https://x.dev:99999/p/e.json"]
    document = {"plugins": [{"manifestUrl": url} for url in urls]}
    assert [where for where, _ in browser_violations("registry", document)] == [
        ("plugins", 2, "manifestUrl"),
        ("plugins", 3, "manifestUrl"),
    ]


@pytest.mark.parametrize(
    ("branch", "ref"),
    [
        ("main", "main"),
        ("release/2024", "release/2024"),
        ("rel#1", "rel%231"),
        ("50%", "50%25"),
        ("a?b c", "a%3Fb%20c"),
        ("zürich", "z%C3%BCrich"),
    ],
)
def test_the_raw_url_percent_encodes_the_branch(branch: str, ref: str) -> None:
    url = raw_base_url("https://github.com", "org/plugin-registry", branch)
    assert url == f"https://raw.githubusercontent.com/org/plugin-registry/{ref}"
    assert url_problem(f"{url}/plugins/x.json") is None
