"""The one test harness: a fake GitHub, and the console script run as a user or a runner runs it.

A run is ``cli.main(argv, env)`` in this process, its output captured per thread (``run``,
``run_at_once``): the console script is that function and ``sys.exit``. The few tests and
benchmarks whose point is the process itself (its exit status, start-up, a kill) start the
installed script (``start``, ``finish``, ``run_process``). Tests that need a server per test
use the fixtures of ``conftest.py``; ``console.py`` runs it as typed on a terminal.
"""

from __future__ import annotations

import gc
import io
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_github import FakeGitHub

REGISTRY = "org/plugin-registry"
WRITE_TOKEN = "ghs_WriteToken0123456789abcdefABCDEF"
READ_TOKEN = "ghs_ReadToken0123456789abcdefABCDEFG"


def new_fake() -> FakeGitHub:
    """A fake GitHub (not started) with an empty registry repository and both tokens."""
    fake = FakeGitHub()
    fake.add_repo(REGISTRY, default_branch="main", description="Plugin registry")
    fake.add_token(WRITE_TOKEN, permission="write")
    fake.add_token(READ_TOKEN, permission="read")
    return fake


def start_fake() -> FakeGitHub:
    """A running fake GitHub with the registry repository and a write and a read token."""
    return new_fake().start()


@dataclass(frozen=True)
class Run:
    """A finished run of the console script, with what the runner would collect."""

    status: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str = ""

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::error")]


def parse_outputs(text: str) -> dict[str, str]:
    """Read a GITHUB_OUTPUT file written with ``name<<delimiter`` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        name, _, delimiter = line.partition("<<")
        assert delimiter, f"not a delimited output line: {line!r}"
        value: list[str] = []
        for item in lines:
            if item == delimiter:
                break
            value.append(item)
        else:
            raise AssertionError(f"output {name} has no closing delimiter")
        outputs[name] = "\n".join(value)
    return outputs


def read_outputs(path: Path) -> dict[str, str]:
    """The outputs in a ``GITHUB_OUTPUT`` file, none when it was never written."""
    return parse_outputs(path.read_text(encoding="utf-8")) if path.exists() else {}


def _collected(status: int, stdout: str, stderr: str, env: Mapping[str, str]) -> Run:
    """A run's result, with the outputs and the job summary it left in the runner's files."""
    output, summary = env.get("GITHUB_OUTPUT"), env.get("GITHUB_STEP_SUMMARY")
    outputs = read_outputs(Path(output)) if output else {}
    text = Path(summary).read_text(encoding="utf-8") if summary and Path(summary).is_file() else ""
    return Run(status, stdout, stderr, outputs, text)


def docker_env(
    fake: FakeGitHub, workspace: Path, files: Path | None = None, **inputs: str
) -> dict[str, str]:
    """The environment a runner gives a Docker action, with ``inputs`` as ``INPUT_*`` variables.

    The workflow file commands (``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``) go to ``files``,
    by default the workspace itself.
    """
    workspace.mkdir(parents=True, exist_ok=True)
    files = files or workspace
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(workspace),
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/calendar",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(files / "output"),
        "GITHUB_STEP_SUMMARY": str(files / "summary"),
        "INPUT_TOKEN": WRITE_TOKEN,
        "INPUT_REGISTRY-REPOSITORY": REGISTRY,
        "INPUT_REGISTRY-BRANCH": "main",
        "INPUT_VERSION": "1.0.0",
        # The same full-jitter backoff, from a smaller base, so contention tests finish quickly.
        "REGISTRY_ACTION_RETRY_BASE_DELAY": "0.05",
        # Transport retries keep their count, with shorter waits between them.
        "REGISTRY_ACTION_TRANSPORT_BACKOFF": "0.01",
    }
    env.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
    if env.get("INPUT_COMMAND", "register") != "register":
        del env["INPUT_VERSION"]  # only register takes a version
    return env


# -- in this process ------------------------------------------------------------------------

# A run reads only the environment it is given, but requests and urllib read this process's
# proxy variables too; the fakes on 127.0.0.1 are reached directly, as by a script started with
# only PATH and HOME set.
for _proxy in [
    name for name in os.environ if name.lower() in ("http_proxy", "https_proxy", "all_proxy")
]:
    del os.environ[_proxy]

_captured_by = threading.local()  # a run's thread: the buffers of its stdout and stderr
_under_way: list[threading.Thread] = []  # the runs in this process, guarded by _streams_lock
_streams_lock = threading.Lock()
_cwd_lock = threading.Lock()


class _PerThread(io.TextIOBase):
    """``sys.stdout`` or ``sys.stderr`` while runs are under way: each run's thread its own."""

    def __init__(self, name: str, elsewhere: Any) -> None:
        self.name, self.elsewhere = name, elsewhere

    def _target(self) -> Any:
        mine = getattr(_captured_by, self.name, None)
        return self.elsewhere if mine is None else mine

    def write(self, text: str) -> int:
        return int(self._target().write(text))

    def flush(self) -> None:
        self._target().flush()


@contextmanager
def _captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """What this thread prints, while every other thread prints where it did."""
    with _streams_lock:
        if not _under_way:
            sys.stdout, sys.stderr = _PerThread("out", sys.stdout), _PerThread("err", sys.stderr)
        _under_way.append(threading.current_thread())
    _captured_by.out, _captured_by.err = io.StringIO(), io.StringIO()
    try:
        yield _captured_by.out, _captured_by.err
    finally:
        _captured_by.out = _captured_by.err = None
        with _streams_lock:
            _under_way.remove(threading.current_thread())
            if not _under_way:
                assert isinstance(sys.stdout, _PerThread) and isinstance(sys.stderr, _PerThread)
                sys.stdout, sys.stderr = sys.stdout.elsewhere, sys.stderr.elsewhere
                # A run freezes what is loaded (cli._loaded); undone after the runs so that
                # this long-lived process still collects what they left.
                gc.unfreeze()


@contextmanager
def _working_directory(cwd: Path | None) -> Iterator[None]:
    if cwd is None:
        yield
        return
    with _cwd_lock:
        before = Path.cwd()
        os.chdir(cwd)
        try:
            yield
        finally:
            os.chdir(before)


def run(argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None) -> Run:
    """``registry-action argv`` with exactly ``env``, in this process (``cwd`` if given).

    Threads may run at once (``run_at_once``), as long as none needs a working directory.
    """
    from registry_action import cli

    with _working_directory(cwd), _captured() as (out, err):
        try:
            status = cli.main(list(argv), env)
        except SystemExit as exit_:  # argparse's --help and --version, as sys.exit takes them
            if exit_.code is None or isinstance(exit_.code, int):
                status = exit_.code or 0
            else:
                print(exit_.code, file=sys.stderr)
                status = 1
    return _collected(status, out.getvalue(), err.getvalue(), env)


def run_at_once(envs: Sequence[Mapping[str, str]], timeout: float = 600) -> list[Run]:
    """One run per environment (no arguments, as the container), each on its own thread."""
    runs: list[Run | None] = [None] * len(envs)

    def one(number: int) -> None:
        runs[number] = run([], envs[number])

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(envs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), f"a run took more than {timeout} s"
    assert all(r is not None for r in runs), "a run raised: see the thread's traceback"
    return [r for r in runs if r is not None]


@dataclass
class Action:
    """Runs the console script with the environment a Docker action receives."""

    workspace: Path
    files: Path
    env: dict[str, str]

    def run(self, inputs: Mapping[str, str] | None = None, *args: str, **extra: str) -> Run:
        env = {**self.env, **{f"INPUT_{k.upper()}": v for k, v in (inputs or {}).items()}}
        env.update(extra)
        (self.files / "output").write_text("")
        (self.files / "summary").write_text("")
        return run(args, env, cwd=self.workspace)


def run_action(env: Mapping[str, str]) -> Run:
    """The container's run: no arguments, the runner's environment."""
    return run([], env)


# -- as a process ---------------------------------------------------------------------------


def console_script() -> str:
    """The installed ``registry-action`` beside this interpreter (the venv's)."""
    beside = Path(sys.executable).with_name("registry-action")
    found = str(beside) if beside.exists() else shutil.which("registry-action")
    assert found, "registry-action is not installed: pip install -e ."
    return found


def start(
    env: Mapping[str, str], args: Sequence[str] = (), cwd: Path | None = None
) -> subprocess.Popen[str]:
    """Start the installed console script with exactly ``env`` and no input.

    With no ``args`` it is the container's entry point.
    """
    return subprocess.Popen(
        [console_script(), *args],
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], env: Mapping[str, str], timeout: float = 240) -> Run:
    stdout, stderr = process.communicate(timeout=timeout)
    return _collected(process.returncode, stdout, stderr, env)


def run_process(env: Mapping[str, str], args: Sequence[str] = (), cwd: Path | None = None) -> Run:
    """The installed console script run to its end in a process of its own."""
    return finish(start(env, args, cwd), env)


# -- what the fake holds --------------------------------------------------------------------


def registry(fake: FakeGitHub) -> dict[str, Any]:
    data = fake.get_file(REGISTRY, "registry.json")
    assert data is not None, "registry.json is missing"
    loaded: dict[str, Any] = json.loads(data)
    return loaded


def manifest(fake: FakeGitHub, plugin_id: str) -> dict[str, Any] | None:
    data = fake.get_file(REGISTRY, f"plugins/{plugin_id}.json")
    return None if data is None else json.loads(data)


def assert_consistent(fake: FakeGitHub) -> dict[str, Any]:
    """The registry is valid and every entry agrees with a manifest that exists."""
    from registry_action.core.documents import check_manifest, check_registry

    document = registry(fake)
    check_registry("registry.json", document)
    for entry in document["plugins"]:
        found = manifest(fake, entry["id"])
        assert found is not None, f"registry.json lists {entry['id']} with no manifest"
        check_manifest(entry["id"], found)
        assert {k: found[k] for k in ("id", "name", "version", "manifestUrl")} == entry
    return document
