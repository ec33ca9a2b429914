"""What fetching remote entries costs: `integrity: true` on a registration, `validate --live`.

Run: ``.venv/bin/python bench/live.py`` (``--latency 0.05 --plugins 1000 --rounds 5``)

The plugins' hosts are one http.server on 127.0.0.1 that waits ``--latency`` seconds before
each answer (a CDN's round trip) and serves a remote entry of ``--size`` bytes. A registration
runs the console script as the container does, against the fake GitHub with the same latency;
``validate --live`` runs on a registry folder of ``--plugins`` plugins, each with its own remote
entry, with the default settings (8 fetches at a time, the 600 s deadline).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

# This folder's requests.py would shadow the library the runs import: take the folder off.
HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent / "tests"))

from console import terminal  # noqa: E402
from harness import docker_env, run_action, start_fake  # noqa: E402
from registry_action.core.strictjson import dumps  # noqa: E402
from registry_action.engine.remote import fetch, sri  # noqa: E402
from registry_files import manifest, registry_files  # noqa: E402
from remote_hosts import RemoteHosts  # noqa: E402


def entry_source(size: int) -> bytes:
    line = b"/* webpack remote entry: container, share scope, chunk loading */\n"
    return (line * (size // len(line) + 1))[:size]


def registrations(hosts: RemoteHosts, latency: float, rounds: int, size: int) -> None:
    url = hosts.serve("/calendar/remoteEntry.js", entry_source(size), delay=latency)
    fake = start_fake()
    fake.latency = latency
    rows = []
    try:
        with tempfile.TemporaryDirectory() as workdir:
            for integrity in ("false", "true"):
                times, github, host = [], set(), set()
                for i in range(rounds):
                    env = docker_env(fake, Path(workdir) / f"{integrity}{i}", VERSION=f"1.0.{i}")
                    env |= {"INPUT_UI-REMOTE-ENTRY": url, "INPUT_INTEGRITY": integrity}
                    env["INPUT_PLUGIN-ID"] = f"cal-{integrity}"
                    fake.reset_log()
                    seen = len(hosts.seen)
                    started = time.monotonic()
                    result = run_action(env)
                    times.append(time.monotonic() - started)
                    assert result.status == 0, result.stdout + result.stderr
                    github.add((len(fake.requests), len(fake.writes)))
                    host.add(len(hosts.seen) - seen)
                rows.append((integrity, github, host, statistics.median(times)))
    finally:
        fake.stop()
    print(
        f"registration (fake GitHub and host at {latency * 1000:.0f} ms, {size} B entry, "
        f"median of {rounds})"
    )
    print(f"{'integrity':<10} {'GitHub requests/writes':>24} {'host requests':>14} {'time':>8}")
    for integrity, github, host, median in rows:
        counts = ", ".join(f"{r}/{w}" for r, w in sorted(github))
        print(
            f"{integrity:<10} {counts:>24} {', '.join(map(str, sorted(host))):>14} {median:>7.2f}s"
        )
    # The difference is within the noise of whole runs: the fetch and hash on their own.
    fetches = []
    for _ in range(rounds):
        started = time.monotonic()
        body = fetch(url, 60).body
        assert body is not None
        sri(body)
        fetches.append(time.monotonic() - started)
    print(f"the fetch and hash alone: {statistics.median(fetches) * 1000:.0f} ms (median)")


def live(hosts: RemoteHosts, latency: float, plugins: int, size: int) -> None:
    body = entry_source(size)
    documents = []
    for i in range(plugins):
        url = hosts.serve(f"/p{i}/remoteEntry.js", body, delay=latency)
        ui = {"remoteEntry": url, "expose": "./PluginApp", "integrity": sri(body)}
        documents.append(manifest(f"p{i:04}", ui=ui))
    with tempfile.TemporaryDirectory() as workdir:
        folder = Path(workdir) / "registry"
        (folder / "plugins").mkdir(parents=True)
        for path, content in registry_files(*documents).items():
            (folder / path).write_bytes(content)
        assert dumps(documents[0]) == (folder / "plugins/p0000.json").read_bytes()
        print(
            f"\nvalidate of {plugins} plugins in a folder (host at {latency * 1000:.0f} ms, "
            f"{size} B entries)"
        )
        print(f"{'':<16} {'host requests':>14} {'time':>8} {'status':>7}")
        for flags in ((), ("--live",)):
            seen = len(hosts.seen)
            started = time.monotonic()
            done = terminal(
                "validate", "--registry-dir", str(folder), *flags, cwd=folder, process=True
            )
            elapsed = time.monotonic() - started
            label = "validate --live" if flags else "validate"
            print(f"{label:<16} {len(hosts.seen) - seen:>14} {elapsed:>7.2f}s {done.status:>7}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--plugins", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=20_000)
    args = parser.parse_args()
    with RemoteHosts() as hosts:
        registrations(hosts, args.latency, args.rounds, args.size)
        live(hosts, args.latency, args.plugins, args.size)


if __name__ == "__main__":
    main()
