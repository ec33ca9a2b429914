"""The health gate's polling, with a fake clock: the window, the backoff and the message."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from registry_action.engine.health import Answer, HealthGate, Probe, health_url, probes_for
from registry_action.errors import HealthCheckError, InputError

HEALTH = Probe("the health endpoint", "https://cal.fly.dev/api/health", "2xx")
ENTRY = Probe("the remote entry", "https://cal-ui.pages.dev/assets/remoteEntry.js", "200")


@dataclass
class Scripted:
    """Answers in order per URL (the last one repeats); time moves only when the gate sleeps."""

    answers: dict[str, list[Answer]]
    now: float = 0.0
    calls: list[tuple[float, str, float]] = field(default_factory=list)
    pauses: list[float] = field(default_factory=list)

    def fetch(self, url: str, timeout: float) -> Answer:
        self.calls.append((self.now, url, timeout))
        queue = self.answers[url]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds

    def gate(self, window: float) -> HealthGate:
        return HealthGate(window, self.fetch, lambda: self.now, self.sleep, lambda _: None)


OK = Answer(200, "answered 200 OK")
DOWN = Answer(503, "answered 503 Service Unavailable")


def test_backoff_doubles_up_to_ten_seconds_and_stops_at_the_window() -> None:
    script = Scripted({HEALTH.url: [DOWN]})
    with pytest.raises(HealthCheckError) as failed:
        script.gate(40).wait([HEALTH])
    assert script.pauses == [1, 2, 4, 8, 10, 10, 5]
    assert script.now == 40
    assert str(failed.value) == (
        "the deployment is not healthy: the health endpoint https://cal.fly.dev/api/health "
        "answered 503 Service Unavailable (expected 2xx) after 40s of waiting; nothing was "
        "registered. Check the deployment, or raise `health-check-timeout` if it needs longer "
        "to go live"
    )


def test_request_timeout_never_outlasts_the_window() -> None:
    script = Scripted({HEALTH.url: [DOWN]})
    with pytest.raises(HealthCheckError):
        script.gate(12).wait([HEALTH])
    assert [timeout for _, _, timeout in script.calls] == [10, 10, 9, 5, 1]


def test_each_probe_must_pass_within_one_shared_window() -> None:
    script = Scripted({HEALTH.url: [DOWN, DOWN, OK], ENTRY.url: [Answer(204, "answered 204")]})
    with pytest.raises(HealthCheckError) as failed:
        script.gate(5).wait([HEALTH, ENTRY])
    # Health came up after 3s; the remote entry's 204 is not the 200 it must give.
    assert [url for _, url, _ in script.calls][:3] == [HEALTH.url] * 3
    assert script.now == 5
    assert "the remote entry" in str(failed.value) and "(expected 200)" in str(failed.value)


def test_a_zero_window_tries_once() -> None:
    script = Scripted({HEALTH.url: [OK], ENTRY.url: [OK]})
    script.gate(0).wait([HEALTH, ENTRY])
    assert [url for _, url, _ in script.calls] == [HEALTH.url, ENTRY.url]
    assert script.pauses == []


@pytest.mark.parametrize(
    ("deployment", "check", "expected"),
    [
        ("https://cal.fly.dev", "/api/health", "https://cal.fly.dev/api/health"),
        ("https://cal.fly.dev/", "/api/health", "https://cal.fly.dev/api/health"),
        ("https://cal.fly.dev/base", "healthz", "https://cal.fly.dev/base/healthz"),
        ("https://cal.fly.dev", "", "https://cal.fly.dev"),
    ],
)
def test_health_url_joins_with_one_slash(deployment: str, check: str, expected: str) -> None:
    assert health_url(deployment, check) == expected


def test_probes_follow_the_manifest() -> None:
    manifest = {
        "server": {"deploymentUrl": "https://cal.fly.dev", "healthCheck": "/api/health"},
        "ui": {"remoteEntry": ENTRY.url},
    }
    assert probes_for(manifest) == [HEALTH, ENTRY]
    assert probes_for({"ui": {"remoteEntry": ENTRY.url}}) == [ENTRY]
    with pytest.raises(InputError, match="nothing to check"):
        probes_for({"id": "cal"})
