"""The maps for other hosts (core/maps.py): derived from the index and its manifests only."""

from __future__ import annotations

from typing import Any

from registry_action.core.maps import build_maps, differences, map_problems
from registry_action.core.strictjson import dumps
from registry_files import entry, manifest, registry

KINDS = ("module-federation", "native-federation", "import-map")
SRI = "sha384-" + "A" * 63 + "B"


def documents(*manifests: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"plugins/{m['id']}.json": m for m in manifests}


def test_each_map_lists_the_index_in_its_order() -> None:
    board = manifest("team.board", ui={"remoteEntry": "https://b.dev/r.js", "expose": "./A"})
    calendar = manifest(
        "Calendar2",
        ui={"remoteEntry": "https://c.dev/r.js", "expose": "./A", "integrity": SRI},
    )
    index = registry([entry(calendar), entry(board)])
    assert build_maps(index, documents(board, calendar), KINDS) == {
        "maps/module-federation.json": [
            {
                "name": "Calendar2",
                "entry": "https://c.dev/r.js",
                "type": "var",
                "entryGlobalName": "Calendar2",
            },
            {
                "name": "teamboard",
                "entry": "https://b.dev/r.js",
                "type": "var",
                "entryGlobalName": "teamboard",
            },
        ],
        "maps/native-federation.json": {
            "Calendar2": "https://c.dev/r.js",
            "teamboard": "https://b.dev/r.js",
        },
        "maps/import-map.json": {
            "imports": {"Calendar2": "https://c.dev/r.js", "team.board": "https://b.dev/r.js"},
            "integrity": {"https://c.dev/r.js": SRI},
        },
    }


def test_only_listed_plugins_with_a_manifest_are_mapped() -> None:
    listed, unlisted = manifest("calendar"), manifest("notes")
    index = registry([entry(listed), entry(manifest("gone"))])
    maps = build_maps(index, documents(listed, unlisted), ["native-federation"])
    assert maps == {
        "maps/native-federation.json": {"calendar": listed["ui"]["remoteEntry"]},
    }
    assert build_maps(registry([]), {}, ["import-map"]) == {
        "maps/import-map.json": {"imports": {}, "integrity": {}}
    }


def test_differences_name_what_a_stale_map_lacks_or_keeps() -> None:
    new = build_maps(
        registry([entry(manifest("a")), entry(manifest("b"))]),
        documents(
            manifest("a"),
            manifest("b", ui={"remoteEntry": "https://new.dev/r.js", "expose": "./A"}),
        ),
        KINDS,
    )
    old = build_maps(
        registry([entry(manifest("b")), entry(manifest("c"))]),
        documents(manifest("b"), manifest("c")),
        KINDS,
    )
    for path in new:
        assert differences(old[path], new[path]) == "lacks a; still lists c; has another URL for b"
    assert differences([], new["maps/module-federation.json"]) == "lacks a, b"
    assert differences("text", new["maps/import-map.json"]) == "it is not a map of this kind"


def test_map_problems_name_each_missing_or_stale_map() -> None:
    calendar = manifest("calendar")
    index = dumps(registry([entry(calendar)]))
    files = {"plugins/calendar.json": dumps(calendar)}
    good = build_maps(registry([entry(calendar)]), documents(calendar), KINDS)
    maps = {
        "maps/module-federation.json": dumps(good["maps/module-federation.json"]),
        "maps/native-federation.json": b'{"calendar": "https://elsewhere.dev/r.js"}',
        "maps/import-map.json": None,
    }
    found = map_problems(index, files, maps, KINDS, "reindex")
    assert [(p.path, p.message) for p in found] == [
        (
            "maps/native-federation.json",
            "this map does not agree with registry.json (has another URL for calendar): reindex",
        ),
        ("maps/import-map.json", "there is no such map, though it is asked for: reindex"),
    ]
    # Written in another form but saying the same: it agrees.
    maps["maps/native-federation.json"] = (
        b'{ "calendar" : "%s" }' % calendar["ui"]["remoteEntry"].encode()
    )
    maps["maps/import-map.json"] = b"{not json"
    [problem] = map_problems(index, files, maps, KINDS, "reindex")
    assert problem.path == "maps/import-map.json" and problem.line == 1
    assert map_problems(b"{", files, maps, KINDS, "reindex") == []  # the index's own problem
