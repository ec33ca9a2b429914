"""How long a run takes, and how much memory, against servers that hold it or flood it.

Each case runs the console script as the container does against the fake GitHub (or a
deployment served here) and prints the wall time, the exit status, the requests the fake saw
and the largest resident size of the run's process. ``--source DIR`` runs another checkout's
``src`` instead (``git archive <commit> | tar -x -C DIR``), for a before and after.

Run: ``.venv/bin/python bench/deadline.py [--source DIR] [--bomb MIB]`` (a run without the bound
on bodies holds the whole bomb in memory: keep ``--bomb`` small for one).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fake_github import FakeGitHub, faults
from harness import REGISTRY, console_script, docker_env, start_fake
from stalling_servers import trickling_deployment, unaccepting

# A registration's first read: one GraphQL query (the Contents API read of registry.json in a
# checkout given with --source from before that query).
FIRST_READS = (("POST", r"/graphql$"), ("GET", r"/contents/registry\.json$"))
EMPTY = b'{"version": "1.0.0", "lastUpdated": "2024-01-20T12:00:00.000Z", "plugins": []}\n'


def run(env: dict[str, str], source: str | None, limit: float) -> tuple[float, int, float, str]:
    """Wall seconds, exit status, largest resident MB and the last line of one run."""
    if source:
        env = {**env, "PYTHONPATH": f"{source}/src"}
    started = time.monotonic()
    process = subprocess.Popen(
        [console_script()], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    timer = threading.Timer(limit, process.kill)
    timer.start()
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    timer.cancel()
    took = time.monotonic() - started
    lines = [line for line in output.splitlines() if not line.startswith("::add-mask::")]
    last = lines[-1][:110] if lines else ""
    code = os.waitstatus_to_exitcode(status)
    return took, code, usage.ru_maxrss / 1024, "killed at the bench's limit" if code < 0 else last


Case = Callable[[FakeGitHub, dict[str, str]], None]


def _fault(fault: faults.Fault, **inputs: str) -> Case:
    def arm(fake: FakeGitHub, env: dict[str, str]) -> None:
        for method, path in FIRST_READS:
            fake.inject(method=method, path_regex=path, fault=fault, times=None)
        env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})

    return arm


def _latency(fake: FakeGitHub, env: dict[str, str]) -> None:
    fake.latency = 5
    env["INPUT_TIMEOUT"] = "2"


CASES: list[tuple[str, Case]] = [
    ("5 s latency, timeout 2", _latency),
    ("headers a byte / 0.5 s, timeout 3", _fault(faults.trickle_headers(0.5), timeout="3")),
    ("body a byte / 0.2 s, timeout 3", _fault(faults.trickle_body(0.2), timeout="3")),
    ("no answer, timeout 3", _fault(faults.hang(120), timeout="3")),
    ("retry-after: 0 forever, timeout 4", _fault(faults.too_many_requests("0"), timeout="4")),
]


def show(name: str, took: float, code: int, requests: str, rss: float, last: str) -> None:
    print(f"{name:<46} {took:>6.1f} {code:>4} {requests:>8} {rss:>10.0f}  {last}")


PER_READ = """
import statistics, sys, time
sys.path.insert(0, sys.argv[1])
from harness import REGISTRY, WRITE_TOKEN
from registry_action.store.github.contents import GitHubStore, make_client
from registry_action.store.interface import Deadline
store = GitHubStore(make_client(WRITE_TOKEN, sys.argv[2], deadline=Deadline(600)), REGISTRY, "main")
store.read("registry.json")
rounds = []
for _ in range(5):
    started = time.perf_counter()
    for _ in range(200):
        store.read("registry.json")
    rounds.append((time.perf_counter() - started) / 200 * 1000)
print(f"{statistics.median(rounds):.2f}")
"""


def per_read(source: str | None) -> None:
    """What a request costs on a fast server: the median of 5 rounds of 200 reads."""
    fake = start_fake()
    fake.put_file(REGISTRY, "registry.json", EMPTY)
    env = {**os.environ, **({"PYTHONPATH": f"{source}/src"} if source else {})}
    tests = str(Path(__file__).resolve().parents[1] / "tests")
    try:
        done = subprocess.run(
            [sys.executable, "-c", PER_READ, tests, fake.api_url],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        fake.stop()
    print(f"one read of registry.json from the fake, median of 5 x 200: {done.stdout.strip()} ms")


def measure(source: str | None, bomb: int) -> None:
    print(f"{'case':<46} {'wall s':>6} {'exit':>4} {'requests':>8} {'max RSS MB':>10}  last line")
    bombed = (f"gzip bomb of {bomb} MiB", _fault(faults.gzip_bomb(bomb)))
    for name, arm in [*CASES, bombed]:
        fake = start_fake()
        fake.put_file(REGISTRY, "registry.json", EMPTY)
        try:
            with tempfile.TemporaryDirectory() as workdir:
                env = docker_env(fake, Path(workdir))
                env.pop("REGISTRY_ACTION_TRANSPORT_BACKOFF")
                arm(fake, env)
                took, code, rss, last = run(env, source, 90)
                show(name, took, code, str(len(fake.requests)), rss, last)
        finally:
            fake.stop()
    _elsewhere(source)


def _elsewhere(source: str | None) -> None:
    """The cases where the far end is no fake GitHub: a deployment, an unaccepting address."""
    fake = start_fake()
    try:
        with tempfile.TemporaryDirectory() as workdir, trickling_deployment(padding=600) as url:
            env = docker_env(fake, Path(workdir))
            env.update({"INPUT_HEALTH-CHECK": "true", "INPUT_HEALTH-CHECK-TIMEOUT": "3"})
            env.update({"INPUT_SERVER-DEPLOYMENT-URL": url, "INPUT_UI-REMOTE-ENTRY": f"{url}/e.js"})
            took, code, rss, last = run(env, source, 90)
            show("health gate: headers a byte / 0.5 s, window 3", took, code, "-", rss, last)
        with tempfile.TemporaryDirectory() as workdir, unaccepting() as port:
            env = docker_env(fake, Path(workdir), TIMEOUT="3")
            env["GITHUB_API_URL"] = f"http://127.0.0.1:{port}"
            took, code, rss, last = run(env, source, 90)
            show("connection never accepted, timeout 3", took, code, "-", rss, last)
    finally:
        fake.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="a checkout whose src/ to run instead of this one's")
    parser.add_argument("--bomb", type=int, default=4096, help="MiB the gzip bomb inflates to")
    arguments = parser.parse_args()
    measure(arguments.source, arguments.bomb)
    per_read(arguments.source)
