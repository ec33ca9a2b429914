"""Folding: the index entries for manifests racing registrations committed, pure."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from registry_action.core.folding import fold, unlisted
from registry_action.core.strictjson import dumps
from registry_files import entry, manifest, registry

NOW = "2024-03-01T00:00:00.000Z"


def files(*manifests: dict[str, Any]) -> dict[str, bytes]:
    return {f"plugins/{m['id']}.json": dumps(m) for m in manifests}


def test_unlisted_manifests_come_in_order_of_their_ids_whatever_the_case() -> None:
    index = registry([entry(manifest("Todo"))])
    paths = ["plugins/b.json", "plugins/todo.json", "plugins/A.json", "registry.json"]
    assert unlisted(index, paths) == ["plugins/A.json", "plugins/b.json"]


def test_every_manifest_a_registration_would_have_written_is_listed_after_the_rest() -> None:
    index = registry([entry(manifest("todo"))])
    updated, ids = fold(index, files(manifest("b"), manifest("a", "2.0.0")), NOW)
    assert ids == ["a", "b"]
    assert updated is not None
    assert updated["plugins"] == [
        entry(manifest("todo")),
        entry(manifest("a", "2.0.0")),
        entry(manifest("b")),
    ]
    assert updated["lastUpdated"] == NOW


def test_only_what_a_registration_would_have_written_is_folded() -> None:
    index = registry([entry(manifest("todo")), entry(manifest("my-app"))])
    found = {
        "plugins/damaged.json": b'{"id": "damaged",',
        "plugins/elsewhere.json": dumps(manifest("other")),  # its id names another file
        "plugins/pointer.json": dumps(
            manifest("pointer", manifestUrl="https://raw.example/plugins/other.json")
        ),
        "plugins/TODO.json": dumps(manifest("TODO")),  # listed in another case
        "plugins/my_app.json": dumps(manifest("my_app")),  # the container of my-app
        "plugins/legacy.json": dumps(manifest("legacy", lastUpdated="not a date")),
    }
    assert fold(index, found, NOW) == (None, [])


def test_two_unlisted_manifests_of_one_container_fold_the_first_only() -> None:
    updated, ids = fold(registry([]), files(manifest("my-app"), manifest("my_app")), NOW)
    assert ids == ["my-app"] and updated is not None
    assert [e["id"] for e in updated["plugins"]] == ["my-app"]


@given(st.sets(st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True), max_size=8))
def test_a_fold_keeps_what_was_listed_and_lists_each_new_id_once(ids: set[str]) -> None:
    listed = sorted(ids)[: len(ids) // 2]
    index = registry([entry(manifest(i)) for i in listed])
    updated, folded = fold(index, files(*(manifest(i) for i in ids)), NOW)
    expected = sorted(ids - set(listed))
    assert folded == expected
    plugins = (updated or index)["plugins"]
    assert [e["id"] for e in plugins] == listed + expected
