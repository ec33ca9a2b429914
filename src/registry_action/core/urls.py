"""URLs as browsers parse them: the WHATWG URL Standard, what ``new URL()`` accepts. Pure.

The schemas give a URL's shape; a dashboard's browser decides what it fetches. Whether a URL
parses is decided by ada, the parser Node.js runs (its Python binding); the rest of this
module only names the cause of a refusal in words a user can act on. A URL that parses but
is not what a reader sees (a backslash, which browsers read as ``/``) is refused too, and so is
a path that a browser would resolve to another host.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

from ada_url import URL, check_url, idna_to_ascii, join_url

from registry_action.core.models import is_absolute_path, is_http_url

MAX_PORT = 65535
# Any host serves: only whether a path, resolved against it, keeps it matters.
_BASE = "https://deployment.invalid/"
_AUTHORITY_END = re.compile(r"[/?#\\]")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2}).{0,2}", re.DOTALL)
# The WHATWG URL Standard's forbidden domain code points, but for the C0 controls and DEL.
_FORBIDDEN_IN_HOST = frozenset(" #%/:<>?@[\\]^|")
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
_PATH_SLASHES = 3  # "https://host/path": the stem before the last "/" holds a path
_NUMBER = re.compile(r"(?:0[xX][0-9A-Fa-f]*|[0-9]+)")


def url_problem(url: str) -> str | None:
    """Why browsers refuse ``url`` or read it otherwise than it is written; None if fine."""
    if "\\" in url:
        return "it holds a backslash, which browsers read as '/'"
    if url.isascii() and "%" not in url and "xn--" not in url.lower() and check_url(url):
        return None  # no label can be punycode: the common case, at half the cost
    try:
        hostname = URL(url).hostname
    except ValueError:
        return _why_refused(url)
    return _punycode_problem(hostname)


def host_of(url: str) -> str | None:
    """The host name browsers read in ``url`` (an IPv6 address in brackets); None if none."""
    try:
        return URL(url).hostname or None
    except ValueError:
        return None


def path_problem(path: str) -> str | None:
    """Why a browser, resolving ``path`` against a deployment's URL, would leave its host."""
    try:
        host = URL(join_url(_BASE, path)).host
    except ValueError:
        return "browsers' URL parser refuses it"
    if host != URL(_BASE).host:
        return f"a browser resolves it to the host {host}, not to the deployment's"
    if "\\" in path:
        return "it holds a backslash, which browsers read as '/'"
    return None


# Where a manifest holds URLs and paths a browser reads: the schemas check their shape only.
_MANIFEST_URLS = (("ui", "remoteEntry"), ("server", "deploymentUrl"), ("manifestUrl",))
_MANIFEST_PATHS = (("server", "routeBase"), ("server", "healthCheck"))
Where = tuple[str | int, ...]


def browser_violations(kind: str, document: object) -> list[tuple[Where, str]]:
    """URLs browsers refuse, and paths they would resolve to another host, as (where, message).

    ``kind`` is ``registry`` or ``manifest``. Only values of the schema's shape are looked at:
    the schema reports the others.
    """
    if not isinstance(document, dict):
        return []
    urls: list[tuple[Where, object]] = []
    paths: list[tuple[Where, object]] = []
    if kind == "registry":
        plugins = document.get("plugins")
        entries = enumerate(plugins) if isinstance(plugins, list) else iter(())
        urls = [
            (("plugins", i, "manifestUrl"), e.get("manifestUrl"))
            for i, e in entries
            if isinstance(e, dict)
        ]
    else:
        urls = [(where, _value(document, where)) for where in _MANIFEST_URLS]
        paths = [(where, _value(document, where)) for where in _MANIFEST_PATHS]
    found = [
        (where, f"{value!r} is not a URL browsers accept as written: {problem}")
        for where, value, problem in _url_problems(urls)
    ]
    return found + [
        (where, f"{value!r} is not a path browsers keep on the deployment's host: {problem}")
        for where, value in paths
        if isinstance(value, str) and is_absolute_path(value) and (problem := path_problem(value))
    ]


def _url_problems(urls: list[tuple[Where, object]]) -> Iterator[tuple[Where, str, str]]:
    """Each URL's problem, with the URL; a URL that only adds a plain last segment to a checked
    one is not parsed again (``.../plugins/<id>.json`` in a large index: every entry)."""
    accepted: set[str] = set()
    for where, value in urls:
        if not isinstance(value, str):
            continue
        stem, _, last = value.rpartition("/")
        # A segment of unreserved characters after a path's "/" can neither fail a parse nor
        # reach the host.
        plain = stem.count("/") >= _PATH_SLASHES and _PLAIN_SEGMENT.fullmatch(last) is not None
        if (plain and stem in accepted) or not is_http_url(value):
            continue
        problem = url_problem(value)
        if problem is not None:
            yield where, value, problem
        elif plain:
            accepted.add(stem)


def _value(document: dict[str, object], where: Where) -> object:
    section = document.get(str(where[0])) if len(where) > 1 else document
    return section.get(str(where[-1])) if isinstance(section, dict) else None


def _why_refused(url: str) -> str:
    """The first cause, in the authority, of browsers refusing an http(s) URL."""
    rest = url.partition("://")[2]
    authority = _AUTHORITY_END.split(rest, maxsplit=1)[0].rpartition("@")[2]
    if authority.startswith("["):
        host, closed, after = authority.partition("]")
        if not closed:
            return f"the IPv6 address {authority!r} has no closing ']'"
        host += closed
        if not _parses(f"http://{host}/"):
            return f"{host} is not an IPv6 address"
        if after and not after.startswith(":"):
            return f"{after!r} follows the IPv6 address where only ':' and a port may"
        port = after[1:] if after else None
    else:
        host, colon, port = authority.rpartition(":")
        if not colon:
            host, port = authority, None
        problem = _host_problem(host)
        if problem is not None:
            return problem
    return _port_problem(port) or "browsers' URL parser (new URL()) refuses it"


def _host_problem(host: str) -> str | None:
    if not host:
        return "it has no host"
    escape = _BAD_ESCAPE.search(host)
    if escape is not None:
        return f"{escape.group(0)!r} in the host is not a percent-escape (% and two hex digits)"
    decoded = unquote(host)
    for text, forbidden, how in (
        (host, _FORBIDDEN_IN_HOST - {"%"}, ""),
        (decoded, _FORBIDDEN_IN_HOST, " once decoded"),
    ):
        found = next((c for c in text if c in forbidden or not c.isprintable()), None)
        if found is not None:
            return f"the host holds {found!r}{how}, which browsers refuse in a host name"
    last = decoded.rstrip(".").rpartition(".")[2]
    if _NUMBER.fullmatch(last):
        return f"the host {host} ends in a number but is not an IPv4 address"
    return None


def _port_problem(port: str | None) -> str | None:
    if not port:
        return None  # "https://host:/" is the default port
    if not (port.isascii() and port.isdigit()):
        return f"the port {port!r} is not a number"
    if int(port) > MAX_PORT:
        return f"the port {int(port)} is above {MAX_PORT}"
    return None


def _punycode_problem(hostname: str) -> str | None:
    """Node 20 refuses an ``xn--`` label that is not punycode of a name (newer ada takes it)."""
    for label in hostname.split("."):
        if not label.startswith("xn--"):
            continue
        try:
            name = label[4:].encode("ascii").decode("punycode")
        except (UnicodeError, ValueError):
            name = ""
        if not name or not idna_to_ascii(name):
            return f"the host label {label!r} is not punycode of a name (browsers refuse it)"
    return None


def _parses(url: str) -> bool:
    try:
        URL(url)
    except ValueError:
        return False
    return True
