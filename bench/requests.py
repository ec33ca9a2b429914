"""API requests and writes per registration, counted by the fake GitHub's request log.

Run: ``.venv/bin/python bench/requests.py``
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# This file's name would shadow the ``requests`` package: take its folder off the path.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent / "tests"))

from harness import docker_env, run_action, start_fake  # noqa: E402

OPERATIONS = (("fresh registration", "1.0.0"), ("update", "1.1.0"), ("unchanged re-run", "1.1.0"))


# Inputs that change what a registration writes, each measured with the branch given.
VARIANTS = {
    "manifest-urls: commit": {"MANIFEST-URLS": "commit"},
    "maps: all three": {"MAPS": "module-federation,native-federation,import-map"},
}


def measure(branch_given: bool, **inputs: str) -> list[tuple[str, int, int]]:
    fake = start_fake()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as workdir:
            for name, version in OPERATIONS:
                env = docker_env(fake, Path(workdir), VERSION=version, **inputs)
                if not branch_given:
                    env.pop("INPUT_REGISTRY-BRANCH")
                fake.reset_log()
                result = run_action(env)
                assert result.status == 0, f"{name} failed: {result.stdout}{result.stderr}"
                rows.append((name, len(fake.requests), len(fake.writes)))
    finally:
        fake.stop()
    return rows


def run() -> None:
    print(f"{'operation':<22} {'registry-branch':<20} {'requests':>8} {'writes':>6}")
    for branch_given in (True, False):
        for name, requests, writes in measure(branch_given):
            given = "given" if branch_given else "default (looked up)"
            print(f"{name:<22} {given:<20} {requests:>8} {writes:>6}")
    for variant, inputs in VARIANTS.items():
        for name, requests, writes in measure(True, **inputs):
            print(f"{name:<22} {variant:<20} {requests:>8} {writes:>6}")


if __name__ == "__main__":
    run()
