"""The console script ``registry-action``.

With no arguments it does exactly what the container does: read ``INPUT_*`` and ``GITHUB_*``
from the environment. With a command (``register``, ...) it takes flags that mirror the
inputs, and ``--registry-dir`` works on a local folder with no GitHub at all.
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from registry_action import __version__
from registry_action.actions import Reporter, write_outputs, write_summary
from registry_action.errors import RegistryActionError, RunnerFileError

if TYPE_CHECKING:
    import argparse

    from registry_action.commands import Result
    from registry_action.inputs import Inputs

# Flags that mirror inputs: (input name, help). Booleans are flags without a value.
_VALUE_FLAGS: tuple[tuple[str, str], ...] = (
    ("registry-repository", "owner/name of the registry repository"),
    ("registry-branch", "branch to write (default: the repository's default branch)"),
    ("plugin-id", "the plugin's id and file name (default: the repository name, lowercased)"),
    ("plugin-name", "display name (default: the repository name)"),
    ("version", "semantic version to register"),
    ("version-file", 'JSON file whose "version" is used (default: package.json)'),
    ("description", "the plugin's description"),
    ("ui-remote-entry", "URL of the Module Federation remoteEntry.js"),
    ("ui-expose", "the exposed module (default: ./PluginApp)"),
    ("server-route-base", "route base of the backend (default: /api/integrations/{id})"),
    ("server-deployment-url", "URL of the backend deployment (default: https://{id}.fly.dev)"),
    ("server-health-check", "health-check path (default: /api/health)"),
    ("manifest-template", "JSON manifest template file"),
    ("manifest-base-url", "where dashboards fetch plugins/<id>.json from"),
    (
        "subdomain-isolation",
        "GitHub Enterprise Server: true (default) for raw.HOSTNAME raw-file URLs, false for "
        "HOSTNAME/raw/",
    ),
    ("commit-message", "commit message (placeholders allowed)"),
    ("api-url", "GitHub API URL (default: $GITHUB_API_URL or https://api.github.com)"),
    ("timeout", "seconds the whole run may take, retries and waits included (default: 600)"),
    ("max-attempts", "cap on attempts when writes conflict (default: none, retry until timeout)"),
    ("health-check-timeout", "seconds --health-check waits for the deployment (default: 120)"),
    ("committer-name", "custom committer name (makes the commits unverified)"),
    ("committer-email", "custom committer email (makes the commits unverified)"),
)
_BOOLEAN_FLAGS = (
    ("dry-run", "compute and show the change, write nothing"),
    ("allow-downgrade", "permit registering a lower version than the registered one"),
    ("pull-request", "propose the manifest as a pull request instead of writing the branch"),
    ("health-check", "register only once the deployment's health endpoint and UI answer"),
)
COMMAND_HELP = {
    "register": "render the plugin's manifest and register it",
    "unregister": "remove a plugin from the registry",
    "validate": "check the registry and every manifest, reporting every problem",
    "reindex": "rebuild registry.json from plugins/*.json",
}


def _parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog="registry-action",
        description="Register dashboard plugins in a plugin-registry repository. With no "
        "command, read the action's INPUT_* variables from the environment, as the container does.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMAND_HELP.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--registry-dir", help="a registry folder on disk instead of GitHub")
        sub.add_argument(
            "--token-env",
            default="GITHUB_TOKEN",
            help="environment variable holding the GitHub token (default: GITHUB_TOKEN); "
            "a token is never taken on the command line, where other users could see it",
        )
        for flag, flag_help in _VALUE_FLAGS:
            sub.add_argument(f"--{flag}", help=flag_help)
        for flag, flag_help in _BOOLEAN_FLAGS:
            sub.add_argument(f"--{flag}", action="store_true", default=None, help=flag_help)
    return parser


def _values_from_args(args: argparse.Namespace, env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {"command": args.command}
    for flag, _ in (*_VALUE_FLAGS, *_BOOLEAN_FLAGS, ("registry-dir", "")):
        value = getattr(args, flag.replace("-", "_"))
        if value not in (None, ""):
            values[flag.replace("-", "_")] = value
    token = env.get(args.token_env) or env.get("INPUT_TOKEN")
    if token and args.registry_dir is None:
        values["token"] = token
    return values


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run the program; returns the exit status."""
    # See _loaded: the cyclic garbage collector is paused while the program loads.
    gc.disable()
    try:
        return _main(argv, env)
    finally:
        gc.enable()


def _main(argv: Sequence[str] | None, env: Mapping[str, str] | None) -> int:
    env = os.environ if env is None else env
    arguments = list(sys.argv[1:] if argv is None else argv)
    reporter = Reporter(in_actions=env.get("GITHUB_ACTIONS") == "true")
    # The token is masked before anything else is printed.
    for name in ("INPUT_TOKEN", "INPUT_token"):
        reporter.mask(env.get(name, ""))
    # The container runs with no arguments: it needs no parser (building one costs more than
    # the rest of the command line handling).
    args = _parser().parse_args(arguments) if arguments else None
    debug = env.get("RUNNER_DEBUG") == "1"
    try:
        return _run(args, env, reporter)
    except RegistryActionError as exc:
        if debug:
            traceback.print_exc()
        reporter.error(exc.message, title=exc.title)
        _summarise_failure(exc, env, reporter)
        return 1
    except KeyboardInterrupt:
        reporter.error("interrupted")
        return 130
    except Exception as exc:
        if debug:
            traceback.print_exc()
        reporter.error(
            f"unexpected error: {type(exc).__name__}: {exc} (set RUNNER_DEBUG=1 for a traceback)",
            title="registry-action crashed",
        )
        return 2


def _summarise_failure(
    exc: RegistryActionError, env: Mapping[str, str], reporter: Reporter
) -> None:
    """The error in the job summary too; when that cannot be written, the log says why."""
    if isinstance(exc, RunnerFileError):
        return
    from registry_action.escaping import markdown_text

    path = env.get("GITHUB_STEP_SUMMARY") or None
    text = f"### registry-action failed\n\n{markdown_text(exc.message)}\n"
    try:
        write_summary(Path(path) if path else None, reporter.scrub(text))
    except RunnerFileError as failed:
        reporter.error(failed.message, title=failed.title)


def _run(args: argparse.Namespace | None, env: Mapping[str, str], reporter: Reporter) -> int:
    from registry_action.commands import run
    from registry_action.inputs import Inputs, Runner, api_url, insecure_api_url
    from registry_action.report import headline, outputs, summary

    if args is None or args.command is None:
        inputs = Inputs.from_env(env)
    else:
        values = _values_from_args(args, env)
        reporter.mask(values.get("token", ""))
        inputs = Inputs.build(values)
    runner = Runner.from_env(env)
    if inputs.registry_dir is None:
        insecure = insecure_api_url(api_url(inputs, runner))
        if insecure:
            reporter.warning(insecure, title="Token sent in clear")
    _loaded(inputs)
    result = run(inputs, runner, reporter.info)
    _tell(result, reporter)
    reporter.info(headline(result))
    write_outputs(runner.output, {k: reporter.scrub(v) for k, v in outputs(result).items()})
    write_summary(runner.step_summary, reporter.scrub(summary(result)))
    return 1 if result.failed else 0


def _loaded(inputs: Inputs) -> None:
    """Load the rest of what the run needs, then resume the cyclic garbage collector.

    A run is one short process that imports some 500 modules (PyGithub alone is about 200),
    whose hundreds of thousands of objects live until it exits. Collecting while they load only
    walks them again and again, and the interpreter's shutdown walks them once more. Once loaded
    they are frozen (moved out of the collector's view, at shutdown too) and collection resumes
    with its usual thresholds for the documents and requests of the run itself. Together that
    is about a quarter of an unchanged run's wall time (`bench/startup.py`).
    """
    if inputs.registry_dir is None:
        import registry_action.store.github  # noqa: F401  (PyGithub, by far the largest import)
    gc.freeze()
    gc.enable()


def _tell(result: Result, reporter: Reporter) -> None:
    """Annotate each problem and warning; print what a dry run would change."""
    for problem in result.problems:
        annotate = reporter.error if problem.severity == "error" else reporter.warning
        annotate(problem.message, title="Registry problem", file=problem.path, line=problem.line)
    for warning in result.outcome.warnings:
        reporter.warning(warning)
    if result.outcome.dry_run:
        from registry_action.diffs import unified_diff

        for change in result.outcome.changes:
            reporter.info(unified_diff(change).rstrip("\n"))
