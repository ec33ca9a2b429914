"""The action's inputs, each declared once with how it is offered, as one settings model.

Each field of ``Inputs`` carries a ``Use``: its help, the commands that take it, whether its
placeholders are substituted (a field of the plugin's spec), and how the README and
``action.yml`` show its default. The CLI's flags, the messages that name a setting and the
checks of ``action.yml`` and the README all come from these declarations.

A Docker action receives each input as ``INPUT_<NAME>`` with the name upper-cased and its
hyphens kept (``INPUT_REGISTRY-REPOSITORY``); the underscore form is accepted too. An input set
to an empty string counts as not given, because the runner passes every declared input.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, SecretStr, ValidationError

from registry_action.errors import InputError
from registry_action.settings.checks import MAP_KINDS, InputChecks
from registry_action.settings.spelling import named


@dataclass(frozen=True)
class Use:
    """How one input is offered and documented."""

    help: str
    placeholder: bool = False  # placeholders are substituted in it: a field of the plugin's spec
    shown: str | None = None  # the README's default when it is not a value ("required", ...)
    required: bool = False  # required by action.yml (a workflow must set it)
    action: bool = True  # an input of the action (False: a flag of the CLI only)
    flag: bool = True  # a flag of the CLI (False: read otherwise, such as the token)
    verbatim: bool = False  # surrounding white space is kept
    spec: bool = False  # a field of the plugin's spec (SpecInputs), rendered into the manifest
    check: Literal["text", "url", "path"] = "text"  # what a spec field must be once rendered
    # Whether action.yml declares the default: not when the program tells a given value from
    # its default (a template's field, the version file).
    declared: bool = True
    metavar: str = "TEXT"  # what the CLI's flag takes, in its help
    # The help of the flag where a command uses the input its own way: (command, help) pairs.
    helps: tuple[tuple[str, str], ...] = ()

    def help_for(self, command: str) -> str:
        """The help of the flag in ``command``'s sub-command."""
        return dict(self.helps).get(command, self.help)


def spec_field(
    help_text: str,
    shown: str | None = None,
    *,
    check: Literal["text", "url", "path"] = "text",
    verbatim: bool = False,
    metavar: str | None = None,
) -> Use:
    """An input that is a field of the manifest, its placeholders substituted."""
    shape = metavar or {"url": "URL", "path": "PATH"}.get(check, "TEXT")
    return Use(
        help_text,
        True,
        shown,
        verbatim=verbatim,
        spec=True,
        check=check,
        declared=False,
        metavar=shape,
    )


class SettingError(InputError):
    """A value the settings refuse; ``field`` names the setting (None: a check across several)."""

    def __init__(self, message: str, field: str | None) -> None:
        super().__init__(message)
        self.field = field


def input_name(field: str) -> str:
    """The kebab-case input name of a field: ``registry_branch`` -> ``registry-branch``."""
    return field.replace("_", "-")


class Inputs(InputChecks):
    """Every input of the action (and flag of the CLI), validated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    token: Annotated[
        SecretStr | None,
        Use("token that can write the registry", shown="required", required=True, flag=False),
    ] = None
    registry_repository: Annotated[
        str | None,
        Use(
            "owner/name of the registry repository",
            shown="required",
            required=True,
            metavar="OWNER/NAME",
            helps=(("promote", "owner/name of the registry repository to promote from"),),
        ),
    ] = None
    registry_branch: Annotated[
        str | None,
        Use(
            "branch of the registry repository",
            shown="the repository's default branch",
            metavar="BRANCH",
            helps=(
                ("register", "branch to register the plugin in"),
                ("unregister", "branch to remove the plugin from"),
                ("validate", "branch to check"),
                ("reindex", "branch whose registry.json is rebuilt"),
                ("history", "branch whose history is read"),
                ("rollback", "branch to roll the plugin back in"),
                ("promote", "branch to promote the plugin from (the source environment)"),
            ),
        ),
    ] = None
    to_branch: Annotated[
        str | None,
        Use(
            "the branch to copy the plugin's registration to (the destination environment)",
            shown="the destination repository's default branch",
            metavar="BRANCH",
        ),
    ] = None
    to_repository: Annotated[
        str | None,
        Use(
            "owner/name of the registry repository to copy the plugin's registration to",
            shown="`registry-repository`",
            metavar="OWNER/NAME",
        ),
    ] = None
    command: Annotated[str, Use("the command to run", flag=False)] = "register"
    registry_dir: Annotated[
        Path | None, Use("a registry folder on disk instead of GitHub", action=False, metavar="DIR")
    ] = None
    plugin_id: Annotated[
        str | None,
        Use(
            "the plugin's id and file name",
            shown="the calling repository's name, lowercased",
            metavar="ID",
        ),
    ] = None
    plugin_name: Annotated[
        str | None, spec_field("display name", "the calling repository's name")
    ] = None
    version: Annotated[
        str | None,
        Use(
            "semantic version to register",
            shown="`version` in `version-file`, else a `vX.Y.Z` tag in `GITHUB_REF`",
            metavar="SEMVER",
            helps=(
                (
                    "rollback",
                    "registered version to restore (default: the newest one registered before "
                    "the current one and lower than it)",
                ),
            ),
        ),
    ] = None
    version_file: Annotated[
        str, Use('JSON file whose "version" is used', declared=False, metavar="FILE")
    ] = "package.json"
    description: Annotated[
        str | None,
        spec_field(
            "the plugin's description",
            "the repository description from the event payload, else empty",
            verbatim=True,
        ),
    ] = None
    ui_remote_entry: Annotated[str, spec_field("URL of the remoteEntry.js", check="url")] = (
        "https://{id}-ui.pages.dev/assets/remoteEntry.js"
    )
    ui_expose: Annotated[str, spec_field("the module the UI exposes", metavar="MODULE")] = (
        "./PluginApp"
    )
    server_route_base: Annotated[str, spec_field("route base of the backend", check="path")] = (
        "/api/integrations/{id}"
    )
    server_deployment_url: Annotated[str, spec_field("URL of the backend", check="url")] = (
        "https://{id}.fly.dev"
    )
    server_health_check: Annotated[str, spec_field("health-check path", check="path")] = (
        "/api/health"
    )
    manifest_template: Annotated[
        str | None,
        Use("JSON manifest template file", shown="the built-in template", metavar="FILE"),
    ] = None
    manifest_base_url: Annotated[
        str | None,
        Use(
            "where dashboards fetch plugins/<id>.json from",
            placeholder=True,
            shown="the branch's raw-file URL",
            metavar="URL",
            helps=(
                ("validate", "the URL every manifestUrl must start with, plus plugins/"),
                (
                    "promote",
                    "where dashboards of the destination fetch plugins/<id>.json from (default: "
                    "the destination branch's raw-file URL)",
                ),
            ),
        ),
    ] = None
    server_url: Annotated[
        str | None,
        Use(
            "GitHub's web address, which decides the raw-file URLs: https://github.com, or a "
            "GitHub Enterprise Server's",
            shown="`GITHUB_SERVER_URL`, else the server of an Enterprise `api-url`, else "
            "`https://github.com`",
            action=False,
            metavar="URL",
        ),
    ] = None
    subdomain_isolation: Annotated[
        bool,
        Use(
            "GitHub Enterprise Server: raw.HOSTNAME (true) or HOSTNAME/raw/ (false) raw-file URLs",
            metavar="true|false",
        ),
    ] = True
    commit_message: Annotated[
        str | None,
        Use(
            "commit message",
            placeholder=True,
            verbatim=True,
            shown="the command's own",
        ),
    ] = None
    dry_run: Annotated[bool, Use("compute and show the change, write nothing")] = False
    allow_downgrade: Annotated[
        bool, Use("permit registering a lower version than the registered one")
    ] = False
    timeout: Annotated[
        float,
        Use(
            "seconds the whole run may take, retries and rate-limit waits included",
            metavar="SECONDS",
        ),
    ] = 600
    max_attempts: Annotated[
        int | None,
        Use(
            "cap on attempts when writes conflict (empty: retry until timeout)",
            shown="none",
            metavar="N",
        ),
    ] = None
    pull_request: Annotated[
        bool, Use("propose the manifest in a pull request instead of writing")
    ] = False
    health_check: Annotated[
        bool, Use("register only once the deployment's health check and UI answer")
    ] = False
    health_check_timeout: Annotated[
        float, Use("seconds the health check waits for the deployment", metavar="SECONDS")
    ] = 120
    integrity: Annotated[
        bool,
        Use("fetch ui.remoteEntry and record its SRI hash (sha384) as ui.integrity"),
    ] = False
    live: Annotated[
        bool,
        Use("also fetch every listed remote entry and report each one gone or changed"),
    ] = False
    manifest_urls: Annotated[
        Literal["branch", "commit"],
        Use(
            "what the index's manifestUrls name: the branch, or the commit that wrote each "
            "manifest",
            metavar="branch|commit",
            helps=(("validate", "commit: report every index entry that names no commit"),),
        ),
    ] = "branch"
    maps: Annotated[
        str | None,
        Use(
            "maps for other hosts written beside registry.json: a comma-separated list of "
            f"{', '.join(MAP_KINDS)}",
            shown="none",
            metavar="KINDS",
            helps=(("validate", "check that these maps agree with registry.json"),),
        ),
    ] = None
    committer_name: Annotated[
        str | None,
        Use("custom committer name (makes commits unverified)", shown="none", metavar="NAME"),
    ] = None
    committer_email: Annotated[
        str | None,
        Use("custom committer email (makes commits unverified)", shown="none", metavar="EMAIL"),
    ] = None
    api_url: Annotated[
        str | None,
        Use(
            "GitHub API URL",
            shown="`GITHUB_API_URL`, else `https://api.github.com`",
            metavar="URL",
        ),
    ] = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Inputs:
        """Read ``INPUT_*`` variables (hyphen or underscore form); empty means not given."""
        values: dict[str, Any] = {}
        for field, use in declared():
            if not use.action:
                continue
            for key in (f"INPUT_{input_name(field).upper()}", f"INPUT_{field.upper()}"):
                raw = env.get(key)
                if raw is None:
                    continue
                value = raw if use.verbatim else raw.strip()
                if value.strip():
                    values[field] = value
                break
        return cls.build(values)

    @classmethod
    def build(cls, values: Mapping[str, Any]) -> Inputs:
        """Validate ``values``; the first problem becomes one SettingError line."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            error = exc.errors()[0]
            message = str(error["msg"]).removeprefix("Value error, ")
            message = message.replace("Input should be", "must be")
            if not error["loc"]:  # a check across inputs names them itself
                raise SettingError(message, None) from None
            field = str(error["loc"][0])
            given, use = error.get("input"), dict(declared()).get(field)
            # The value is echoed, as typed, unless it may be a secret (the token is no flag).
            if use and use.flag and isinstance(given, str) and repr(given) not in message:
                message = f"{message}, not {given!r}"
            raise SettingError(f"{named(input_name(field))} {message}", field) from None

    def spec_values(self) -> dict[str, Any]:
        """The inputs that are fields of the plugin's spec, by field name."""
        return {field: getattr(self, field) for field, use in declared() if use.spec}


def declared() -> Iterator[tuple[str, Use]]:
    """Each field of ``Inputs`` with its declaration, in order."""
    for field, info in Inputs.model_fields.items():
        uses = [item for item in info.metadata if isinstance(item, Use)]
        yield field, uses[0]


def shown_default(field: str) -> str:
    """The default as the README shows it: a value in backticks, or words."""
    use = dict(declared())[field]
    default = Inputs.model_fields[field].default
    if use.shown is not None:
        return use.shown
    return f"`{format_value(default)}`"


def format_value(value: object) -> str:
    """A default as a workflow writes it: ``true``, ``600``, ``./PluginApp``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
