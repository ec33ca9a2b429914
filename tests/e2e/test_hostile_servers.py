"""Hostile servers and inputs: one clear line naming the culprit, never a crash, no leak.

The servers here are not GitHub: they are what sits in its place when ``api-url`` is wrong, a
captive proxy answers, a connection trickles, or a server echoes what it was sent.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from fake_github import FakeGitHub
from harness import READ_TOKEN, WRITE_TOKEN, Action, parse_outputs
from registry_action.cli import main
from registry_action.store.github.http import DeadlineAdapter
from strict_checks import assert_failed_cleanly

Handler = Callable[[BaseHTTPRequestHandler], None]
# The first request of a run: the branch is read first, in one GraphQL query.
REQUEST = "POST /graphql"


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(answer: Handler) -> str:
        class Server(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                answer(self)

            do_PUT = do_POST = do_DELETE = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Server)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _send(handler: BaseHTTPRequestHandler, status: int, kind: str, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _captive_page(handler: BaseHTTPRequestHandler) -> None:
    _send(
        handler, 200, "text/html; charset=utf-8", b"<html><body>Log in to the Wi-Fi</body></html>"
    )


def _truncated(handler: BaseHTTPRequestHandler) -> None:
    _send(handler, 200, "application/json; charset=utf-8", b'{"type": "file", "path": "plug')


def _deep(handler: BaseHTTPRequestHandler) -> None:
    _send(handler, 200, "application/json", b"[" * 5000 + b"]" * 5000)


@pytest.mark.parametrize(
    ("answer", "what"),
    [
        (_captive_page, "a text/html page"),
        (_truncated, "damaged JSON (Unterminated string starting at: line 1 column 26)"),
        (_deep, "damaged JSON (nesting deeper than 64 levels: line 1 column 65)"),
    ],
)
def test_a_200_answer_that_is_not_json_is_one_line(
    serve: Callable[[Handler], str], action: Action, answer: Handler, what: str
) -> None:
    url = serve(answer)
    run = action.run({"version": "1.2.3", "api-url": url, "registry-branch": "main"})
    host = urlsplit(url).netloc
    assert_failed_cleanly(
        run,
        f"::error title=GitHub refused the request::{host} answered {REQUEST} with 200 and "
        f"{what} instead of GitHub's JSON; check `api-url` (a proxy or a captive portal in the "
        "way?)",
    )


def test_a_trickling_body_is_cut_at_the_deadline(
    serve: Callable[[Handler], str],
    action: Action,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    def trickle(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        for _ in range(1000):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.2)

    monkeypatch.setattr(DeadlineAdapter, "answer_seconds", 1.5)
    url = serve(trickle)
    env = {**action.env, "INPUT_VERSION": "1.2.3", "INPUT_API-URL": url}
    env["INPUT_REGISTRY-BRANCH"] = "main"
    started = time.monotonic()
    status = main([], env)
    took = time.monotonic() - started
    errors = [line for line in capfd.readouterr().out.splitlines() if line.startswith("::error")]
    assert status == 1
    assert errors == [
        f"::error title=GitHub refused the request::the answer to {REQUEST} did not arrive "
        "within 1.5 s (the server sent it too slowly); check `api-url` and the network, then "
        "re-run"
    ]
    # Each read gets a byte in time: only a deadline for the whole body stops it.
    assert took < 10


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:99999", "Port out of range 0-65535"),
        ("http://[::1", "Invalid IPv6 URL"),
        ("https://api.github.com:port", "Port could not be cast to integer value as 'port'"),
    ],
)
def test_a_malformed_api_url_is_one_line_naming_it(
    github: FakeGitHub, action: Action, url: str, why: str
) -> None:
    run = action.run({"version": "1.2.3", "api-url": url})
    assert_failed_cleanly(
        run,
        "::error title=Invalid input::input `api-url` must be an http(s) URL such as "
        f"https://api.github.com, not {url!r} ({why})",
        github,
    )
    assert github.requests == []


def test_a_malformed_github_api_url_is_named(github: FakeGitHub, action: Action) -> None:
    run = action.run({"version": "1.2.3", "api-url": ""}, GITHUB_API_URL="https://[::1")
    assert_failed_cleanly(
        run,
        "::error title=Invalid input::GITHUB_API_URL must be an http(s) URL such as "
        "https://api.github.com, not 'https://[::1' (Invalid IPv6 URL)",
        github,
    )


PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretLineNumberOne0123456789\n"
    "dGhpcyBpcyB0aGUgc2Vjb25kIHNlY3JldCBsaW5l\n-----END RSA PRIVATE KEY-----\n"
)
HEADER_LINE = (
    "::error title=Invalid input::input `token` cannot be sent as an HTTP header: it holds a "
    "line break, a control character or a character outside printable ASCII (a GitHub token is "
    "one line of letters, digits and underscores; is this a private key or a file's content?)"
)


@pytest.mark.parametrize(
    "token", ["ghs_tōkenWithAMacron0123456789", "ghs_tab\tinside0123456789", PRIVATE_KEY]
)
def test_a_token_that_cannot_be_a_header_is_refused_without_a_request(
    github: FakeGitHub, action: Action, token: str
) -> None:
    run = action.run({"version": "1.2.3", "token": token})
    assert_failed_cleanly(run, HEADER_LINE, github)
    assert github.requests == []
    printed = [s for s in run.stdout.splitlines() if not s.startswith("::add-mask::")]
    for line in [token.strip(), *token.strip().splitlines()]:
        for text in (*printed, run.stderr, run.summary, *run.outputs.values()):
            assert line not in text


def _echo_proxy(target: str) -> Handler:
    """Forwards to ``target``; every error answer quotes the Authorization header it was sent."""

    def forward(handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(target)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        headers = {k: v for k, v in handler.headers.items() if k.lower() != "host"}
        upstream.request(handler.command, parts.path + handler.path, body, headers)
        answer = upstream.getresponse()
        # Links in the answers point at the proxy, as a server's own links point at itself.
        own = f"127.0.0.1:{handler.server.server_address[1]}"
        data = answer.read().replace(parts.netloc.encode(), own.encode())
        if answer.status >= 400:
            quoted = handler.headers.get("Authorization") or ""
            document = json.loads(data) if data else {}
            document["message"] = f"{document.get('message', '')} (you sent {quoted})"
            document["request"] = {"headers": dict(handler.headers.items())}
            data = json.dumps(document).encode()
        _send(handler, answer.status, "application/json; charset=utf-8", data)

    return forward


@pytest.mark.parametrize(
    ("token", "inputs", "echoed"),
    [
        ("ghs_unknownTokenEchoedBack0123456", {}, True),
        (READ_TOKEN, {}, True),
        (WRITE_TOKEN, {"registry-repository": "org/missing"}, False),
        (WRITE_TOKEN, {"registry-branch": "nope"}, False),
    ],
)
def test_a_token_echoed_in_every_error_body_is_never_shown(
    github: FakeGitHub,
    action: Action,
    serve: Callable[[Handler], str],
    token: str,
    inputs: dict[str, str],
    echoed: bool,
) -> None:
    proxy = serve(_echo_proxy(github.api_url))
    run = action.run({"version": "1.2.3", "token": token, "api-url": proxy, **inputs})
    assert run.status == 1
    assert len(run.errors) == 1, run.stdout
    # Where the server's message is shown, it is shown with the token scrubbed.
    assert echoed == ("(you sent token ***)" in run.errors[0]), run.errors
    printed = [s for s in run.stdout.splitlines() if not s.startswith("::add-mask::")]
    for text in (*printed, run.stderr, run.summary, *run.outputs.values()):
        assert token not in text
    assert "crashed" not in run.stdout


def test_a_debug_traceback_is_scrubbed_too(
    github: FakeGitHub, action: Action, serve: Callable[[Handler], str]
) -> None:
    token = "ghs_unknownTokenEchoedBack0123456"
    proxy = serve(_echo_proxy(github.api_url))
    run = action.run({"version": "1.2.3", "token": token, "api-url": proxy}, RUNNER_DEBUG="1")
    assert run.status == 1
    assert "Traceback (most recent call last):" in run.stderr
    # The error's line in the traceback quotes the server's answer, with the token scrubbed.
    assert "(you sent token ***)" in run.stderr
    printed = [s for s in run.stdout.splitlines() if not s.startswith("::add-mask::")]
    for text in (*printed, run.stderr, run.summary, *run.outputs.values()):
        assert token not in text


SUMMARY_FAILED = (
    "::error title=Cannot write the runner's files::cannot write the job summary to "
    "GITHUB_STEP_SUMMARY {summary}: Is a directory"
)
BAD_VERSION = (
    "::error title=Invalid input::input `version` '1.2' is not a semantic version "
    "(MAJOR.MINOR.PATCH such as 1.2.3, optionally with -prerelease or +build)"
)


@pytest.mark.parametrize(
    ("version", "errors"),
    [("1.2", [BAD_VERSION, SUMMARY_FAILED]), ("1.2.3", [SUMMARY_FAILED])],
    ids=["the error is still in the log", "after a good run"],
)
def test_an_unwritable_summary_is_one_line(
    github: FakeGitHub, action: Action, tmp_path: Path, version: str, errors: list[str]
) -> None:
    summary = tmp_path / "summary-folder"
    summary.mkdir()
    run = action.run({"version": version}, GITHUB_STEP_SUMMARY=str(summary))
    assert run.status == 1
    assert run.errors == [error.format(summary=summary) for error in errors]
    assert "Traceback" not in run.stderr and "crashed" not in run.stdout
    if version == "1.2":
        assert github.requests == []


def test_plain_http_to_another_host_is_warned_about(github: FakeGitHub, action: Action) -> None:
    # The name never resolves; a short deadline ends the retries soon.
    run = action.run({"version": "1.2.3", "api-url": "http://github.invalid", "timeout": "3"})
    assert run.status == 1
    warnings = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert warnings == [
        "::warning title=Token sent in clear::`api-url` http://github.invalid is plain http to "
        "github.invalid: the token travels in clear text and anyone on the way can read it; "
        "use https"
    ]
    local = action.run({"version": "1.2.3"})
    assert local.status == 0
    assert "::warning" not in local.stdout


def test_a_reason_phrase_cannot_start_a_workflow_command(action: Action) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def answer() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 503 Starting\r::warning title=x::injected\r\n"
                    b"Content-Length: 0\r\nConnection: close\r\n\r\n"
                )

    threading.Thread(target=answer, daemon=True).start()
    try:
        run = action.run(
            {
                "version": "1.2.3",
                "health-check": "true",
                "health-check-timeout": "1",
                "server-deployment-url": f"http://127.0.0.1:{port}",
                "registry-branch": "main",
            }
        )
    finally:
        listener.close()
    assert run.status == 1
    for line in run.stdout.replace("\r", "\n").splitlines():
        assert not line.lstrip().startswith("::warning"), run.stdout
    assert "answered 503 Starting\\r::warning title=x::injected" in run.stdout
    assert len(run.errors) == 1


def test_the_summary_stays_under_one_mebibyte(github: FakeGitHub, action: Action) -> None:
    big = "x" * (2 * 1024 * 1024)
    (action.workspace / "t.json").write_text(json.dumps({"description": big}))
    run = action.run({"version": "1.2.3", "manifest-template": "t.json", "dry-run": "true"})
    assert run.status == 0, run.stdout + run.stderr
    assert len(run.summary.encode()) < 1024 * 1024
    assert "long lines cut at 1000 characters; the log has the whole diff" in run.summary
    assert parse_outputs((action.files / "output").read_text())["changed"] == "true"
