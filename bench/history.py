"""What history, rollback and promote spend on a plugin registered many times.

Against the fake GitHub with 50 ms added to every request (``--latency``): the plugin
``calendar`` is registered ``--count`` times on ``main`` (versions 1.0.0, 1.1.0, ...; each
registration one commit of its manifest and the index, as a seeded history), and once more, at
a higher version, on ``staging``. The installed console script then runs, as a Docker action
runs it with ``registry-branch`` given: ``history``; ``rollback`` to the default version,
again to that version, and to the oldest; ``promote`` from staging to main; and ``promote``
in pull-request mode to a protected main (after another registration on staging). Each run's
requests, write (content-creating) requests, commits (on every branch) and wall time are
printed.

Run: ``.venv/bin/python bench/history.py [--count 50] [--latency 0.05]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# bench/requests.py would shadow the ``requests`` package: take this folder off the path.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent / "tests"))

from fake_github import FakeGitHub  # noqa: E402
from harness import REGISTRY, console_script, docker_env, start_fake  # noqa: E402
from registry_action.core.strictjson import dumps  # noqa: E402
from registry_files import entry, manifest, registry  # noqa: E402

RAW = "https://raw.githubusercontent.com/org/plugin-registry"


def register(fake: FakeGitHub, version: str, branch: str) -> None:
    """One registration of ``calendar`` at ``version`` on ``branch``, as one commit."""
    document = manifest("calendar", version, manifestUrl=f"{RAW}/{branch}/plugins/calendar.json")
    files = {
        "plugins/calendar.json": dumps(document),
        "registry.json": dumps(registry([entry(document)])),
    }
    fake.put_files(REGISTRY, files, branch=branch, message=f"Update plugin: calendar {version}")


def commits(fake: FakeGitHub) -> set[str]:
    """Every commit on any branch (a new branch's history counts once)."""
    return {c.sha for b in fake.branches(REGISTRY) for c in fake.commits(REGISTRY, branch=b)}


def run(fake: FakeGitHub, script: str, **inputs: str) -> tuple[int, int, int, float]:
    """One run of the console script: requests, write requests, commits, seconds."""
    before = commits(fake)
    fake.reset_log()
    with tempfile.TemporaryDirectory() as workdir:
        env = docker_env(fake, Path(workdir), COMMAND=inputs.pop("command"))
        env.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
        env["INPUT_PLUGIN-ID"] = "calendar"
        began = time.perf_counter()
        done = subprocess.run([script], env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - began
    assert done.returncode == 0, done.stdout + done.stderr
    return len(fake.requests), len(fake.writes), len(commits(fake) - before), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50, help="registrations of the plugin")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    args = parser.parse_args()
    script = console_script()
    fake = start_fake()
    try:
        for n in range(args.count):
            register(fake, f"1.{n}.0", "main")
        fake.create_branch(REGISTRY, "staging")
        register(fake, f"1.{args.count}.0", "staging")
        fake.latency = args.latency
        default = f"1.{args.count - 2}.0"
        print(f"{args.count} registrations, latency {args.latency * 1000:.0f} ms")
        print(f"{'run':<34} {'requests':>8} {'writes':>6} {'commits':>7} {'s':>6}")
        steps: list[tuple[str, dict[str, str]]] = [
            ("history", {"command": "history"}),
            (f"rollback (default: {default})", {"command": "rollback"}),
            (f"rollback to {default} again", {"command": "rollback", "version": default}),
            ("rollback to 1.0.0 (the oldest)", {"command": "rollback", "version": "1.0.0"}),
            (
                "promote staging -> main",
                {"command": "promote", "registry-branch": "staging", "to-branch": "main"},
            ),
        ]
        for name, inputs in steps:
            requests, writes, made, seconds = run(fake, script, **inputs)
            print(f"{name:<34} {requests:>8} {writes:>6} {made:>7} {seconds:>6.2f}")
        register(fake, f"1.{args.count + 1}.0", "staging")
        fake.protect_branch(REGISTRY, "main")
        pull = {
            "command": "promote",
            "registry-branch": "staging",
            "to-branch": "main",
            "pull-request": "true",
        }
        requests, writes, made, seconds = run(fake, script, **pull)
        name = "promote, pull request into main"
        print(f"{name:<34} {requests:>8} {writes:>6} {made:>7} {seconds:>6.2f}")
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
