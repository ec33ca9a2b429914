"""Answers that are not GitHub's, each refused in one line naming the request and what came back.

GitHub answers every REST request this program makes with a JSON object or array, follows its
redirects to another address, and answers 304 only to a conditional request (this program
makes none). A proxy, a cache or a wrong ``api-url`` answers otherwise: a captive portal's page,
damaged JSON, ``null``, no body at all, or a redirect back to the same address. PyGithub would
take those for documents and fail later, far from the cause. Part of the store layer; the
transport (http.py) calls these checks on every answer.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from registry_action.core import strictjson
from registry_action.core.escaping import printable
from registry_action.errors import GitHubError
from registry_action.settings.spelling import setting
from registry_action.store.github.moves import REDIRECTS, other_host

# Redirects in a row before the chain counts as a loop: a moved repository takes one (two when
# it moved twice); the lookup of moves.py follows at most three.
MOST_REDIRECTS = 5
# A git object id: SHA-1, or SHA-256 in a repository that uses it.
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def where(request: requests.PreparedRequest) -> str:
    """The request as messages name it: ``GET /repos/org/plugin-registry/contents/x.json``."""
    return f"{request.method} {urlsplit(request.url or '').path}"


def odd_answer(request: requests.PreparedRequest, what: str) -> GitHubError:
    """The error for an answer GitHub would not give: ``what`` says what came back."""
    return odd_document(request.url or "", where(request), what)


def odd_document(url: str, where: str, what: str) -> GitHubError:
    """The error for a document GitHub would not send, from the host of ``url``."""
    return GitHubError(
        f"{urlsplit(url).netloc} answered {where} with {what}; "
        f"check {setting('api-url')} (a proxy or a captive portal in the way?)"
    )


def file_document(document: Any, odd: Callable[[str], GitHubError]) -> tuple[str, str | None]:
    """The sha and base64 content (None above 1 MB) of a Contents API answer for a file.

    GitHub answers a path that is a symbolic link to no file of the repository, or a
    submodule, with a document of that ``type`` instead of a file's.
    """
    kind = document.get("type") if isinstance(document, dict) else None
    sha = document.get("sha") if isinstance(document, dict) else None
    if kind != "file":
        raise odd(f"a {printable(str(kind))}, not a file" if isinstance(kind, str) else "no file")
    if not isinstance(sha, str) or not _SHA.fullmatch(sha):
        raise odd("a file without the sha of its content")
    if not isinstance(document.get("url"), str):
        raise odd("a file without its url")
    content = document.get("content")
    if document.get("encoding") != "base64" or not isinstance(content, str) or not content:
        return sha, None
    return sha, content


def decoded(content: str, odd: Callable[[str], GitHubError]) -> bytes:
    """Base64 as GitHub sends it (lines of 60 characters), strictly: no character dropped."""
    try:
        return base64.b64decode(content.replace("\n", ""), validate=True)
    except binascii.Error as exc:
        raise odd(f"a file whose content is not base64 ({exc})") from None


def check_redirect(
    request: requests.PreparedRequest, response: requests.Response, in_a_row: int
) -> None:
    """Refuse a redirect to another host, back to the same address, or one too many."""
    location = response.headers.get("Location")
    if response.status_code not in REDIRECTS or not location:
        return
    here = urlsplit(request.url or "")
    there = urlsplit(urljoin(request.url or "", location))
    if (there.scheme, there.netloc) != (here.scheme, here.netloc):
        response.close()
        raise other_host(f"{here.scheme}://{here.netloc}", there.geturl())
    # PyGithub follows a 301 by its path alone: the same path is the same request again.
    if there.path == here.path:
        response.close()
        raise odd_answer(request, f"{response.status_code} and a redirect back to itself (a loop)")
    if in_a_row > MOST_REDIRECTS:
        response.close()
        raise odd_answer(
            request,
            f"{response.status_code} and a redirect, the {in_a_row}th in a row (a loop)",
        )


def check_json(request: requests.PreparedRequest, response: requests.Response) -> None:
    """Refuse an answer that should be GitHub's JSON and is something else."""
    body = response.content or b""
    status = response.status_code
    head = body.lstrip()[:1]
    # PyGithub asks for no media type (requests then sends */*) unless it wants raw bytes.
    accept = request.headers.get("Accept") or "*/*"
    wants_json = "json" in accept or "*/*" in accept
    ok = 200 <= status < 300
    if status == 304 and not _conditional(request):
        raise odd_answer(request, "304 (not modified) though it was asked for no cached copy")
    if not body.strip():
        if ok and wants_json and request.method == "GET":
            raise odd_answer(request, f"{status} and no body instead of GitHub's JSON")
        return
    if not (head in (b"{", b"[") or (ok and wants_json)):
        return
    try:
        document = strictjson.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        thing = _what(response, head, exc)
        raise odd_answer(request, f"{status} and {thing} instead of GitHub's JSON") from None
    if ok and not isinstance(document, dict | list):
        raise odd_answer(request, f"{status} and {_scalar(document)} instead of GitHub's JSON")


def _conditional(request: requests.PreparedRequest) -> bool:
    return any(name in request.headers for name in ("If-None-Match", "If-Modified-Since"))


def _what(response: requests.Response, head: bytes, exc: Exception) -> str:
    kind = (response.headers.get("Content-Type") or "").split(";")[0].strip()
    if head not in (b"{", b"["):
        return f"a {kind} page" if kind else "something else"
    if isinstance(exc, json.JSONDecodeError):
        return f"damaged JSON ({exc.msg}: line {exc.lineno} column {exc.colno})"
    return "damaged JSON (a key appears twice)"


def _scalar(document: Any) -> str:
    if document is None:
        return "JSON null"
    if isinstance(document, bool):
        return f"JSON {str(document).lower()}"
    return "a JSON string" if isinstance(document, str) else "a JSON number"
