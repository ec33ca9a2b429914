"""Run the fake GitHub standalone: ``PYTHONPATH=tests python -m fake_github --port 0``.

Prints ``READY <api url>`` on stdout once listening, then serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .server import FakeGitHub


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fake_github", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--prefix", default="", help="API path prefix, e.g. /api/v3 (GHES)")
    parser.add_argument("--repo", action="append", default=[], metavar="OWNER/NAME")
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN=write|read",
        help="accept TOKEN with that permission on every repository",
    )
    parser.add_argument("--default-branch", default="main")
    parser.add_argument(
        "--state-file", help="seed from this JSON if it exists; written after writes"
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("--stale-read-count", type=int, default=0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    fake = FakeGitHub(
        host=args.host,
        port=args.port,
        prefix=args.prefix,
        default_branch=args.default_branch,
        state_file=args.state_file,
    )
    for repo in args.repo:
        if repo not in fake.snapshot()["repos"]:
            fake.add_repo(repo)
    for spec in args.token:
        token, _, permission = spec.partition("=")
        fake.add_token(token, permission=permission or "write")
    fake.latency = args.latency
    fake.stale_read_count = args.stale_read_count
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    fake.start()
    print(f"READY {fake.api_url}", flush=True)
    done.wait()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
