"""Start-up cost: median wall time of whole runs of the console script, in one session.

Measures, alternating the cases so machine noise hits them alike:
  - ``registry-action --version``
  - a registration into a fresh local folder (no GitHub)
  - an unchanged registration against the fake GitHub (two reads, no write)
  - the baseline: ``python -c "import github"``, and a bare PyGithub script making the same two
    reads (import plus two round trips)
and prints the ratio of the unchanged GitHub run to the baseline (target: at most 1.5).
One more case shows what pausing the garbage collector while the program loads buys: the same
unchanged run with the pause taken out (``gc.disable`` and ``gc.freeze`` made no-ops).

    python bench/startup.py [--runs 15] [--venv .venv]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token"
BARE = """
import sys
from github import Auth, Github
g = Github(auth=Auth.Token(sys.argv[2]), base_url=sys.argv[1], retry=None,
           seconds_between_requests=None, seconds_between_writes=None, lazy=True)
repo = g.get_repo("org/plugin-registry", lazy=True)
repo.get_contents("registry.json", ref="main")
repo.get_contents("plugins/calendar2.json", ref="main")
"""
NO_PAUSE = """
import gc, sys
gc.disable = gc.freeze = lambda: None
from registry_action.cli import main
sys.exit(main())
"""


def start_fake(python: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    args = [python, "-m", "fake_github", "--port", "0", "--repo", "org/plugin-registry"]
    fake = subprocess.Popen(
        [*args, "--token", f"{TOKEN}=write"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert fake.stdout is not None
    line = fake.stdout.readline().strip()
    assert line.startswith("READY "), line
    return fake, line.split(" ", 1)[1]


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command} failed: {done.stdout!r} {done.stderr!r}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--venv", default=str(ROOT / ".venv"))
    options = parser.parse_args()
    python = str(Path(options.venv) / "bin/python")
    script = str(Path(options.venv) / "bin/registry-action")
    fake, api = start_fake(python)
    work = Path(tempfile.mkdtemp(prefix="startup-"))
    base = {"PATH": os.environ["PATH"], "HOME": str(work)}
    action = {
        **base,
        "GITHUB_REPOSITORY": "acme/Calendar2",
        "INPUT_TOKEN": TOKEN,
        "INPUT_REGISTRY-REPOSITORY": "org/plugin-registry",
        "INPUT_REGISTRY-BRANCH": "main",
        "INPUT_VERSION": "1.2.3",
        "INPUT_API-URL": api,
    }
    cases = {
        "import github": [python, "-c", "import github"],
        "PyGithub import + 2 reads": [python, "-c", BARE, api, TOKEN],
        "registry-action --version": [script, "--version"],
        "local-folder registration": [
            script,
            "register",
            "--registry-dir",
            "REG",
            "--registry-repository",
            "org/r",
            "--plugin-id",
            "a",
            "--version",
            "1.0.0",
        ],
        "unchanged GitHub run": [script],
        "same, collector not paused": [python, "-c", NO_PAUSE],
    }
    try:
        timed([script], action, work)  # the first registration; later ones are unchanged
        times: dict[str, list[float]] = {name: [] for name in cases}
        for run in range(options.runs):
            for name, command in cases.items():
                folder = str(work / f"registry-{run}")
                argv = [folder if part == "REG" else part for part in command]
                github = name.startswith(("unch", "same"))
                times[name].append(timed(argv, action if github else base, work))
    finally:
        fake.terminate()
        fake.wait()
    print(f"Python {sys.version.split()[0]}, {options.runs} runs each, medians:")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"  {name:<28} {value * 1000:7.0f} ms")
    ratio = medians["unchanged GitHub run"] / medians["PyGithub import + 2 reads"]
    print(f"  unchanged GitHub run / (PyGithub import + 2 reads) = {ratio:.2f} (target <= 1.5)")
    paused = medians["same, collector not paused"] / medians["PyGithub import + 2 reads"]
    print(f"  the same without the collector paused = {paused:.2f}")


if __name__ == "__main__":
    main()
