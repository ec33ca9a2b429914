"""The action's inputs and the runner's context, as one validated settings model.

A Docker action receives each input as ``INPUT_<NAME>`` with the name upper-cased and its
hyphens kept (``INPUT_REGISTRY-REPOSITORY``); the underscore form is accepted too. An input set
to an empty string counts as not given, because the runner passes every declared input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from registry_action.errors import InputError

Command = Literal["register", "unregister", "validate", "reindex"]
COMMANDS: tuple[str, ...] = ("register", "unregister", "validate", "reindex")
_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+$")
_HEADER_SAFE = re.compile(r"[!-~]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
# Inputs whose surrounding white space matters; every other input is stripped.
_VERBATIM = {"commit_message", "description"}


def input_name(field: str) -> str:
    """The kebab-case input name of a field: ``registry_branch`` -> ``registry-branch``."""
    return field.replace("_", "-")


class Inputs(BaseModel):
    """Every input of the action (and flag of the CLI), validated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    command: Command = "register"
    token: SecretStr | None = None
    registry_repository: str | None = None
    registry_branch: str | None = None
    registry_dir: Path | None = None  # CLI only: a registry folder instead of GitHub
    plugin_id: str | None = None
    plugin_name: str | None = None
    version: str | None = None
    version_file: str = "package.json"
    description: str | None = None
    ui_remote_entry: str = "https://{id}-ui.pages.dev/assets/remoteEntry.js"
    ui_expose: str = "./PluginApp"
    server_route_base: str = "/api/integrations/{id}"
    server_deployment_url: str = "https://{id}.fly.dev"
    server_health_check: str = "/api/health"
    manifest_template: str | None = None
    manifest_base_url: str | None = None
    subdomain_isolation: bool = True
    commit_message: str | None = None
    dry_run: bool = False
    allow_downgrade: bool = False
    api_url: str | None = None
    timeout: float = Field(default=600, gt=0, le=21600)
    max_attempts: int | None = Field(default=None, ge=1)
    pull_request: bool = False
    health_check: bool = False
    health_check_timeout: float = Field(default=120, ge=0, le=3600)
    committer_name: str | None = None
    committer_email: str | None = None

    @field_validator("registry_repository")
    @classmethod
    def _owner_and_name(cls, value: str | None) -> str | None:
        if value is not None and not _REPOSITORY.fullmatch(value):
            raise ValueError(f"must be owner/name, such as org/plugin-registry, not {value!r}")
        return value

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None:
            check_api_url(value)
        return value

    @field_validator("token")
    @classmethod
    def _header_value(cls, value: SecretStr | None) -> SecretStr | None:
        # requests would refuse it only at the first request, quoting the secret in its error.
        if value is not None and not _HEADER_SAFE.fullmatch(value.get_secret_value()):
            raise ValueError(
                "cannot be sent as an HTTP header: it holds a line break, a control character "
                "or a character outside printable ASCII (a GitHub token is one line of letters, "
                "digits and underscores; is this a private key or a file's content?)"
            )
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        # An environment variable holding bytes that are not UTF-8 arrives with surrogates,
        # which no JSON document or file can hold.
        if isinstance(value, str) and _SURROGATE.search(value):
            raise ValueError("is not valid UTF-8 text")
        return value

    @field_validator(
        "dry_run",
        "allow_downgrade",
        "pull_request",
        "health_check",
        "subdomain_isolation",
        mode="before",
    )
    @classmethod
    def _boolean(cls, value: object) -> object:
        if isinstance(value, str):
            if value in _TRUE:
                return True
            if value in _FALSE:
                return False
            raise ValueError(f"must be true or false, not {value!r}")
        return value

    @field_validator("max_attempts", mode="before")
    @classmethod
    def _whole_number(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().isdigit():
            raise ValueError(f"must be a whole number, not {value!r}")
        return value

    @field_validator("health_check_timeout", "timeout", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise ValueError(f"must be a number of seconds, not {value!r}") from None
        return value

    @model_validator(mode="after")
    def _whole_committer(self) -> Inputs:
        # GitHub needs both to record a committer; one alone would be silently dropped.
        if (self.committer_name is None) != (self.committer_email is None):
            given, missing = (
                ("committer-name", "committer-email")
                if self.committer_name
                else ("committer-email", "committer-name")
            )
            raise ValueError(
                f"`{given}` is set but `{missing}` is not: set both to choose the committer "
                "(which makes the commits unverified), or neither"
            )
        return self

    @property
    def committer(self) -> tuple[str, str] | None:
        """``(name, email)`` of a custom committer, or None to let GitHub sign the commits."""
        if self.committer_name and self.committer_email:
            return self.committer_name, self.committer_email
        return None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Inputs:
        """Read ``INPUT_*`` variables (hyphen or underscore form); empty means not given."""
        values: dict[str, Any] = {}
        for field in cls.model_fields:
            if field == "registry_dir":
                continue
            for key in (f"INPUT_{input_name(field).upper()}", f"INPUT_{field.upper()}"):
                raw = env.get(key)
                if raw is None:
                    continue
                value = raw if field in _VERBATIM else raw.strip()
                if value.strip():
                    values[field] = value
                break
        return cls.build(values)

    @classmethod
    def build(cls, values: Mapping[str, Any]) -> Inputs:
        """Validate ``values``; the first problem becomes one InputError line."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            error = exc.errors()[0]
            name = input_name(str(error["loc"][0])) if error["loc"] else "inputs"
            message = str(error["msg"]).removeprefix("Value error, ")
            message = message.replace("Input should be", "must be")
            if error["type"] == "literal_error" and name == "command":
                message = f"must be one of {', '.join(COMMANDS)}, not {error['input']!r}"
            if not error["loc"]:  # a check across inputs names them itself
                raise InputError(f"input {message}") from None
            raise InputError(f"input `{name}` {message}") from None


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
    debug: bool = False
    in_actions: bool = False
    # Seconds of the first conflict backoff (full jitter, doubling). Not an input: it exists so
    # that test suites and benchmarks can run many contending registrations quickly.
    retry_base_delay: float = Field(default=0.5, ge=0, le=60)
    # Seconds of the shortest wait after a secondary rate limit that names no time (GitHub:
    # "at least one minute"). Not an input either: tests scale GitHub's windows down in time.
    secondary_wait: float = Field(default=60, ge=0, le=3600)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Runner:
        """Read the runner's variables; unset or empty ones take their defaults."""

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
            "debug": env.get("RUNNER_DEBUG") == "1",
            "in_actions": env.get("GITHUB_ACTIONS") == "true",
            "retry_base_delay": get("REGISTRY_ACTION_RETRY_BASE_DELAY"),
            "secondary_wait": get("REGISTRY_ACTION_SECONDARY_WAIT"),
        }
        return cls.model_validate({k: v for k, v in values.items() if v is not None})

    @property
    def is_enterprise(self) -> bool:
        """GitHub Enterprise Server, known from a server URL other than github.com."""
        return self.server_url.rstrip("/").lower() not in (
            "https://github.com",
            "http://github.com",
        )


def check_api_url(value: str) -> None:
    """ValueError unless ``value`` is an http(s) URL with a host and a valid port."""
    example = "such as https://api.github.com"
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
        f"`api-url` {value} is plain http to {parts.hostname}: the token travels in clear text "
        "and anyone on the way can read it; use https"
    )


def api_url(inputs: Inputs, runner: Runner) -> str:
    """The API to talk to: the input, else the runner's GITHUB_API_URL (checked here)."""
    if inputs.api_url:
        return inputs.api_url
    try:
        check_api_url(runner.api_url)
    except ValueError as exc:
        raise InputError(f"GITHUB_API_URL {exc}") from None
    return runner.api_url
