"""The HTTP transport under PyGithub: a deadline for each answer's body, and JSON or nothing.

requests applies its timeout to each read, so a server that sends one byte every few seconds
holds a run for as long as it likes; here a whole body must arrive within a deadline. PyGithub
takes any 200 answer that is not JSON (a captive proxy's login page) for a document, and
crashes on truncated or absurdly nested JSON; here such an answer is one clear error.
"""

from __future__ import annotations

import json
import socket
import threading
from contextlib import suppress
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass, Requester

from registry_action.core import strictjson
from registry_action.errors import GitHubError
from registry_action.settings.spelling import setting
from registry_action.store.github.moves import REDIRECTS, other_host

# GitHub sends even a 100 MB blob in a few seconds; a body still arriving after this is stuck.
BODY_DEADLINE_SECONDS = 60.0


class DeadlineAdapter(requests.adapters.HTTPAdapter):
    """An HTTPAdapter that reads each body within a deadline and checks JSON answers."""

    body_deadline: float = BODY_DEADLINE_SECONDS

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        kwargs["stream"] = True
        response = super().send(request, *args, **kwargs)
        _refuse_other_host(request, response)
        _read_within(response, self.body_deadline)
        _check_json(request, response)
        return response


def _where(request: requests.PreparedRequest) -> str:
    path = urlsplit(request.url or "").path
    return f"{request.method} {path}"


def _refuse_other_host(request: requests.PreparedRequest, response: requests.Response) -> None:
    """Stop at a redirect away from the API's host: the token is never sent anywhere else."""
    location = response.headers.get("Location")
    if response.status_code not in REDIRECTS or not location:
        return
    here = urlsplit(request.url or "")
    there = urlsplit(urljoin(request.url or "", location))
    if (there.scheme, there.netloc) != (here.scheme, here.netloc):
        response.close()
        raise other_host(f"{here.scheme}://{here.netloc}", there.geturl())


def _read_within(response: requests.Response, seconds: float) -> None:
    """Read the whole body, cutting the connection when ``seconds`` pass first."""
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()
    try:
        _ = response.content
    except (requests.RequestException, OSError):
        if not expired.is_set():
            raise
    finally:
        timer.cancel()
    if expired.is_set():
        response.close()
        raise GitHubError(
            f"the answer to {_where(response.request)} did not arrive within {seconds:g} s "
            f"(the server sent it too slowly); check {setting('api-url')} and the network, then "
            "re-run"
        )


def _wants_json(request: requests.PreparedRequest) -> bool:
    # PyGithub asks for no media type (requests then sends */*) unless it wants raw bytes.
    accept = request.headers.get("Accept") or "*/*"
    return "json" in accept or "*/*" in accept


def _check_json(request: requests.PreparedRequest, response: requests.Response) -> None:
    body = response.content or b""
    head = body.lstrip()[:1]
    ok = 200 <= response.status_code < 300
    if not body.strip() or not (head in (b"{", b"[") or (ok and _wants_json(request))):
        return
    try:
        strictjson.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise GitHubError(
            f"{urlsplit(request.url or '').netloc} answered {_where(request)} with "
            f"{response.status_code} and {_what(response, head, exc)} instead of GitHub's JSON; "
            f"check {setting('api-url')} (a proxy or a captive portal in the way?)"
        ) from None


def _what(response: requests.Response, head: bytes, exc: Exception) -> str:
    kind = (response.headers.get("Content-Type") or "").split(";")[0].strip()
    if head not in (b"{", b"["):
        return f"a {kind} page" if kind else "something else"
    if isinstance(exc, json.JSONDecodeError):
        return f"damaged JSON ({exc.msg}: line {exc.lineno} column {exc.colno})"
    return "damaged JSON (a key appears twice)"


def _mount(connection: Any, scheme: str) -> None:
    connection.adapter = DeadlineAdapter(
        max_retries=connection.retry,
        pool_connections=connection.pool_size,
        pool_maxsize=connection.pool_size,
    )
    connection.session.mount(f"{scheme}://", connection.adapter)


class _HTTPS(HTTPSRequestsConnectionClass):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _mount(self, "https")


class _HTTP(HTTPRequestsConnectionClass):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _mount(self, "http")


def install() -> None:
    """Make every PyGithub client created from now on use this transport."""
    Requester.injectConnectionClasses(_HTTP, _HTTPS)
    # Injecting also turns off PyGithub's reuse of its connection (meant for its own tests),
    # which would cost a new connection, and TLS handshake, per request.
    setattr(Requester, "_Requester__persist", True)  # noqa: B010
