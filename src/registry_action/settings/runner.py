"""What the runner tells the program besides inputs: the GITHUB_* variables, and the API URL."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from registry_action.errors import InputError
from registry_action.settings.spelling import setting

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
_TUNING = {
    "retry_base_delay": "REGISTRY_ACTION_RETRY_BASE_DELAY",
    "transport_backoff": "REGISTRY_ACTION_TRANSPORT_BACKOFF",
    "secondary_wait": "REGISTRY_ACTION_SECONDARY_WAIT",
}


class Runner(BaseModel):
    """What the runner tells the program besides inputs (GITHUB_* variables)."""

    model_config = ConfigDict(frozen=True)

    repository: str | None = None
    server_url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    ref: str | None = None
    event_path: Path | None = None
    workspace: Path = Path()
    output: Path | None = None
    step_summary: Path | None = None
    # The workflow run's number (GITHUB_RUN_ID): commits name the run that made them.
    run_id: str | None = None
    # Seconds of the first conflict backoff (full jitter, doubling). Not an input: it exists so
    # that test suites and benchmarks can run many contending registrations quickly.
    retry_base_delay: float = Field(default=0.5, ge=0, le=60)
    # Seconds of the first transport backoff (5xx, resets, timeouts), for the same reason; None
    # keeps the client's own.
    transport_backoff: float | None = Field(default=None, ge=0, le=60)
    # Seconds of the shortest wait after a secondary rate limit that names no time (GitHub:
    # "at least one minute"). Not an input either: tests scale GitHub's windows down in time.
    secondary_wait: float = Field(default=60, ge=0, le=3600)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Runner:
        """Read the runner's variables; unset or empty ones take their defaults.

        A variable that cannot be used is one InputError line naming it.
        """

        def get(name: str) -> str | None:
            return env.get(name) or None

        values: dict[str, Any] = {
            "repository": get("GITHUB_REPOSITORY"),
            "server_url": get("GITHUB_SERVER_URL"),
            "api_url": get("GITHUB_API_URL"),
            "ref": get("GITHUB_REF"),
            "event_path": get("GITHUB_EVENT_PATH"),
            "workspace": get("GITHUB_WORKSPACE"),
            "output": get("GITHUB_OUTPUT"),
            "step_summary": get("GITHUB_STEP_SUMMARY"),
            "run_id": get("GITHUB_RUN_ID"),
            **{field: get(variable) for field, variable in _TUNING.items()},
        }
        try:
            return cls.model_validate({k: v for k, v in values.items() if v is not None})
        except ValidationError as exc:
            error = exc.errors()[0]
            field = str(error["loc"][0]) if error["loc"] else ""
            variable = _TUNING.get(field) or f"GITHUB_{field.upper()}"
            message = str(error["msg"]).removeprefix("Value error, ")
            message = message.replace("Input should be", "must be")
            raise InputError(f"{variable} {message}, not {error['input']!r}") from None

    @field_validator("run_id")
    @classmethod
    def _run_number(cls, value: str | None) -> str | None:
        # It goes into commit messages and URLs: the runner's digits, nothing else.
        if value is not None and not re.fullmatch(r"[0-9]+", value):
            raise ValueError("must be the workflow run's number")
        return value

    @property
    def run_url(self) -> str | None:
        """The web address of the workflow run, when the runner says which run this is."""
        if self.run_id is None or self.repository is None:
            return None
        return f"{self.server_url.rstrip('/')}/{self.repository}/actions/runs/{self.run_id}"

    @property
    def is_enterprise(self) -> bool:
        """GitHub Enterprise Server, known from a server URL other than github.com."""
        return is_enterprise(self.server_url)


GITHUB_COM = "https://github.com"


def is_enterprise(server_url: str) -> bool:
    """Whether ``server_url`` is a GitHub Enterprise Server's (not github.com)."""
    return server_url.rstrip("/").lower() not in (GITHUB_COM, "http://github.com")


def server_url(given: str | None, given_api: str | None, runner: Runner) -> str:
    """The GitHub server whose raw-file URLs dashboards use.

    The input ``given``; else the runner's GITHUB_SERVER_URL when it names an Enterprise
    Server; else the server of an Enterprise Server's ``given_api`` (its REST API is
    ``https://HOST/api/v3``, so the server is ``https://HOST``); else github.com. A workflow on
    an Enterprise Server knows its server; a terminal knows only the API it was given.
    """
    if given:
        return given.rstrip("/")
    if runner.is_enterprise:
        return runner.server_url.rstrip("/")
    parts = urlsplit(given_api or "")
    if parts.path.rstrip("/").lower() == "/api/v3" and parts.hostname:
        return f"{parts.scheme}://{parts.netloc}"
    return GITHUB_COM


def check_api_url(value: str, example: str = "such as https://api.github.com") -> None:
    """ValueError unless ``value`` is an http(s) URL with a host and a valid port."""
    if not re.match(r"^https?://[^\s/]+", value) or re.search(r"\s", value):
        raise ValueError(f"must be an http(s) URL {example}, not {value!r}")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (reading it checks the port)
    except ValueError as exc:
        raise ValueError(f"must be an http(s) URL {example}, not {value!r} ({exc})") from None
    if not parts.hostname:
        raise ValueError(f"must be an http(s) URL {example}, not {value!r} (no host)")


def insecure_api_url(value: str) -> str | None:
    """A warning when the token would travel in clear: plain http to a host not this one."""
    parts = urlsplit(value)
    if parts.scheme.lower() != "http" or parts.hostname in LOCAL_HOSTS:
        return None
    return (
        f"{setting('api-url')} {value} is plain http to {parts.hostname}: the token travels in "
        "clear text and anyone on the way can read it; use https"
    )


def api_url(given: str | None, runner: Runner) -> str:
    """The API to talk to: the input ``given``, else the runner's GITHUB_API_URL (checked here)."""
    if given:
        return given
    try:
        check_api_url(runner.api_url)
    except ValueError as exc:
        raise InputError(f"GITHUB_API_URL {exc}") from None
    return runner.api_url
