"""Semantic-version ordering and the downgrade guard."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry_action.core.versions import compare, guard_version
from registry_action.errors import DowngradeError

# Each version sorts strictly before the next (the specification's own example, extended).
ASCENDING = [
    "0.9.9",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.2.0",
    "1.10.0",
    "2.0.0",
]


@pytest.mark.parametrize(("lower", "higher"), list(itertools.pairwise(ASCENDING)))
def test_each_version_sorts_before_the_next(lower: str, higher: str) -> None:
    assert compare(lower, higher) == -1
    assert compare(higher, lower) == 1


def test_build_metadata_does_not_order() -> None:
    assert compare("1.2.3+build.7", "1.2.3") == 0


numbers = st.integers(min_value=0, max_value=10_000)


@given(numbers, numbers, numbers, numbers, numbers, numbers)
def test_order_agrees_with_numeric_tuples(a: int, b: int, c: int, x: int, y: int, z: int) -> None:
    expected = ((a, b, c) > (x, y, z)) - ((a, b, c) < (x, y, z))
    assert compare(f"{a}.{b}.{c}", f"{x}.{y}.{z}") == expected


def test_higher_or_equal_version_passes_silently() -> None:
    registered = {"registry.json": "1.4.2", "plugins/calendar.json": "1.4.2"}
    assert guard_version("calendar", "1.4.2", registered, allow_downgrade=False) is None
    assert guard_version("calendar", "1.5.0", registered, allow_downgrade=False) is None
    assert guard_version("calendar", "0.1.0", {}, allow_downgrade=False) is None


def test_lower_version_is_refused_naming_the_highest_registered() -> None:
    registered = {"registry.json": "1.4.2", "plugins/calendar.json": "1.5.0-rc.1"}
    with pytest.raises(DowngradeError) as caught:
        guard_version("calendar", "1.4.0", registered, allow_downgrade=False)
    assert caught.value.message == (
        "refusing to register calendar 1.4.0: plugins/calendar.json already has the higher "
        "version 1.5.0-rc.1; register 1.5.0-rc.1 or later, or set `allow-downgrade: true` "
        "to go back"
    )


def test_a_prerelease_of_the_registered_release_is_a_downgrade() -> None:
    with pytest.raises(DowngradeError, match=r"registry\.json already has the higher version"):
        guard_version("calendar", "2.0.0-rc.1", {"registry.json": "2.0.0"}, allow_downgrade=False)


def test_allowed_downgrade_goes_ahead_with_a_warning() -> None:
    warning = guard_version("calendar", "1.0.0", {"registry.json": "1.4.2"}, allow_downgrade=True)
    assert (
        warning == "calendar goes down from 1.4.2 (in registry.json) to 1.0.0: "
        "`allow-downgrade: true` is given"
    )
