"""A local fake of the GitHub REST API for tests: a real HTTP server PyGithub talks to.

Usage::

    from fake_github import FakeGitHub, faults

    with FakeGitHub() as gh:
        gh.add_repo("org/plugin-registry")
        gh.add_token("t0ken-write", permission="write")
        g = github.Github(base_url=gh.api_url, auth=github.Auth.Token("t0ken-write"))
        gh.inject(method="PUT", path_regex=r"/contents/registry\\.json$", fault=faults.status(502))

Standalone: ``PYTHONPATH=tests python -m fake_github --port 0 --repo org/plugin-registry``.
"""

from . import faults
from .faults import Fault, Fired, Injection
from .records import CommitInfo, PullInfo, RequestRecord
from .server import FakeGitHub

__all__ = [
    "CommitInfo",
    "FakeGitHub",
    "Fault",
    "Fired",
    "Injection",
    "PullInfo",
    "RequestRecord",
    "faults",
]
