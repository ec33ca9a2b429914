"""The index merge: positions, unknown fields, idempotence."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from registry_action.core.registry import entry_for, new_registry, remove, upsert

T0, T1 = "2024-01-20T12:00:00.000Z", "2024-02-01T08:30:00.250Z"


def entry(plugin_id: str, version: str = "1.0.0", **extra: Any) -> dict[str, Any]:
    return {
        "id": plugin_id,
        "name": plugin_id,
        "version": version,
        "manifestUrl": f"https://r.dev/plugins/{plugin_id}.json",
        **extra,
    }


def registry(*entries: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"version": "1.0.0", "lastUpdated": T0, "plugins": list(entries), **extra}


def test_new_entry_is_appended_and_time_moves() -> None:
    result = upsert(registry(entry("a")), entry("b"), T1)
    assert result == {**registry(entry("a"), entry("b")), "lastUpdated": T1}


def test_existing_entry_keeps_position_and_unknown_fields() -> None:
    before = registry(entry("a"), entry("b", icon="b.svg", owner="team-b"), entry("c"), note="x")
    result = upsert(before, entry("b", "2.0.0"), T1)
    assert result is not None
    assert [e["id"] for e in result["plugins"]] == ["a", "b", "c"]
    assert result["plugins"][1] == entry("b", "2.0.0", icon="b.svg", owner="team-b")
    assert list(result["plugins"][1]) == ["id", "name", "version", "manifestUrl", "icon", "owner"]
    assert result["note"] == "x"
    assert list(result) == ["version", "lastUpdated", "plugins", "note"]


def test_unchanged_entry_means_no_change_and_no_new_timestamp() -> None:
    before = registry(entry("a", icon="a.svg"))
    assert upsert(before, entry("a"), T1) is None


def test_remove() -> None:
    assert remove(registry(entry("a"), entry("b")), "a", T1) == {
        **registry(entry("b")),
        "lastUpdated": T1,
    }
    assert remove(registry(entry("a")), "zzz", T1) is None


def test_entry_for_takes_only_the_index_fields() -> None:
    manifest = {**entry("a"), "description": "d", "ui": {}, "lastUpdated": T0}
    assert entry_for(manifest) == entry("a")


def test_new_registry_shape() -> None:
    assert new_registry(T0) == {"version": "1.0.0", "lastUpdated": T0, "plugins": []}


ids = st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), unique=True, max_size=12)
versions = st.sampled_from(["1.0.0", "1.2.3", "2.0.0-rc.1"])


@given(ids, st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), versions)
def test_upsert_is_idempotent_and_keeps_everyone(
    existing: list[str], new_id: str, version: str
) -> None:
    before = registry(*(entry(i, extra=i) for i in existing))
    once = upsert(before, entry(new_id, version), T1)
    current = once if once is not None else before
    assert upsert(current, entry(new_id, version), "2030-01-01T00:00:00.000Z") is None
    listed = [e["id"] for e in current["plugins"]]
    assert listed[: len(existing)] == existing
    assert set(listed) == set(existing) | {new_id}
    assert all(e.get("extra") == e["id"] for e in current["plugins"] if e["id"] in existing)


@given(ids, st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True))
def test_register_then_unregister_restores_the_plugins(existing: list[str], new_id: str) -> None:
    before = registry(*(entry(i) for i in existing if i != new_id))
    added = upsert(before, entry(new_id), T1)
    assert added is not None
    removed = remove(added, new_id, T1)
    assert removed is not None
    assert removed["plugins"] == before["plugins"]
