"""The checks of single inputs and of inputs together, with messages a user can act on."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, SecretStr, field_validator, model_validator

from registry_action.settings.runner import check_api_url
from registry_action.settings.spelling import named, setting

_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+$")
_HEADER_SAFE = re.compile(r"[!-~]+")
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
# Seconds: (least, most, whether the least itself is allowed).
_LIMITS = {"timeout": (0, 21600, False), "health_check_timeout": (0, 3600, True)}
# The maps for other hosts that the `maps` input may name, in the order they are written.
MAP_KINDS = ("module-federation", "native-federation", "import-map")


class InputChecks(BaseModel):
    """Validators of ``Inputs``, apart from the declarations they check."""

    @field_validator("registry_repository", "to_repository", check_fields=False)
    @classmethod
    def _owner_and_name(cls, value: str | None) -> str | None:
        if value is not None and not _REPOSITORY.fullmatch(value):
            raise ValueError(f"must be owner/name, such as org/plugin-registry, not {value!r}")
        return value

    @field_validator("api_url", check_fields=False)
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None:
            check_api_url(value)
        return value

    @field_validator("server_url", check_fields=False)
    @classmethod
    def _server_url(cls, value: str | None) -> str | None:
        if value is not None:
            check_api_url(value, "such as https://github.com or https://ghe.example.com")
        return value

    @field_validator("token", check_fields=False)
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
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("is not valid UTF-8 text") from None
        return value

    @field_validator(
        "dry_run",
        "allow_downgrade",
        "pull_request",
        "health_check",
        "subdomain_isolation",
        "integrity",
        "live",
        mode="before",
        check_fields=False,
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

    @field_validator("maps", check_fields=False)
    @classmethod
    def _map_kinds(cls, value: str | None) -> str | None:
        if value is None:
            return None
        named_kinds = {kind.strip() for kind in value.split(",")} - {""}
        unknown = sorted(named_kinds - set(MAP_KINDS))
        if unknown or not named_kinds:
            raise ValueError(
                f"must be a comma-separated list of {', '.join(MAP_KINDS)}, not {value!r}"
            )
        return ",".join(kind for kind in MAP_KINDS if kind in named_kinds)

    @field_validator("max_attempts", mode="before", check_fields=False)
    @classmethod
    def _whole_number(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().isdigit():
            raise ValueError(f"must be a whole number, not {value!r}")
        if isinstance(value, str | int) and int(value) < 1:
            raise ValueError("must be greater than or equal to 1")
        return value

    @field_validator("timeout", "health_check_timeout", mode="before", check_fields=False)
    @classmethod
    def _seconds(cls, value: object, info: Any) -> object:
        typed = repr(value) if isinstance(value, str) else None  # echoed as the user wrote it
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise ValueError(f"must be a number of seconds, not {value!r}") from None
        low, high, low_allowed = _LIMITS[info.field_name]
        if isinstance(value, int | float) and not (
            (low <= value if low_allowed else low < value) and value <= high
        ):
            least = f"at least {low}" if low_allowed else f"more than {low}"
            shown = typed or f"{value:g}"
            raise ValueError(f"must be {least} and at most {high} seconds, not {shown}")
        return value

    @model_validator(mode="after")
    def _whole_committer(self) -> Any:
        # GitHub needs both to record a committer; one alone would be silently dropped.
        name, email = getattr(self, "committer_name", None), getattr(self, "committer_email", None)
        if (name is None) != (email is None):
            given, missing = (
                ("committer-name", "committer-email")
                if name
                else ("committer-email", "committer-name")
            )
            raise ValueError(
                f"{named(given)} is set but {setting(missing)} is not: set both to choose the "
                "committer (which makes the commits unverified), or neither"
            )
        return self

    @property
    def map_kinds(self) -> tuple[str, ...]:
        """The maps the `maps` input names, in the order they are written."""
        value = getattr(self, "maps", None)
        return tuple(value.split(",")) if value else ()

    @property
    def committer(self) -> tuple[str, str] | None:
        """``(name, email)`` of a custom committer, or None to let GitHub sign the commits."""
        name, email = getattr(self, "committer_name", None), getattr(self, "committer_email", None)
        if name and email:
            return name, email
        return None
