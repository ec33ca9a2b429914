"""N registrations of N different plugins started at the same moment against the fake GitHub.

Each registration is the program's entry point (``cli.main``, what the console script and the
container run) with the environment a Docker action receives and the default inputs (and the
shipped backoff), on its own thread; all are released together once every thread is ready. On
GitHub each pipeline runs on a runner of its own; N Python processes on this machine's 2 cores
would measure their start-up (about 0.4 s of CPU each) rather than the races. The fake adds
latency to every request and serves the previous version of a file for a moment after each
write to it (the Contents API's reads at a branch; reads at a commit are exact).

Per N it prints: runs that failed, plugins lost, commits, commits that change nothing, requests
(all, and of them GraphQL queries, which GitHub counts in a budget of their own) and write
requests (POST, PUT, PATCH, DELETE, GraphQL mutations; not GraphQL queries) in all and per
registration, write requests refused (by a conflict, or by the secondary limit), the wall
time, and the floor.

The floor is the serialised floor: N commits of ``registry.json`` one after another, each
carrying the version the previous one returned, through the same client code and fake. It is
what N registrations take when each must commit the one index in turn; runs that fold each
other's entries into one index write (engine/entries.py) need fewer index commits, so it is a
yardstick, not a bound.

Another scenario shares one secondary limit on content creation among all the runs, as every
token of one App installation shares GitHub's 80 a minute, scaled down in time; the wait
GitHub asks for when it names no time ("at least one minute", one window) is scaled the same.
The last holds every secondary limit GitHub documents at its figures (100 concurrent requests,
900 REST and 2,000 GraphQL points a minute, 80 content-creating requests a minute and 500 an
hour; tests/fake_github/limits.py), with every window scaled down the same way, and prints
which of them refused how many requests.

Run: ``.venv/bin/python bench/concurrency.py [N ...] [--latency S] [--stale S]
[--shared-limit N] [--limit WRITES/SECONDS] [--documented-limits SCALE] [--documented-counts
N ...] [--arrivals SECONDS] [--input NAME=VALUE ...]``; every input given, and arrivals spread
over time, are printed with the figures.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

# The tests' helpers, in place of this folder (whose requests.py would shadow the library).
sys.path.remove(next(p for p in sys.path if Path(p or ".").resolve() == Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_github import FakeGitHub
from harness import REGISTRY, WRITE_TOKEN, docker_env, registry, start_fake
from registry_action import cli
from registry_action.core.documents import REGISTRY_PATH
from registry_action.store.github.contents import GitHubStore, make_client
from registry_action.store.interface import Deadline

LIMIT_STATUSES = (403, 429)


class PerThread(io.TextIOBase):
    """sys.stdout (or stderr) written per thread, so each run's lines are its own."""

    def __init__(self, fallback: TextIO) -> None:
        self._local = threading.local()
        self._fallback = fallback

    def start(self) -> io.StringIO:
        self._local.buffer = io.StringIO()
        return self._local.buffer

    def write(self, text: str) -> int:
        return getattr(self._local, "buffer", self._fallback).write(text)

    def flush(self) -> None:
        pass


@dataclass
class Run:
    status: int = -1
    output: str = ""


def fake_with(latency: float, stale: float) -> FakeGitHub:
    fake = start_fake()
    fake.latency, fake.stale_read_seconds = latency, stale
    return fake


def floor(count: int, latency: float, stale: float) -> float:
    """Seconds for ``count`` index commits in a row, each with the version it got."""
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


def run_all(envs: list[dict[str, str]], arrivals: float = 0.0) -> tuple[list[Run], float]:
    """``cli.main`` for each environment, each on its own thread, released at once (or, with
    ``arrivals``, each at a moment of its own, drawn evenly over that many seconds)."""
    runs = [Run() for _ in envs]
    draw = random.Random(len(envs))
    offsets = [draw.uniform(0, arrivals) for _ in envs]
    ready = threading.Barrier(len(envs) + 1)
    out, err = PerThread(sys.stdout), PerThread(sys.stderr)

    def one(env: dict[str, str], run: Run, offset: float) -> None:
        mine, theirs = out.start(), err.start()
        ready.wait()
        time.sleep(offset)
        run.status = cli.main([], env)
        run.output = mine.getvalue() + theirs.getvalue()

    threads = [
        threading.Thread(target=one, args=each) for each in zip(envs, runs, offsets, strict=True)
    ]
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err  # type: ignore[assignment]
    try:
        for thread in threads:
            thread.start()
        ready.wait()
        began = time.monotonic()
        for thread in threads:
            thread.join()
        return runs, time.monotonic() - began
    finally:
        sys.stdout, sys.stderr = saved


def measure(
    fake: FakeGitHub, count: int, extra: dict[str, str], arrivals: float = 0.0
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as workdir:
        envs = []
        for number in range(count):
            env = docker_env(fake, Path(workdir) / str(number), PLUGIN_ID=f"plugin-{number:03d}")
            del env["REGISTRY_ACTION_RETRY_BASE_DELAY"]  # the shipped backoff
            del env["REGISTRY_ACTION_TRANSPORT_BACKOFF"]
            envs.append(env | extra)
        fake.reset_log()
        runs, wall = run_all(envs, arrivals)
    listed = {entry["id"] for entry in registry(fake)["plugins"]}
    commits = fake.commits(REGISTRY)[1:]
    writes = fake.writes
    limited = sum(w.fault == "secondary_limit" for w in writes)
    return {
        "failed": sum(run.status != 0 for run in runs),
        "lost": sum(f"plugin-{n:03d}" not in listed for n in range(count)),
        "commits": len(commits),
        "empty": sum(commit.empty for commit in commits),
        "requests": len(fake.requests),
        "graphql": sum(r.path.endswith("/graphql") for r in fake.requests),
        "writes": len(writes),
        "conflicts": sum(w.refused for w in writes) - limited,
        "limited": limited,
        "wall": wall,
        "log": writes,
        "errors": Counter(_cause(run.output) for run in runs if run.status != 0),
    }


def _cause(output: str) -> str:
    """A run's error line without what differs from run to run (ids, times, counts)."""
    lines = [line for line in output.splitlines() if line.startswith("::error")] or ["?"]
    text = lines[0].split("::", 2)[-1]
    return re.sub(r"plugin-\d+|\d+(\.\d+)?", "#", text)[:160]


HEADER = (
    f"{'N':>4} {'failed':>6} {'lost':>4} {'commits':>7} {'empty':>5} {'requests':>8} "
    f"{'GraphQL':>7} {'/reg':>5} {'writes':>6} {'/reg':>5} {'refused':>13} {'wall s':>7} "
    f"{'floor s':>7} {'wall/floor':>10}"
)


def row(count: int, r: dict[str, Any], least: float) -> str:
    share = (r["conflicts"] + r["limited"]) / max(r["writes"], 1)
    refused = f"{r['conflicts']}+{r['limited']} ({share:.0%})"
    return (
        f"{count:>4} {r['failed']:>6} {r['lost']:>4} {r['commits']:>7} {r['empty']:>5} "
        f"{r['requests']:>8} {r['graphql']:>7} {r['requests'] / count:>5.2f} {r['writes']:>6} "
        f"{r['writes'] / count:>5.2f} {refused:>13} {r['wall']:>7.1f} {least:>7.1f} "
        f"{r['wall'] / least:>10.1f}"
    )


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("counts", nargs="*", type=int, default=[10, 30, 100, 300], help="0: none")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--stale", type=float, default=0.2, help="seconds reads lag a write")
    parser.add_argument("--shared-limit", type=int, default=40, metavar="N", help="0: skip")
    parser.add_argument("--limit", default="12/6", metavar="WRITES/SECONDS")
    parser.add_argument(
        "--documented-limits",
        type=float,
        default=0.1,
        metavar="SCALE",
        help="the window scale of the scenario under all of GitHub's documented secondary "
        "limits (0: skip)",
    )
    parser.add_argument("--documented-counts", type=int, nargs="+", default=[100, 300], metavar="N")
    parser.add_argument(
        "--arrivals",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="start each run of the N scenarios at a random moment within this many seconds "
        "(default 0: all at once)",
    )
    parser.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an input every run is given (default: none), such as manifest-urls=commit",
    )
    args = parser.parse_args()
    given = dict(pair.split("=", 1) for pair in args.input)
    args.extra = {f"INPUT_{name.upper()}": value for name, value in given.items()}
    shown = ", ".join(f"{name}: {value}" for name, value in given.items())
    print(
        f"{shown or 'default inputs'}; latency {args.latency} s, "
        f"reads lag writes by {args.stale} s; "
        + (f"runs start over {args.arrivals:g} s; " if args.arrivals else "")
        + "refused: write requests refused by a conflict + by the secondary limit (share of all "
        "write requests); floor: N commits of registry.json in a row"
    )
    print(HEADER)
    for count in filter(None, args.counts):
        fake = fake_with(args.latency, args.stale)
        try:
            result = measure(fake, count, args.extra, args.arrivals)
        finally:
            fake.stop()
        print(row(count, result, floor(count, args.latency, args.stale)), flush=True)
        for cause, times in result["errors"].most_common(3):
            print(f"      {times} x {cause}")
    if args.shared_limit:
        shared(args)
    if args.documented_limits:
        documented(args)


def shared(args: argparse.Namespace) -> None:
    """The scenario where one secondary limit is shared by every run."""
    writes, seconds = args.limit.split("/")
    print(
        f"\nshared secondary limit: {writes} content-creating requests per {seconds} s for all "
        f"tokens (403 with and without retry-after, 429, in turn); a wait with no time named "
        f"is {seconds} s (GitHub's minute is its window)"
    )
    print(HEADER)
    fake = fake_with(args.latency, args.stale)
    fake.limit_content_creation(int(writes), float(seconds))
    try:
        scaled = {"REGISTRY_ACTION_SECONDARY_WAIT": seconds}
        result = measure(fake, args.shared_limit, args.extra | scaled)
    finally:
        fake.stop()
    least = floor(args.shared_limit, args.latency, args.stale)
    print(row(args.shared_limit, result, least), flush=True)
    for cause, times in result["errors"].most_common(3):
        print(f"      {times} x {cause}")
    print(windows(result["log"], int(writes), float(seconds), args.shared_limit))


def documented(args: argparse.Namespace) -> None:
    """N runs under every secondary limit GitHub documents, at its figures, windows scaled."""
    scale = args.documented_limits
    print(
        "\nGitHub's documented secondary limits, shared by all tokens: 100 concurrent requests; "
        "900 REST and 2,000 GraphQL points a minute; 80 content-creating requests a minute and "
        f"500 an hour; every window x {scale:g}, and a wait with no time named {60 * scale:g} s"
    )
    print(HEADER)
    for count in args.documented_counts:
        fake = fake_with(args.latency, args.stale)
        limits = fake.hold_documented_limits(scale)
        scaled = {"REGISTRY_ACTION_SECONDARY_WAIT": f"{60 * scale:g}"}
        try:
            result = measure(fake, count, args.extra | scaled)
        finally:
            fake.stop()
        print(row(count, result, floor(count, args.latency, args.stale)), flush=True)
        for cause, times in result["errors"].most_common(3):
            print(f"      {times} x {cause}")
        refused = ", ".join(f"{name} {n}" for name, n in (limits.refused or {}).items())
        print(f"      refused by: {refused}")


def windows(log: list[Any], limit: int, seconds: float, count: int) -> str:
    """The refusals by the limit in its first window and after it.

    Before its first write no run can tell how many others share the limit (GitHub shows no
    count of it), so when all N first writes fall in one window, at least N - limit of them are
    refused there, whatever the runs do next; what the runs control is the share after it.
    """
    if not log:
        return "no write requests"
    start = min(w.time for w in log)
    first = [w for w in log if w.time < start + seconds]
    later = [w for w in log if w.time >= start + seconds]
    refused_first = sum(w.fault == "secondary_limit" for w in first)
    refused_later = sum(w.fault == "secondary_limit" for w in later)
    share = refused_later / max(len(later), 1)
    return (
        f"      first {seconds:g} s: {len(first)} write requests, {refused_first} refused by the "
        f"limit (at least {max(count - limit, 0)} when all {count} first writes fall in it); "
        f"after it: {len(later)} write requests, {refused_later} refused ({share:.0%})"
    )


if __name__ == "__main__":
    run()
