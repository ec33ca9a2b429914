"""Converting a legacy registry with ``reindex``, then reindexing again: what GitHub charges.

Against the fake GitHub with 50 ms added to every request (``--latency``): a registry of
``--count`` manifests (300 by default) as the clone-and-push script left them (unexpanded
``$(date ...)`` stamps, the index's keys out of order). The installed console script runs
``reindex`` twice, as a Docker action runs it; each run's requests, write (content-creating)
requests, commits, empty commits and wall time are printed. ``--script`` runs another
installation's console script (an older checkout's virtualenv) against the same registry.

Run: ``.venv/bin/python bench/conversion.py [--script /path/to/registry-action]``
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
from legacy_registry import legacy_files  # noqa: E402


def reindex(fake: FakeGitHub, script: str) -> tuple[int, int, int, int, float]:
    """One reindex: requests, write requests, commits, empty commits, seconds."""
    before = len(fake.commits(REGISTRY))
    fake.reset_log()
    with tempfile.TemporaryDirectory() as workdir:
        env = docker_env(fake, Path(workdir), COMMAND="reindex", TIMEOUT="600")
        began = time.perf_counter()
        done = subprocess.run([script], env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - began
    assert done.returncode == 0, done.stdout + done.stderr
    made = fake.commits(REGISTRY)[before:]
    empty = sum(commit.empty for commit in made)
    return len(fake.requests), len(fake.writes), len(made), empty, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="legacy manifests")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--script", default=None, help="console script (default: this one)")
    args = parser.parse_args()
    script = args.script or console_script()
    fake = start_fake()
    try:
        fake.put_files(REGISTRY, legacy_files(args.count))
        fake.latency = args.latency
        print(f"{args.count} legacy manifests, latency {args.latency * 1000:.0f} ms, {script}")
        print(f"{'run':<16} {'requests':>8} {'writes':>7} {'commits':>7} {'empty':>5} {'s':>6}")
        for name in ("reindex", "reindex again"):
            requests, writes, commits, empty, seconds = reindex(fake, script)
            print(f"{name:<16} {requests:>8} {writes:>7} {commits:>7} {empty:>5} {seconds:>6.1f}")
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
