"""Answers GitHub would not give, and rate-limit headers it would not send: one line each.

A cache, a proxy or a gateway in front of the API can answer otherwise than GitHub documents
(the faults cite why). Each odd answer ends the run with one line naming the request and what
came back, writes nothing, and no header value makes the retries a flood or a crash.
``validate`` is the run here: it reads ``registry.json`` through the Contents API, where a
registration reads it in one GraphQL query with its manifest.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest

from fake_github import FakeGitHub, faults
from harness import REGISTRY, Action
from strict_checks import assert_failed_cleanly

INDEX = r"/contents/registry\.json$"
READ = "GET /repos/org/plugin-registry/contents/registry.json"
EMPTY = b'{"version": "1.0.0", "lastUpdated": "2024-01-20T12:00:00.000Z", "plugins": []}\n'
SEEDED = frozenset({"registry.json"})
ADVICE = "check `api-url` (a proxy or a captive portal in the way?)"


def not_base64(github: FakeGitHub) -> faults.Fault:
    document = {
        "type": "file",
        "name": "registry.json",
        "path": "registry.json",
        "sha": "0" * 40,
        "size": 12,
        "url": f"{github.api_url}/repos/{REGISTRY}/contents/registry.json?ref=main",
        "encoding": "base64",
        "content": "eyJ2ZXJzaW9uIjog*?!\n",
    }
    return faults.answer(200, json.dumps(document))


def to_itself(github: FakeGitHub) -> faults.Fault:
    return faults.redirect(301, f"{github.api_url}/repos/{REGISTRY}/contents/registry.json")


ODD = [
    (
        "304",
        lambda _: faults.answer(304),
        "304 (not modified) though it was asked for no cached copy",
    ),
    ("204", lambda _: faults.answer(204), "204 and no body instead of GitHub's JSON"),
    ("null", lambda _: faults.answer(200, "null"), "200 and JSON null instead of GitHub's JSON"),
    (
        "a string",
        lambda _: faults.answer(200, '"registry.json"'),
        "200 and a JSON string instead of GitHub's JSON",
    ),
    (
        "a submodule",
        lambda _: faults.answer(200, '{"type": "submodule", "sha": "' + "1" * 40 + '"}'),
        "a submodule, not a file",
    ),
    (
        "not base64",
        not_base64,
        "a file whose content is not base64 (Only base64 data is allowed)",
    ),
    ("a redirect to itself", to_itself, "301 and a redirect back to itself (a loop)"),
]


@pytest.mark.parametrize(
    ("answer", "what"), [(a, w) for _, a, w in ODD], ids=[i for i, _, _ in ODD]
)
def test_an_odd_contents_answer_is_one_line_naming_it(
    github: FakeGitHub, action: Action, answer: object, what: str
) -> None:
    github.put_file(REGISTRY, "registry.json", EMPTY)
    github.inject(method="GET", path_regex=INDEX, fault=answer(github), times=None)  # type: ignore[operator]
    run = action.run({"command": "validate", "registry-branch": "main"})
    host = urlsplit(github.api_url).netloc
    assert_failed_cleanly(
        run,
        f"::error title=GitHub refused the request::{host} answered {READ} with {what}; {ADVICE}",
        github,
        SEEDED,
    )


def test_addresses_redirecting_to_each_other_are_one_line(
    github: FakeGitHub, action: Action
) -> None:
    there = f"{github.api_url}/repos/{REGISTRY}/contents/other.json"
    back = f"{github.api_url}/repos/{REGISTRY}/contents/registry.json"
    github.inject(path_regex=INDEX, fault=faults.redirect(301, there), times=None)
    github.inject(path_regex=r"/other\.json$", fault=faults.redirect(301, back), times=None)
    run = action.run({"command": "validate", "registry-branch": "main"})
    host = urlsplit(github.api_url).netloc
    assert_failed_cleanly(
        run,
        f"::error title=GitHub refused the request::{host} answered GET /repos/{REGISTRY}/"
        f"contents/other.json with 301 and a redirect, the 6th in a row (a loop); {ADVICE}",
        github,
    )
    assert len(github.requests) == 6


RATE = (
    r"::error title=Gave up after retries::could not read registry\.json: {what} \({status} "
    r"{message}\); it asks to wait {wait} s \({source}\), more than the \d+ s left after "
    r"{tries} in \d+ s: the run's deadline is `timeout` \({timeout} s\): raise it, or re-run "
    r"later"
)
SECONDARY = {
    "what": r"GitHub's secondary rate limit \(shared by everything that uses this token or App "
    r"installation\) was hit",
    "status": "429",
    "message": r"You have exceeded a secondary rate limit\. Please wait a few minutes before you "
    r"try again\. If you reach out to GitHub Support for help, please include the req\.\.\.",
}
PRIMARY = {
    "what": r"the token's primary rate limit is used up",
    "status": "403",
    "message": r"API rate limit exceeded for installation ID 1\.",
}


def rate_line(limit: dict[str, str], wait: str, source: str, tries: str, timeout: int) -> str:
    return RATE.format(**limit, wait=wait, source=source, tries=tries, timeout=timeout)


def test_retry_after_zero_waits_a_second_between_tries(github: FakeGitHub, action: Action) -> None:
    github.put_file(REGISTRY, "registry.json", EMPTY)
    github.inject(path_regex=INDEX, fault=faults.too_many_requests("0"), times=None)
    run = action.run({"command": "validate", "registry-branch": "main", "timeout": "4"})
    source = r"its retry-after header: 0 s, raised to 1 s"
    assert len(run.errors) == 1 and run.status == 1
    assert re.fullmatch(rate_line(SECONDARY, "1", source, r"[34] tries", 4), run.errors[0])
    waits = re.findall(rf"waiting (1\.\d) s \({source}, plus jitter\)", run.stdout)
    assert len(waits) >= 2
    # A second at least between tries: not the hundreds a second a wait of 0 makes.
    assert 3 <= len(github.requests) <= 4
    assert github.writes == []


@pytest.mark.parametrize(
    ("fault", "limit", "wait", "source"),
    [
        (faults.too_many_requests("60000"), SECONDARY, "60000", "its retry-after header: 60000 s"),
        # Latin-1 superscript two (a "digit" to str.isdigit), and ARABIC-INDIC DIGIT THREE.
        (
            faults.too_many_requests("\u00b2"),
            SECONDARY,
            "60",
            "GitHub named no time: at least 60 s",
        ),
        (
            faults.too_many_requests("\u0663"),
            SECONDARY,
            "60",
            "GitHub named no time: at least 60 s",
        ),
        (
            faults.primary_rate_limit(reset_at="1767225600000"),
            PRIMARY,
            r"\d{13}",
            "its x-ratelimit-reset: epoch second 1767225600000",
        ),
        (
            faults.primary_rate_limit(reset_at="99999999999999999999"),
            PRIMARY,
            r"\d{20}",
            "its x-ratelimit-reset: epoch second 99999999999999999999",
        ),
    ],
    ids=["retry-after in ms", "superscript", "arabic-indic", "reset in ms", "reset far away"],
)
def test_a_rate_limit_header_past_the_deadline_is_refused_at_once(
    github: FakeGitHub,
    action: Action,
    fault: faults.Fault,
    limit: dict[str, str],
    wait: str,
    source: str,
) -> None:
    github.put_file(REGISTRY, "registry.json", EMPTY)
    github.inject(path_regex=INDEX, fault=fault, times=None)
    run = action.run({"command": "validate", "registry-branch": "main", "timeout": "30"})
    assert run.status == 1 and len(run.errors) == 1, run.stdout + run.stderr
    expected = rate_line(limit, wait, re.escape(source), "1 try", 30)
    assert re.fullmatch(expected, run.errors[0]), run.errors[0]
    assert "Traceback" not in run.stderr
    assert len(github.requests) == 1 and github.writes == []
