"""N registrations of N different plugins started at the same moment against the fake GitHub.

Each is the installed console script in its own process, with the environment a Docker action
receives. The fake adds latency to every request and serves one stale read after each write.

Run: ``.venv/bin/python bench/concurrency.py [N ...] [--latency S] [--stale N] [--base-delay S]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from harness import docker_env, finish, registry, start, start_fake


def measure(count: int, latency: float, stale: int, base_delay: float) -> dict[str, float]:
    fake = start_fake()
    fake.latency, fake.stale_read_count = latency, stale
    try:
        with tempfile.TemporaryDirectory() as workdir:
            envs = [
                docker_env(fake, Path(workdir) / str(n), PLUGIN_ID=f"plugin-{n:03d}")
                | {"INPUT_MAX-ATTEMPTS": "50", "REGISTRY_ACTION_RETRY_BASE_DELAY": str(base_delay)}
                for n in range(count)
            ]
            began = time.monotonic()
            processes = [start(env) for env in envs]
            runs = [
                finish(process, env, timeout=3600)
                for process, env in zip(processes, envs, strict=True)
            ]
            wall = time.monotonic() - began
        listed = {entry["id"] for entry in registry(fake)["plugins"]}
        attempts = [run.stdout.count("\nAttempt ") + 1 for run in runs]
        return {
            "wall": wall,
            "requests": len(fake.requests),
            "median": statistics.median(attempts),
            "max": max(attempts),
            "failed": sum(run.status != 0 for run in runs),
            "lost": sum(f"plugin-{n:03d}" not in listed for n in range(count)),
        }
    finally:
        fake.stop()


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("counts", nargs="*", type=int, default=[10, 30, 100])
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--stale", type=int, default=1)
    parser.add_argument("--base-delay", type=float, default=0.5)
    args = parser.parse_args()
    print(f"latency {args.latency} s, stale reads {args.stale}, backoff base {args.base_delay} s")
    print(
        f"{'N':>4} {'wall s':>7} {'requests':>8} {'attempts median':>15} {'max':>4} "
        f"{'failed':>6} {'lost':>4}"
    )
    for count in args.counts:
        r = measure(count, args.latency, args.stale, args.base_delay)
        print(
            f"{count:>4} {r['wall']:>7.1f} {r['requests']:>8} {r['median']:>15} {r['max']:>4} "
            f"{r['failed']:>6} {r['lost']:>4}",
            flush=True,
        )


if __name__ == "__main__":
    run()
