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
from typing import TYPE_CHECKING, TextIO

from registry_action.errors import RegistryActionError, RunnerFileError
from registry_action.report.workflow import Reporter, write_outputs, write_summary
from registry_action.settings.spelling import needing, speaking, token_taken_from

if TYPE_CHECKING:
    import argparse

    from registry_action.commands.base import Command, Result
    from registry_action.settings.inputs import Inputs
    from registry_action.settings.runner import Runner


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
    if not arguments and not _from_workflow(env):
        return _usage(reporter)
    # The container runs with no arguments: it needs no parser (building one costs more than
    # the rest of the command line handling).
    with speaking("cli" if arguments else "actions"):
        return _guarded(arguments, env, reporter)


def _from_workflow(env: Mapping[str, str]) -> bool:
    """Whether a run with no arguments was set up as the container is (by the runner)."""
    return env.get("GITHUB_ACTIONS") == "true" or any(key.startswith("INPUT_") for key in env)


def _usage(reporter: Reporter) -> int:
    from registry_action.cli_parser import parser  # only a mistake needs it: see _guarded

    reporter.info(parser().format_usage().rstrip("\n"))
    reporter.error(
        "no command given: run `registry-action register --help` (or another command), or set "
        "the INPUT_* variables as the runner does; see `registry-action --help`"
    )
    return 2


def _guarded(arguments: list[str], env: Mapping[str, str], reporter: Reporter) -> int:
    """Run, turning every failure into one line and an exit status."""
    # Everything below loads with the collector paused (see _loaded), the parser included; the
    # container runs with no arguments and never builds a parser.
    from registry_action.cli_parser import UsageError, parse

    debug = env.get("RUNNER_DEBUG") == "1"
    try:
        args = parse(arguments) if arguments else None
        return _run(args, env, reporter, _shown_as(args, reporter))
    except UsageError as exc:
        reporter.error(exc.message)
        return 2
    except RegistryActionError as exc:
        if debug:
            _traceback(reporter)
        reporter.error(exc.message, title=exc.title)
        _summarise_failure(exc, env, reporter)
        return 1
    except KeyboardInterrupt:
        reporter.error("interrupted")
        return 130
    except Exception as exc:
        if debug:
            _traceback(reporter)
        reporter.error(
            f"unexpected error: {type(exc).__name__}: {exc} (set RUNNER_DEBUG=1 for a traceback)",
            title="Unexpected error",
        )
        return 1


def _shown_as(args: argparse.Namespace | None, reporter: Reporter) -> TextIO | None:
    """Apply ``--quiet`` and ``--json``; where the JSON result goes (None: no JSON)."""
    if args is None:
        return None
    reporter.quiet = args.quiet
    if not args.json:
        return None
    # stdout holds the one JSON document; every message goes to stderr.
    document, reporter.out = reporter.out, reporter.err
    return document


def _traceback(reporter: Reporter) -> None:
    """The traceback of the error being handled, on stderr, scrubbed as every message is.

    It quotes what servers answered (a 401's body can echo the token) and, on a runner, is read
    for workflow commands like any other line: it goes out as the reporter's messages do.
    """
    text = reporter.scrub(traceback.format_exc()).rstrip("\n")
    Reporter(reporter.in_actions, out=reporter.err, secrets=reporter.secrets).info(text)


def _summarise_failure(
    exc: RegistryActionError, env: Mapping[str, str], reporter: Reporter
) -> None:
    """The error in the job summary too; when that cannot be written, the log says why."""
    if isinstance(exc, RunnerFileError):
        return
    from registry_action.core.escaping import markdown_text  # loaded by the run before it

    path = env.get("GITHUB_STEP_SUMMARY") or None
    text = f"### registry-action failed\n\n{markdown_text(exc.message)}\n"
    try:
        write_summary(Path(path) if path else None, reporter.scrub(text))
    except RunnerFileError as failed:
        reporter.error(failed.message, title=failed.title)


def _run(
    args: argparse.Namespace | None,
    env: Mapping[str, str],
    reporter: Reporter,
    document: TextIO | None,
) -> int:
    # Loaded here, with the collector paused (see _loaded).
    from registry_action.commands import lookup, run
    from registry_action.report.summary import headline, outputs, summary
    from registry_action.settings.inputs import Inputs
    from registry_action.settings.runner import Runner, api_url, insecure_api_url

    inputs = Inputs.from_env(env) if args is None else _from_flags(args, env, reporter)
    command = lookup(inputs.command)
    # A command that commits nothing only reads: messages ask for no more than it needs.
    needing("read" if command.message is None else "write")
    runner = Runner.from_env(env)
    _warn_ignored(inputs, runner, command, args, reporter)
    if inputs.registry_dir is None:
        insecure = insecure_api_url(api_url(inputs.api_url, runner))
        if insecure:
            reporter.warning(insecure, title="Token sent in clear")
    _loaded(inputs)
    result = run(inputs, runner, reporter.info)
    _tell(result, reporter)
    reporter.info(headline(result))
    write_outputs(runner.output, {k: reporter.scrub(v) for k, v in outputs(result).items()})
    write_summary(runner.step_summary, reporter.scrub(summary(result)))
    if document is not None:
        print(reporter.scrub(_json_result(result)), file=document, flush=True)
    return 1 if result.failed else 0


def _from_flags(args: argparse.Namespace, env: Mapping[str, str], reporter: Reporter) -> Inputs:
    """The settings the command line gives; a value they refuse is a usage error."""
    # Loaded by _run, with the collector paused (see _loaded).
    from registry_action.cli_parser import PROG, UsageError, values
    from registry_action.settings.inputs import Inputs, SettingError, declared

    given, variable = values(args, env)
    if variable:
        token_taken_from(variable)
    reporter.mask(given.get("token", ""))
    try:
        return Inputs.build(given)
    except SettingError as exc:
        if exc.field is None or dict(declared())[exc.field].flag:
            raise UsageError(exc.message, f"{PROG} {args.command}") from None
        raise


def _warn_ignored(
    inputs: Inputs,
    runner: Runner,
    command: Command,
    args: argparse.Namespace | None,
    reporter: Reporter,
) -> None:
    """A warning for each setting given that the command, or the registry's kind, ignores."""
    # Loaded by _run, with the collector paused (see _loaded).
    from registry_action.commands.target import ignored
    from registry_action.settings.inputs import input_name

    for name in command.unused(inputs):
        reporter.warning(
            f"input `{input_name(name)}` is not used by `command: {command.name}`: it is ignored",
            title="Input not used",
        )
    lines = ignored(inputs, runner, command.takes)
    if args is not None and getattr(args, "token_env", None) and inputs.registry_dir is not None:
        lines.append("`--token-env` is ignored: `--registry-dir` names a folder, not GitHub")
    for line in lines:
        reporter.warning(line, title="Input ignored")


def _json_result(result: Result) -> str:
    """The result as one JSON document: the action's outputs, typed; a check's problems."""
    # Only --json needs them; loaded by the run before it.
    from registry_action.core import strictjson
    from registry_action.report.summary import outputs

    document: dict[str, object] = {name: value or None for name, value in outputs(result).items()}
    pull = result.pull_request
    document.update(
        {
            "changed": result.outcome.changed,
            "manifest": result.outcome.manifest or None,
            "pull-request-number": pull.number if pull else None,
        }
    )
    if result.history is not None:
        document["history"] = [registration.as_output() for registration in result.history]
    if result.problems is not None:
        document["problems"] = [
            {"severity": p.severity, "file": p.path, "line": p.line, "message": p.message}
            for p in result.problems
        ]
    return strictjson.dumps_text(document, indent=2)


def _loaded(inputs: Inputs) -> None:
    """Load the rest of what the run needs, then resume the cyclic garbage collector.

    A run is one short process that imports hundreds of modules (PyGithub the most), whose
    objects live until it exits. Collecting while they load only walks them again and again,
    and the interpreter's shutdown walks them once more. Once loaded they are frozen (moved out
    of the collector's view, at shutdown too) and collection resumes with its usual thresholds
    for the documents and requests of the run itself. What that saves is measured by
    `bench/startup.py` (docs/performance.md).
    """
    if inputs.registry_dir is None:
        import registry_action.store.github.contents  # noqa: F401  (PyGithub: the largest import)
    gc.freeze()
    gc.enable()


def _tell(result: Result, reporter: Reporter) -> None:
    """Annotate each problem and warning; print what a dry run would change."""
    for problem in result.problems or ():
        annotate = reporter.error if problem.severity == "error" else reporter.warning
        annotate(problem.message, title="Registry problem", file=problem.path, line=problem.line)
    for warning in result.outcome.warnings:
        reporter.warning(warning)
    if result.outcome.dry_run:
        from registry_action.report.diffs import unified_diff  # only a dry run shows diffs

        for change in result.outcome.changes:
            reporter.info(unified_diff(change).rstrip("\n"))
