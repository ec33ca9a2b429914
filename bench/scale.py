"""Read, merge and serialise registries of growing size in-process: time and peak memory.

Each round parses and validates ``registry.json`` (JSON, UTF-8, schema, model, unique ids, URLs
as browsers parse them; the last column times that check alone),
upserts one entry and serialises the result, as a registration does between its read and its
write. Memory is tracemalloc's peak during the round, next to the file's size.

Run: ``.venv/bin/python bench/scale.py``
"""

from __future__ import annotations

import gc
import json
import statistics
import time
import tracemalloc
from typing import Any

from registry_action.core.documents import (
    REGISTRY_PATH,
    browser_problems,
    load_registry,
    prepare_validators,
)
from registry_action.core.registry import upsert
from registry_action.core.strictjson import dumps

BASE = "https://raw.githubusercontent.com/org/plugin-registry/main/plugins"
NOW = "2024-02-01T00:00:00.000Z"


def registry_bytes(count: int) -> bytes:
    plugins = [
        {
            "id": f"plugin-{n:05d}",
            "name": f"Plugin {n}",
            "version": "1.0.0",
            "manifestUrl": f"{BASE}/plugin-{n:05d}.json",
        }
        for n in range(count)
    ]
    return dumps({"version": "1.0.0", "lastUpdated": NOW, "plugins": plugins})


def one_round(data: bytes, count: int) -> bytes:
    document = load_registry(REGISTRY_PATH, data)
    entry: dict[str, Any] = {
        "id": f"plugin-{count // 2:05d}",
        "name": "Plugin",
        "version": "2.0.0",
        "manifestUrl": f"{BASE}/plugin-{count // 2:05d}.json",
    }
    updated = upsert(document, entry, NOW)
    assert updated is not None
    return dumps(updated)


def measure(count: int, repeat: int = 5) -> tuple[int, float, int, float]:
    data = registry_bytes(count)
    times, url_times = [], []
    document = json.loads(data)
    for _ in range(repeat):
        gc.collect()
        began = time.perf_counter()
        one_round(data, count)
        times.append(time.perf_counter() - began)
        began = time.perf_counter()
        browser_problems("registry", document)  # the part of a round that checks URLs
        url_times.append(time.perf_counter() - began)
    gc.collect()
    tracemalloc.start()
    one_round(data, count)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return len(data), statistics.median(times), peak, statistics.median(url_times)


def run() -> None:
    prepare_validators()
    print(
        f"{'entries':>8} {'file MB':>8} {'median ms':>10} {'peak MB':>8} {'peak/file':>9} "
        f"{'URLs ms':>8}"
    )
    for count in (100, 1_000, 10_000, 50_000):
        size, seconds, peak, urls = measure(count)
        print(
            f"{count:>8} {size / 1e6:>8.2f} {seconds * 1000:>10.1f} {peak / 1e6:>8.1f} "
            f"{peak / size:>9.1f} {urls * 1000:>8.1f}"
        )


if __name__ == "__main__":
    run()
