"""The fake's repositories: branches, commits, blobs and pull requests.

Nothing here locks: the server holds its one lock around every call.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .gitobjects import blob_sha, commit_sha, tree_sha

SHA_RE = re.compile(r"[0-9a-f]{40}")
DEFAULT_IDENTITY = {
    "name": "registry-bot[bot]",
    "email": "registry-bot[bot]@users.noreply.github.com",
}


def iso_date(epoch: float) -> str:
    """GitHub's timestamp format: ``2024-01-20T12:00:00Z``."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(identity: Mapping[str, str], default: float) -> int:
    date = identity.get("date")
    if not date:
        return int(default)
    return int(datetime.fromisoformat(date.replace("Z", "+00:00")).timestamp())


@dataclass(frozen=True)
class Commit:
    """One commit: a full snapshot of the tree plus what changed."""

    sha: str
    tree_sha: str
    files: Mapping[str, str]
    parents: tuple[str, ...]
    message: str
    author: Mapping[str, str]
    committer: Mapping[str, str]
    given_author: Mapping[str, str] | None
    given_committer: Mapping[str, str] | None
    changed: tuple[str, ...]

    @property
    def verified(self) -> bool:
        """GitHub signs commits made with its own identity (no custom author or committer)."""
        return self.given_author is None and self.given_committer is None


@dataclass
class Pull:
    """A pull request between two branches of one repository."""

    number: int
    title: str
    body: str | None
    head: str
    base: str
    state: str = "open"
    merged: bool = False
    merge_commit_sha: str | None = None
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)


@dataclass
class Repo:
    """A repository: commits, branch heads, blobs and pull requests."""

    id: int
    owner: str
    name: str
    default_branch: str
    description: str
    private: bool
    created_at: float = field(default_factory=time.time)
    branches: dict[str, str] = field(default_factory=dict)
    protected: set[str] = field(default_factory=set)
    commits: dict[str, Commit] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    pulls: dict[int, Pull] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def head(self, branch: str) -> Commit:
        return self.commits[self.branches[branch]]

    def resolve(self, ref: str | None) -> Commit | None:
        """The commit a ``ref`` names: a branch, ``heads/x``, ``refs/heads/x`` or a commit sha."""
        if not ref:
            ref = self.default_branch
        name = ref.removeprefix("refs/").removeprefix("heads/")
        if name in self.branches:
            return self.head(name)
        if SHA_RE.fullmatch(ref) and ref in self.commits:
            return self.commits[ref]
        return None

    def history(self, branch: str) -> list[Commit]:
        """First-parent history of ``branch``, oldest first."""
        out: list[Commit] = []
        sha: str | None = self.branches[branch]
        while sha is not None:
            commit = self.commits[sha]
            out.append(commit)
            sha = commit.parents[0] if commit.parents else None
        out.reverse()
        return out

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        seen: set[str] = set()
        todo = [descendant]
        while todo:
            sha = todo.pop()
            if sha == ancestor:
                return True
            if sha not in seen:
                seen.add(sha)
                todo.extend(self.commits[sha].parents)
        return False

    def merge_base(self, a: str, b: str) -> str | None:
        for commit in reversed(self.history_from(b)):
            if self.is_ancestor(commit, a):
                return commit
        return None

    def history_from(self, sha: str) -> list[str]:
        out: list[str] = []
        current: str | None = sha
        while current is not None:
            out.append(current)
            parents = self.commits[current].parents
            current = parents[0] if parents else None
        out.reverse()
        return out

    def commit(
        self,
        branch: str | None,
        changes: Mapping[str, bytes | None],
        message: str,
        *,
        author: Mapping[str, str] | None = None,
        committer: Mapping[str, str] | None = None,
        parents: tuple[str, ...] | None = None,
        base_files: Mapping[str, str] | None = None,
    ) -> Commit:
        """Record a commit on ``branch`` applying ``changes`` (``None`` deletes), move its head."""
        now = time.time()
        if parents is None:
            parents = (self.branches[branch],) if branch and branch in self.branches else ()
        if base_files is None:
            base_files = self.commits[parents[0]].files if parents else {}
        files = dict(base_files)
        for path, data in changes.items():
            if data is None:
                files.pop(path, None)
            else:
                sha = blob_sha(data)
                self.blobs[sha] = data
                files[path] = sha
        eff_committer = dict(committer or author or DEFAULT_IDENTITY)
        eff_author = dict(author or eff_committer)
        for identity in (eff_author, eff_committer):
            identity["date"] = iso_date(_epoch(identity, now))
        tree = tree_sha(files)
        sha = commit_sha(
            tree, parents, _git_identity(eff_author), _git_identity(eff_committer), message
        )
        new = Commit(
            sha=sha,
            tree_sha=tree,
            files=files,
            parents=parents,
            message=message,
            author=eff_author,
            committer=eff_committer,
            given_author=dict(author) if author else None,
            given_committer=dict(committer) if committer else None,
            changed=tuple(changes),
        )
        self.commits[sha] = new
        if branch:
            self.branches[branch] = sha
        return new


def _git_identity(identity: Mapping[str, str]) -> str:
    epoch = _epoch(identity, time.time())
    return f"{identity.get('name', '')} <{identity.get('email', '')}> {epoch} +0000"


def directory_entries(files: Mapping[str, str], directory: str) -> list[tuple[str, str, str]]:
    """``(name, path, type)`` of the direct children of ``directory`` in a snapshot, sorted."""
    prefix = f"{directory}/" if directory else ""
    entries: dict[str, tuple[str, str, str]] = {}
    for path in files:
        if path.startswith(prefix):
            name, _, rest = path[len(prefix) :].partition("/")
            entries[name] = (name, prefix + name, "dir" if rest else "file")
    return [entries[name] for name in sorted(entries)]


def is_directory(files: Mapping[str, str], path: str) -> bool:
    return path == "" or any(p.startswith(path + "/") for p in files)


@dataclass(frozen=True)
class Token:
    """A token the fake accepts; ``repos`` of ``None`` reaches every repository."""

    value: str
    permission: str = "write"
    repos: frozenset[str] | None = None
    kind: str = "app"
    login: str = "registry-bot[bot]"

    def reaches(self, repo: Repo) -> bool:
        return self.repos is None or repo.full_name.lower() in self.repos


@dataclass
class StaleEntry:
    """The version of a path reads keep seeing for ``remaining`` more reads."""

    previous: str | None
    remaining: int
    until: float = 0.0  # reads before this moment see ``previous`` too, however many

    def lagging(self, now: float) -> bool:
        return self.remaining > 0 or now < self.until


@dataclass
class State:
    """Everything the fake knows; guarded by the server's lock."""

    repos: dict[str, Repo] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    stale: dict[tuple[str, str, str], StaleEntry] = field(default_factory=dict)
    stale_read_count: int = 0
    stale_read_seconds: float = 0.0
    latency: float = 0.0
    rate_limit: int = 5000
    # A recursive tree listing is cut at 100,000 entries or 7 MB (trees.get_tree cites GitHub).
    tree_limit: int = 100_000
    tree_bytes: int = 7 * 1024 * 1024
    # A GraphQL answer past these many texts or bytes of text is GitHub's timeout, a 502
    # (graphql.py cites GitHub).
    graphql_texts: int = 500
    graphql_bytes: int = 4_000_000
    # ... and past these many path histories in one query.
    graphql_histories: int = 100
    # A Contents API write is built on the branch head as it was when the request arrived, and
    # refused if another commit moved the head before it is made (contents.py cites GitHub).
    parallel_writes_race: bool = True
    listing_limit: int = 1000  # entries of a Contents API directory listing
    trees: dict[str, tuple[Mapping[str, str], str]] = field(default_factory=dict)
    moved: dict[str, int] = field(default_factory=dict)  # old owner/name (lowered) -> id
    usage: dict[str, int] = field(default_factory=dict)
    window_start: float = field(default_factory=time.time)
    next_id: int = 1000

    def repo(self, full_name: str) -> Repo | None:
        return self.repos.get(full_name.lower())

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id
