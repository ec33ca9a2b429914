"""Fetching remote entries (engine/remote.py) from hosts served on 127.0.0.1."""

from __future__ import annotations

import base64
import gzip
import hashlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry_action.engine import remote
from registry_action.engine.remote import MAX_BYTES, fetch, fetch_all, matches, sri
from registry_action.store.interface import Deadline
from remote_hosts import RemoteHosts, certificate

ENTRY = b'globalThis["calendar"] = { init() {}, get() {} };\n'


@pytest.fixture
def hosts() -> Iterator[RemoteHosts]:
    with RemoteHosts() as running:
        yield running


def test_sri_is_the_base64_sha384_browsers_check() -> None:
    expected = base64.b64encode(hashlib.sha384(ENTRY).digest()).decode()
    assert sri(ENTRY) == f"sha384-{expected}"
    assert matches(sri(ENTRY), ENTRY)
    assert matches(sri(ENTRY, "sha512"), ENTRY)
    assert not matches(sri(ENTRY), ENTRY + b" ")
    assert not matches("md5-1B2M2Y8AsgTpgAmY7PhCfg==", ENTRY)


def test_a_served_remote_entry_is_fetched_without_credentials(hosts: RemoteHosts) -> None:
    url = hosts.serve("/assets/remoteEntry.js", ENTRY)
    fetched = fetch(url, 5)
    assert (fetched.body, fetched.reason) == (ENTRY, "")
    headers = {k.lower(): v for k, v in hosts.seen[0].headers.items()}
    assert "authorization" not in headers and "cookie" not in headers
    assert headers["cache-control"] == "no-cache"  # the origin's file, not a cached copy


def test_a_gone_remote_entry_says_what_it_answered(hosts: RemoteHosts) -> None:
    fetched = fetch(hosts.url("/assets/remoteEntry.js"), 5)
    assert (fetched.body, fetched.reason) == (None, "answered 404 Not Found")


def test_a_slow_answer_is_given_up_at_the_budget(hosts: RemoteHosts) -> None:
    url = hosts.serve("/slow.js", ENTRY, delay=3)
    started = time.monotonic()
    fetched = fetch(url, 0.5)
    assert time.monotonic() - started < 1.5
    assert (fetched.body, fetched.reason) == (None, "did not answer in full within 0.5s")


def test_a_trickled_body_cannot_hold_the_fetch_past_its_budget(hosts: RemoteHosts) -> None:
    # Each byte comes well within any per-read timeout; only the whole budget stops it.
    url = hosts.serve("/trickle.js", ENTRY, trickle=0.1)
    started = time.monotonic()
    fetched = fetch(url, 1)
    assert time.monotonic() - started < 1.6
    assert (fetched.body, fetched.reason) == (None, "did not answer in full within 1s")


def test_a_huge_answer_is_cut_at_the_limit(hosts: RemoteHosts) -> None:
    url = hosts.serve("/huge.js", size=MAX_BYTES + 1)
    fetched = fetch(url, 10)
    assert (fetched.body, fetched.reason) == (None, "sent more than 10 MB")
    exact = hosts.serve("/exact.js", size=MAX_BYTES)
    body = fetch(exact, 10).body
    assert body is not None and len(body) == MAX_BYTES


def test_a_compressed_answer_is_bounded_after_decompression(hosts: RemoteHosts) -> None:
    bomb = gzip.compress(b"\0" * (MAX_BYTES + 1))
    assert len(bomb) < 100_000
    url = hosts.serve("/bomb.js", bomb, headers={"Content-Encoding": "gzip"})
    assert fetch(url, 10).reason == "sent more than 10 MB"
    small = hosts.serve("/small.js", gzip.compress(ENTRY), headers={"Content-Encoding": "gzip"})
    assert fetch(small, 5).body == ENTRY  # browsers hash what they decoded
    odd = hosts.serve("/br.js", b"\x1b", headers={"Content-Encoding": "br"})
    assert fetch(odd, 5).reason == "answered in the encoding 'br', which was not asked for"


def test_redirects_are_followed_to_http_only(hosts: RemoteHosts) -> None:
    final = hosts.serve("/v2/remoteEntry.js", ENTRY)
    moved = hosts.serve("/remoteEntry.js", location=final)
    assert fetch(moved, 5).body == ENTRY
    for target in ("file:///etc/passwd", "ftp://127.0.0.1/remoteEntry.js", "data:,x"):
        away = hosts.serve("/away.js", location=target)
        fetched = fetch(away, 5)
        assert (fetched.body, fetched.reason) == (
            None,
            f"redirected to {target}, which is not http(s)",
        )
    hosts.serve("/loop.js", location=hosts.url("/loop.js"))
    looping = fetch(hosts.url("/loop.js"), 5)
    assert looping.reason == "was redirected more than 5 times, or without a Location"
    assert hosts.requested().count("/loop.js") <= 6


def test_an_unreachable_host_is_one_reason() -> None:
    fetched = fetch("http://127.0.0.1:9/remoteEntry.js", 2)
    assert fetched.reason == "could not be reached (connection refused)"


def test_many_are_fetched_a_few_at_a_time_within_the_deadline(hosts: RemoteHosts) -> None:
    urls = [hosts.serve(f"/p{i}/remoteEntry.js", ENTRY, delay=0.2) for i in range(16)]
    started = time.monotonic()
    fetched = fetch_all([*urls, urls[0]], Deadline(30))
    elapsed = time.monotonic() - started
    assert list(fetched) == urls  # each distinct URL once, in order
    assert all(item.body == ENTRY for item in fetched.values())
    assert len(hosts.seen) == 16
    assert 0.35 < elapsed < 2  # 8 at a time: two rounds of 0.2 s, not sixteen


def test_nothing_is_fetched_once_the_deadline_has_passed(hosts: RemoteHosts) -> None:
    url = hosts.serve("/remoteEntry.js", ENTRY)
    fetched = fetch_all([url], Deadline(1, clock=lambda: 5.0, started=0.0))
    assert fetched[url].late and fetched[url].body is None
    assert hosts.seen == []


@pytest.fixture
def tls_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[RemoteHosts, Path]]:
    """A host serving HTTPS with a certificate no system trusts, and that certificate. The
    program's TLS context (made once a run, from the system's trust store) is made afresh."""
    cert, key = certificate(tmp_path)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    remote._tls.cache_clear()
    with RemoteHosts(tls=(cert, key)) as running:
        yield running, cert
    remote._tls.cache_clear()


def test_an_https_remote_entry_is_fetched_when_its_certificate_is_trusted(
    tls_host: tuple[RemoteHosts, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    hosts, cert = tls_host
    url = hosts.serve("/assets/remoteEntry.js", ENTRY)
    assert url.startswith("https://")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # OpenSSL's own way to name a trust store
    fetched = fetch(url, 5)
    assert (fetched.body, fetched.reason) == (ENTRY, "")
    assert hosts.requested() == ["/assets/remoteEntry.js"]


def test_an_https_host_whose_certificate_is_not_trusted_is_refused(
    tls_host: tuple[RemoteHosts, Path],
) -> None:
    hosts, _ = tls_host
    fetched = fetch(hosts.serve("/assets/remoteEntry.js", ENTRY), 5)
    assert fetched.body is None
    assert fetched.reason.startswith("could not be reached securely (CERTIFICATE_VERIFY_FAILED")
    assert hosts.requested() == []  # nothing was asked of a host not known to be it


def test_a_tls_handshake_that_never_comes_is_given_up_at_the_budget() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        started = time.monotonic()
        fetched = fetch(f"https://127.0.0.1:{port}/remoteEntry.js", 0.5)
        assert time.monotonic() - started < 1.5
    assert (fetched.body, fetched.reason) == (None, "did not answer in full within 0.5s")
