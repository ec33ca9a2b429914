"""API requests and writes per registration, counted by the fake GitHub's request log.

A last table registers into registries already listing 1,000 and 10,000 other plugins
(``--plugins``), with the time each run took at 50 ms a request: a registration reads the
branch in one query whatever its size, but that answer lists every manifest.

Run: ``.venv/bin/python bench/requests.py [--plugins N ...]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# This file's name would shadow the ``requests`` package: take its folder off the path.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent / "tests"))

from harness import REGISTRY, docker_env, run_action, start_fake  # noqa: E402
from registry_files import manifest, registry_files  # noqa: E402

OPERATIONS = (("fresh registration", "1.0.0"), ("update", "1.1.0"), ("unchanged re-run", "1.1.0"))


# Inputs that change what a registration writes, each measured with the branch given.
VARIANTS = {
    "manifest-urls: commit": {"MANIFEST-URLS": "commit"},
    "maps: all three": {"MAPS": "module-federation,native-federation,import-map"},
}


def measure(
    branch_given: bool, others: int = 0, **inputs: str
) -> list[tuple[str, int, int, float]]:
    fake = start_fake()
    rows = []
    try:
        if others:
            ids = [f"plugin-{n:05d}" for n in range(others)]
            fake.put_files(REGISTRY, registry_files(*(manifest(i) for i in ids)))
            fake.latency = 0.05
        with tempfile.TemporaryDirectory() as workdir:
            for name, version in OPERATIONS:
                env = docker_env(fake, Path(workdir), VERSION=version, **inputs)
                if not branch_given:
                    env.pop("INPUT_REGISTRY-BRANCH")
                fake.reset_log()
                began = time.monotonic()
                result = run_action(env)
                took = time.monotonic() - began
                assert result.status == 0, f"{name} failed: {result.stdout}{result.stderr}"
                rows.append((name, len(fake.requests), len(fake.writes), took))
    finally:
        fake.stop()
    return rows


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plugins", type=int, nargs="*", default=[1000, 10000], metavar="N")
    args = parser.parse_args()
    print(f"{'operation':<22} {'registry-branch':<20} {'requests':>8} {'writes':>6}")
    for branch_given in (True, False):
        for name, requests, writes, _ in measure(branch_given):
            given = "given" if branch_given else "default (looked up)"
            print(f"{name:<22} {given:<20} {requests:>8} {writes:>6}")
    for variant, inputs in VARIANTS.items():
        for name, requests, writes, _ in measure(True, **inputs):
            print(f"{name:<22} {variant:<20} {requests:>8} {writes:>6}")
    if args.plugins:
        print(f"\n{'operation':<22} {'other plugins':<20} {'requests':>8} {'writes':>6} {'s':>6}")
    for others in args.plugins:
        for name, requests, writes, took in measure(True, others):
            print(f"{name:<22} {others:<20,} {requests:>8} {writes:>6} {took:>6.2f}")


if __name__ == "__main__":
    run()
