"""Reading, reindexing and validating a whole registry on GitHub: requests and wall time.

Against the fake GitHub with 50 ms added to every request (``--latency``) and the limits it
holds GitHub to (printed first: the recursive tree cut at 100,000 entries or 7 MB, a GraphQL
answer past 500 texts or 4 MB a timeout's 502), for registries of 1,000, 10,000 and 35,000
manifests (``--counts``), with the program's default settings:

- the two ways of reading every manifest in a few requests, in-process: the store's Git Trees
  listing plus GraphQL queries in batches, and the ref's tarball (302 to codeload, then the
  archive);
- ``reindex`` (every manifest unlisted, so it writes the index) and ``validate``, each the
  installed console script as a Docker action runs it, start-up included.

Each row gives the requests, the GraphQL queries among them, those GitHub's limits stopped
(502) and the wall time.

Run: ``.venv/bin/python bench/whole_registry.py``
"""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
# bench/requests.py would shadow the ``requests`` package: take this folder off the path.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent / "tests"))

import requests  # noqa: E402

from fake_github import FakeGitHub  # noqa: E402
from harness import REGISTRY, WRITE_TOKEN, docker_env, run_process, start_fake  # noqa: E402
from registry_action.store.github.contents import GitHubStore, make_client  # noqa: E402
from registry_action.store.interface import Deadline  # noqa: E402
from registry_files import manifest, registry_files  # noqa: E402


def read_by_graphql(fake: FakeGitHub) -> int:
    store = GitHubStore(
        make_client(WRITE_TOKEN, fake.api_url, deadline=Deadline(600)), REGISTRY, "main"
    )
    return len(store.read_folder("plugins"))


def read_by_tarball(fake: FakeGitHub) -> int:
    answer = requests.get(
        f"{fake.api_url}/repos/{REGISTRY}/tarball/main",
        headers={"Authorization": f"token {WRITE_TOKEN}"},
        allow_redirects=False,
        timeout=60,
    )
    archive = requests.get(answer.headers["location"], timeout=60)  # no token: another host
    found = 0
    with tarfile.open(fileobj=io.BytesIO(archive.content), mode="r:gz") as tar:
        for member in tar:
            inside = member.name.partition("/")[2]
            if inside.startswith("plugins/") and inside.endswith(".json") and member.isfile():
                stream = tar.extractfile(member)
                found += bool(stream and stream.read())
    return found


def timed(fake: FakeGitHub, action: Callable[[], object]) -> tuple[object, str, float]:
    """What ``action`` returned, its requests (all, GraphQL, stopped) and its wall time."""
    fake.reset_log()
    began = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - began
    made = fake.requests
    graphql = [r for r in made if r.path.endswith("/graphql")]
    stopped = sum(r.status in (502, 504) for r in graphql)
    return result, f"{len(made):>8} {len(graphql):>8} {stopped:>8}", seconds


def run_command(fake: FakeGitHub, name: str) -> int:
    with tempfile.TemporaryDirectory() as workdir:
        run = run_process(docker_env(fake, Path(workdir), COMMAND=name))
    assert run.status == 0, run.stdout + run.stderr
    return run.status


def measure(count: int, latency: float) -> None:
    fake = start_fake()
    try:
        ids = [f"plugin-{n:05d}" for n in range(count)]
        fake.put_files(REGISTRY, registry_files(*(manifest(i) for i in ids), listed=False))
        fake.latency = latency
        print(f"{count:>8} {limits(fake)}")
        rows = [
            ("read: trees + GraphQL", lambda: read_by_graphql(fake)),
            ("read: tarball", lambda: read_by_tarball(fake)),
            ("reindex (console script)", lambda: run_command(fake, "reindex")),
            ("validate (console script)", lambda: run_command(fake, "validate")),
        ]
        for name, action in rows:
            result, requests_made, seconds = timed(fake, action)
            if name.startswith("read"):
                assert result == count, f"{name} read {result} of {count} manifests"
            print(f"{count:>8} {name:<27} {requests_made} {seconds:>8.2f}", flush=True)
    finally:
        fake.stop()


def limits(fake: FakeGitHub) -> str:
    """The limits ``fake`` holds GitHub to."""
    texts, size = fake.graphql_limits
    return (
        f"fake's limits: recursive tree {fake.tree_limit:,} entries or "
        f"{fake.tree_bytes / 2**20:g} MB; GraphQL answer {texts:,} texts or {size / 1e6:g} MB "
        f"(past either: 502); {fake.rate_limit:,} requests an hour"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--counts", type=int, nargs="+", default=[1_000, 10_000, 35_000])
    args = parser.parse_args()
    print(f"latency {args.latency * 1000:.0f} ms per request")
    head = f"{'plugins':>8} {'operation':<27} {'requests':>8} {'GraphQL':>8} {'stopped':>8}"
    print(f"{head} {'seconds':>8}")
    for count in args.counts:
        measure(count, args.latency)


if __name__ == "__main__":
    main()
