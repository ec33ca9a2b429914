"""Why a request got no answer at all, in words a user can act on.

urllib3 reports a refused connection and a name that does not resolve as kinds of connect
timeout (``NewConnectionError`` and ``NameResolutionError`` derive from
``ConnectTimeoutError``), so they are told apart here before a timeout is assumed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout


def cause_of(exc: BaseException) -> BaseException | None:
    """The urllib3 error under a requests error (the reason of its MaxRetryError)."""
    inner = exc.args[0] if exc.args else None
    return getattr(inner, "reason", None) if isinstance(inner, BaseException) else None


def refused(error: BaseException | None) -> bool:
    """Whether ``error`` is a connection the host actively refused (nothing listens there)."""
    return (
        isinstance(error, NewConnectionError)
        and not isinstance(error, NameResolutionError)
        and isinstance(error.__cause__, ConnectionRefusedError)
    )


def why_unreachable(exc: Exception) -> str:
    """One clause: refused, name not found, timed out, or reset."""
    cause = cause_of(exc)
    request = getattr(exc, "request", None)
    host = urlsplit(getattr(request, "url", None) or "").netloc or "the API's host"
    if isinstance(cause, NameResolutionError):
        return f"the name {urlsplit(f'//{host}').hostname} was not found (DNS)"
    if refused(cause):
        return f"the connection to {host} was refused (nothing listens there)"
    if isinstance(cause, NewConnectionError):
        return f"no connection could be made to {host}"
    if isinstance(exc, requests.Timeout) or isinstance(cause, TimeoutError | Urllib3Timeout):
        return "GitHub did not answer in time"
    if isinstance(exc, requests.ConnectionError):
        return "the connection failed or was reset"
    return type(exc).__name__
