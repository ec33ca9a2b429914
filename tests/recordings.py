"""GitHub's own recordings and API description, for contract tests.

``@octokit/fixtures`` holds real api.github.com exchanges (normalized: ids and shas replaced by
counters), ``@octokit/openapi`` GitHub's OpenAPI description, ``@octokit/graphql-schema`` the
schema of GitHub's GraphQL API. ``bash .ci/run`` installs both,
pinned, with ``npm ci --prefix .ci/recordings`` and sets ``REGISTRY_ACTION_RECORDINGS=required``:
then a missing package fails the tests instead of skipping them.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft4Validator

ROOT = Path(__file__).resolve().parent.parent
MODULES = Path(
    os.environ.get("REGISTRY_ACTION_NODE_MODULES", ROOT / ".ci" / "recordings" / "node_modules")
)
FIXTURES = MODULES / "@octokit" / "fixtures" / "scenarios" / "api.github.com"
OPENAPI = MODULES / "@octokit" / "openapi" / "generated" / "api.github.com.deref.json"
GRAPHQL_SCHEMA = MODULES / "@octokit" / "graphql-schema" / "schema.graphql"
RECORDED_HOST = "https://api.github.com"


def require(path: Path) -> Path:
    """``path``, or skip the test (fail it when ``.ci/run`` asked for the recordings)."""
    if path.exists():
        return path
    reason = f"{path} is missing: run `npm ci --prefix .ci/recordings --ignore-scripts`"
    if os.environ.get("REGISTRY_ACTION_RECORDINGS") == "required":
        pytest.fail(reason)
    pytest.skip(reason)


def scenario(name: str) -> list[dict[str, Any]]:
    """The recorded exchanges of one scenario, in order."""
    data = json.loads((require(FIXTURES) / name / "normalized-fixture.json").read_text())
    return data if isinstance(data, list) else [data]


@dataclass
class Sent:
    """A request the replay received."""

    method: str
    path: str
    body: bytes


@dataclass
class Replay:
    """An HTTP server answering each request with the next recorded response for it.

    Exchanges are matched by method and path (without the query). Location headers are
    pointed at the replay, as a reverse proxy does; bodies are served as recorded, so the
    URLs inside them still name api.github.com. A request with no recorded answer gets 501
    and is listed in ``unanswered``.
    """

    exchanges: list[dict[str, Any]]
    sent: list[Sent] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                replay.sent.append(Sent(self.command, self.path, body))
                status, headers, payload = replay.answer(self.command, self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, method: str, target: str) -> tuple[int, dict[str, str], bytes]:
        path = urlsplit(target).path
        for index, exchange in enumerate(self.exchanges):
            if exchange["method"].upper() == method and exchange["path"].split("?")[0] == path:
                del self.exchanges[index]
                return self._response(exchange)
        self.unanswered.append(f"{method} {target}")
        return 501, {"content-type": "application/json"}, b'{"message": "not recorded"}'

    def _response(self, exchange: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        headers = {
            k: str(v).replace(RECORDED_HOST, self.url) if k.lower() == "location" else str(v)
            for k, v in (exchange.get("headers") or {}).items()
            if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")
        }
        response = exchange.get("response")
        payload = (
            response.encode()
            if isinstance(response, str)
            else (json.dumps(response).encode() if response is not None else b"")
        )
        return int(exchange["status"]), headers, payload

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@cache
def _paths() -> dict[str, Any]:
    spec = json.loads(require(OPENAPI).read_bytes())
    paths: dict[str, Any] = spec["paths"]
    return paths


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join(
        ("[^/]+" if part in ("{owner}", "{repo}") else ".+")
        if part.startswith("{")
        else re.escape(part)
        for part in parts
    )
    return re.compile(regex)


def request_schema(method: str, path: str) -> tuple[str, dict[str, Any] | None]:
    """The OpenAPI path template a request matches and its JSON request body's schema."""
    matches = [
        (len(re.sub(r"\{[^}]+\}", "", template)), template, item[method.lower()])
        for template, item in _paths().items()
        if method.lower() in item and _pattern(template).fullmatch(path)
    ]
    if not matches:
        raise AssertionError(f"{method} {path} is no operation of GitHub's REST API")
    _, template, operation = max(matches, key=lambda match: match[0])
    content = (operation.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema")
    return template, schema


def as_json_schema(schema: Any, *, closed: bool) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema; ``closed`` refuses properties it does not declare."""
    if isinstance(schema, list):
        return [as_json_schema(item, closed=closed) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {
        key: as_json_schema(value, closed=closed)
        for key, value in schema.items()
        if key != "nullable"
    }
    if schema.get("nullable") and "type" in schema:
        converted["type"] = [schema["type"], "null"]
    if closed and "properties" in schema and "additionalProperties" not in schema:
        converted["additionalProperties"] = False
    return converted


def body_problems(method: str, path: str, body: bytes) -> list[str]:
    """What is wrong with a request body by GitHub's OpenAPI description (empty if nothing)."""
    if not body:
        return []
    template, schema = request_schema(method, urlsplit(path).path)
    if schema is None:
        return [f"{method} {template} takes no JSON body"]
    document = json.loads(body)
    return [
        f"{method} {template}: {error.message}"
        for error in Draft4Validator(as_json_schema(schema, closed=True)).iter_errors(document)
    ]


def response_problems(method: str, path: str, status: int, document: Any) -> list[str]:
    """What in an answer disagrees with GitHub's OpenAPI response schema (empty if nothing)."""
    template, _ = request_schema(method, path)
    operation = _paths()[template][method.lower()]
    content = (operation["responses"].get(str(status)) or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema")
    if schema is None:
        return [f"{method} {template} documents no JSON answer for {status}"]
    loose = as_json_schema(schema, closed=False)  # answers carry more than it lists
    return [
        f"{method} {template} {status}: {error.message}"
        for error in Draft4Validator(loose).iter_errors(document)
    ]
