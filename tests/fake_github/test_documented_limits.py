"""The fake's documented secondary limits (limits.DocumentedLimits), each at GitHub's figure."""

from __future__ import annotations

import pytest

from fake_github.limits import DocumentedLimits


def admit(
    limits: DocumentedLimits, now: float, *, graphql: bool = False, kind: str = "read"
) -> bool:
    refusal = limits.admit(graphql, kind == "create", kind == "read", now)
    return refusal is None


def test_a_hundred_requests_may_be_in_flight_and_no_more() -> None:
    limits = DocumentedLimits()
    assert all(admit(limits, 0.0, graphql=n % 2 == 0) for n in range(100))
    assert not admit(limits, 0.0)  # REST and GraphQL share the hundred
    assert limits.refused is not None and limits.refused["concurrent requests"] == 1
    limits.done()
    assert admit(limits, 0.0)


def test_rest_points_are_900_a_minute_a_write_costing_five() -> None:
    limits = DocumentedLimits()
    for _ in range(179):
        assert admit(limits, 1.0, kind="write")
        limits.done()
    for _ in range(5):  # 895 points used: five reads fit, then nothing
        assert admit(limits, 1.0)
        limits.done()
    assert not admit(limits, 1.0)
    assert admit(limits, 1.0, graphql=True)  # GraphQL has its own 2,000
    limits.done()
    assert admit(limits, 61.0)  # the next minute


def test_graphql_points_are_2000_a_minute_a_mutation_costing_five() -> None:
    limits = DocumentedLimits()
    for _ in range(399):
        assert admit(limits, 0.0, graphql=True, kind="write")
        limits.done()
    for _ in range(5):  # 1,995 points used: five queries fit, then nothing
        assert admit(limits, 0.0, graphql=True)
        limits.done()
    assert not admit(limits, 0.0, graphql=True)
    assert admit(limits, 0.0)  # REST has its own 900
    limits.done()


@pytest.mark.parametrize("scale", [1.0, 0.1])
def test_content_creation_is_80_a_minute_and_500_an_hour(scale: float) -> None:
    limits = DocumentedLimits(scale)
    minute = 60 * scale
    made = 0
    for window in range(7):
        now = window * minute
        while admit(limits, now, kind="create"):
            limits.done()
            made += 1
        assert made == min(80 * (window + 1), 500)
    assert limits.refused is not None and limits.refused["content an hour"] >= 1
    assert admit(limits, 3600 * scale, kind="create")  # the next hour
