"""N registrations of N different plugins started at the same moment against the fake GitHub.

Each is the installed console script in its own process, with the environment a Docker action
receives and the default inputs (and the shipped backoff). The fake adds latency to every
request and serves the previous version of a file for a moment after each write to it.

Per N it prints: runs that failed, plugins lost, commits, commits that change nothing, write
requests, wall time, and the floor: N index writes one after another through the same client
code and fake, the least time N registrations can take when each must commit the one index.
A last scenario shares one secondary limit on content creation among all the runs.

Run: ``.venv/bin/python bench/concurrency.py [N ...] [--latency S] [--stale S]
[--shared-limit N] [--limit WRITES/SECONDS]``
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

# The tests' helpers, in place of this folder (whose requests.py would shadow the library).
sys.path.remove(next(p for p in sys.path if Path(p or ".").resolve() == Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_github import FakeGitHub
from harness import REGISTRY, WRITE_TOKEN, docker_env, finish, registry, start, start_fake
from registry_action.core.documents import REGISTRY_PATH
from registry_action.store.github.contents import GitHubStore, make_client
from registry_action.store.interface import Deadline


def fake_with(latency: float, stale: float) -> FakeGitHub:
    fake = start_fake()
    fake.latency, fake.stale_read_seconds = latency, stale
    return fake


def floor(count: int, latency: float, stale: float) -> float:
    """Seconds for ``count`` index writes one after another, each with the version it got."""
    fake = fake_with(latency, stale)
    try:
        store = GitHubStore(
            make_client(WRITE_TOKEN, fake.api_url, deadline=Deadline(600)), REGISTRY, "main"
        )
        version = None
        began = time.monotonic()
        for number in range(count):
            body = f'{{"n": {number}}}\n'.encode()
            version = store.write(REGISTRY_PATH, body, version, "floor").version
        return time.monotonic() - began
    finally:
        fake.stop()


def measure(fake: FakeGitHub, count: int, extra: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as workdir:
        envs = []
        for number in range(count):
            env = docker_env(fake, Path(workdir) / str(number), PLUGIN_ID=f"plugin-{number:03d}")
            del env["REGISTRY_ACTION_RETRY_BASE_DELAY"]  # the shipped backoff
            envs.append(env | extra)
        began = time.monotonic()
        processes = [start(env) for env in envs]
        runs = [finish(p, env, timeout=3600) for p, env in zip(processes, envs, strict=True)]
        wall = time.monotonic() - began
    listed = {entry["id"] for entry in registry(fake)["plugins"]}
    commits = fake.commits(REGISTRY)[1:]
    return {
        "failed": sum(run.status != 0 for run in runs),
        "lost": sum(f"plugin-{n:03d}" not in listed for n in range(count)),
        "commits": len(commits),
        "empty": sum(commit.empty for commit in commits),
        "writes": len(fake.writes),
        "wall": wall,
        "waits": sum(run.stdout.count("rate limit (") for run in runs),
        "errors": Counter(_cause(run.errors[0]) for run in runs if run.errors),
    }


def _cause(error: str) -> str:
    """An error line without what differs from run to run (ids, times, counts)."""
    text = error.split("::", 2)[-1]
    return re.sub(r"plugin-\d+|\d+(\.\d+)?", "#", text)[:160]


HEADER = (
    f"{'N':>4} {'failed':>6} {'lost':>4} {'commits':>7} {'empty':>5} {'writes':>6} "
    f"{'wall s':>7} {'floor s':>7} {'wall/floor':>10}"
)


def row(count: int, r: dict[str, Any], least: float) -> str:
    return (
        f"{count:>4} {r['failed']:>6} {r['lost']:>4} {r['commits']:>7} {r['empty']:>5} "
        f"{r['writes']:>6} {r['wall']:>7.1f} {least:>7.1f} {r['wall'] / least:>10.1f}"
    )


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("counts", nargs="*", type=int, default=[10, 30, 100, 300])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--stale", type=float, default=0.2, help="seconds reads lag a write")
    parser.add_argument("--shared-limit", type=int, default=40, metavar="N", help="0: skip")
    parser.add_argument("--limit", default="20/4", metavar="WRITES/SECONDS")
    parser.add_argument("--secondary-wait", default="1", help="GitHub's one minute, scaled")
    args = parser.parse_args()
    print(f"default inputs; latency {args.latency} s, reads lag writes by {args.stale} s")
    print(HEADER)
    for count in args.counts:
        fake = fake_with(args.latency, args.stale)
        try:
            result = measure(fake, count, {})
        finally:
            fake.stop()
        print(row(count, result, floor(count, args.latency, args.stale)), flush=True)
        for cause, times in result["errors"].most_common(3):
            print(f"      {times} x {cause}")
    if args.shared_limit:
        shared(args)


def shared(args: argparse.Namespace) -> None:
    """The scenario where one secondary limit is shared by every run."""
    writes, seconds = args.limit.split("/")
    print(
        f"\nshared secondary limit: {writes} content-creating requests per {seconds} s for all "
        f"tokens (403 with and without retry-after, 429, in turn); a wait with no time named "
        f"is {args.secondary_wait} s"
    )
    print(HEADER + f" {'waits':>5}")
    fake = fake_with(args.latency, args.stale)
    fake.limit_content_creation(int(writes), float(seconds))
    try:
        result = measure(
            fake, args.shared_limit, {"REGISTRY_ACTION_SECONDARY_WAIT": args.secondary_wait}
        )
    finally:
        fake.stop()
    least = floor(args.shared_limit, args.latency, args.stale)
    print(row(args.shared_limit, result, least) + f" {result['waits']:>5}", flush=True)


if __name__ == "__main__":
    run()
