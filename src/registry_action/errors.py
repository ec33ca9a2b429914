"""The project's exceptions: one root, each subclass carrying text a user can act on."""

from __future__ import annotations


class RegistryActionError(Exception):
    """Root of every error this program reports to its user.

    ``str(error)`` is the one line shown (as an ``::error::`` annotation in Actions); ``title``
    names the kind of problem for the annotation's title.
    """

    title = "registry-action failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(RegistryActionError):
    """An input (or flag) is missing or has a value that cannot be used."""

    title = "Invalid input"


class TemplateError(InputError):
    """The manifest template cannot be read, parsed or rendered."""

    title = "Invalid manifest template"


class DamagedFileError(RegistryActionError):
    """A file already in the registry is not valid JSON or breaks its schema; never overwritten."""

    title = "Damaged registry file"


class GitHubError(RegistryActionError):
    """GitHub refused a request for a reason that retrying will not fix."""

    title = "GitHub refused the request"


class GaveUpError(RegistryActionError):
    """Retries ran out (conflicts, rate limits or server faults)."""

    title = "Gave up after retries"


class HealthCheckError(RegistryActionError):
    """The deployment did not answer as a live plugin must; nothing was registered."""

    title = "Deployment not healthy"


class RemoteEntryError(RegistryActionError):
    """The remote entry whose hash was to be recorded could not be fetched; nothing was written."""

    title = "Remote entry not fetched"


class DowngradeError(RegistryActionError):
    """Registering a lower version than the registered one, without ``allow-downgrade``."""

    title = "Version downgrade refused"


class RegistryProblemsError(RegistryActionError):
    """Refusing to act on a registry whose files have problems (every one is named)."""

    title = "Registry has problems"


class RunnerFileError(RegistryActionError):
    """A file the runner gave for outputs or the job summary cannot be written."""

    title = "Cannot write the runner's files"
