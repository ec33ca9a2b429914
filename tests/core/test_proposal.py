"""Pull-request mode against in-memory branches: what is proposed, re-runs and conflicts."""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass, field
from typing import Any

from memory_store import MemoryStore
from registry_action.core.manifest import PluginSpec, render_manifest
from registry_action.core.strictjson import dumps
from registry_action.engine.proposal import Proposer, pull_title
from registry_action.engine.retry import RetryPolicy, RunOptions
from registry_action.store.interface import Deadline, ProposalHost, PullRequest, RegistryStore
from registry_files import plugin_spec

BASE = "https://raw.githubusercontent.com/org/plugin-registry/main"


def spec(version: str = "1.0.0") -> PluginSpec:
    return plugin_spec("calendar", version)


@dataclass
class MemoryHost(ProposalHost):
    """Branches as in-memory stores; pull requests as (head, title, body) by number."""

    main: MemoryStore
    branches: dict[str, MemoryStore] = field(default_factory=dict)
    pulls: dict[int, tuple[str, str, str]] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return "main"

    def files_on(self, branch: str) -> RegistryStore:
        return self.branches[branch]

    def find_open_pull(self, head: str) -> PullRequest | None:
        found = [n for n, (h, _, _) in self.pulls.items() if h == head]
        return PullRequest(found[0], f"https://pulls/{found[0]}") if found else None

    def start_branch(self, name: str) -> None:
        self.branches[name] = MemoryStore(files=dict(self.main.files))

    def create_pull(self, head: str, title: str, body: str) -> PullRequest:
        number = len(self.pulls) + 1
        self.pulls[number] = (head, title, body)
        return PullRequest(number, f"https://pulls/{number}")

    def update_pull(self, number: int, title: str, body: str) -> PullRequest:
        self.pulls[number] = (self.pulls[number][0], title, body)
        return PullRequest(number, f"https://pulls/{number}")


def proposer(host: MemoryHost, pauses: list[float] | None = None) -> Proposer:
    ticks = (f"2024-01-20T12:00:{s:02d}.000Z" for s in itertools.count())
    return Proposer(
        host.main,
        host,
        RunOptions(
            deadline=Deadline(600),
            clock=lambda: next(ticks),
            policy=RetryPolicy(max_attempts=3),
            log=lambda _: None,
            sleep=(pauses if pauses is not None else []).append,
            rng=random.Random(7),
        ),
    )


def manifest(store: MemoryStore) -> Any:
    return json.loads(store.files["plugins/calendar.json"])


def test_proposal_writes_only_the_manifest_on_its_branch() -> None:
    host = MemoryHost(MemoryStore(files={"registry.json": b"{}"}))
    done = proposer(host).propose(spec(), "Update plugin: calendar")
    assert done.pull_request == PullRequest(1, "https://pulls/1")
    assert host.main.writes == []
    assert host.branches["registry/calendar"].writes == [("write", "plugins/calendar.json")]
    assert manifest(host.branches["registry/calendar"])["version"] == "1.0.0"
    assert done.outcome.changed and done.outcome.previous_version is None


def test_a_concurrent_commit_on_the_branch_is_re_read_and_retried() -> None:
    host = MemoryHost(MemoryStore())
    proposer(host).propose(spec(), "first")
    branch = host.branches["registry/calendar"]
    raced = False

    def rival(operation: str, path: str) -> None:
        nonlocal raced
        if not raced:  # another run of the same plugin commits first, once
            raced = True
            branch.files[path] = b'{"id": "calendar"}\n'

    branch.before_write = rival
    pauses: list[float] = []
    done = proposer(host, pauses).propose(spec("1.1.0"), "second")
    assert done.outcome.attempts == 2 and len(pauses) == 1
    assert manifest(branch)["version"] == "1.1.0"
    assert list(host.pulls) == [1]
    assert host.pulls[1][1] == "Register plugin calendar 1.1.0"


def test_nothing_to_propose_when_the_registry_already_has_the_manifest() -> None:
    registered = proposer(MemoryHost(MemoryStore())).propose(spec(), "m").outcome.manifest
    host = MemoryHost(MemoryStore(files={"plugins/calendar.json": dumps(registered)}))
    done = proposer(host).propose(spec(), "m")
    assert (done.outcome.changed, done.pull_request, host.branches) == (False, None, {})


def test_titles_say_what_merging_does() -> None:
    assert pull_title(spec("1.0.0"), None) == "Register plugin calendar 1.0.0"
    assert pull_title(spec("1.0.0"), "1.0.0") == "Update plugin calendar 1.0.0"
    assert pull_title(spec("1.1.0"), "1.0.0") == "Update plugin calendar from 1.0.0 to 1.1.0"


def test_an_id_on_the_branch_in_another_case_is_proposed_under_its_spelling() -> None:
    listed = plugin_spec("Calendar2", "1.0.0")
    main = MemoryStore(
        files={"plugins/Calendar2.json": dumps(render_manifest(listed, "2024-01-01T00:00:00.000Z"))}
    )
    host = MemoryHost(main)

    done = proposer(host).propose(plugin_spec("calendar2", "1.1.0"), "Update plugin: calendar2")

    assert done.outcome.plugin_id == "Calendar2"
    assert [head for head, _, _ in host.pulls.values()] == ["registry/Calendar2"]
    branch = host.branches["registry/Calendar2"]
    assert sorted(branch.files) == ["plugins/Calendar2.json"]
    proposed = json.loads(branch.files["plugins/Calendar2.json"])
    assert (proposed["id"], proposed["version"]) == ("Calendar2", "1.1.0")
    assert proposed["manifestUrl"] == f"{BASE}/plugins/Calendar2.json"
