"""A registry in a GitHub repository, through the REST Contents API (PyGithub).

make_client builds the one PyGithub client a run uses, with the HTTP transport and retries of
http.py; GitHub's refusals become the project's errors with advice (errors.py). The token is
only ever handed to PyGithub's Token auth, which sends it in the Authorization header; it
never appears in a URL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NoReturn, TypeVar

import requests
from github import Auth, Github, GithubException, InputGitAuthor
from github.Commit import Commit
from github.Repository import Repository
from urllib3.exceptions import HTTPError as Urllib3Error

from registry_action.errors import GitHubError
from registry_action.store.github import http, parking
from registry_action.store.github.answers import decoded, file_document, odd_document
from registry_action.store.github.commit_times import last_commits
from registry_action.store.github.commits import (
    COMMIT_LIMIT,
    commit_input,
    committer_notice,
    create_commit,
)
from registry_action.store.github.errors import (
    github_message,
    is_missing_ref,
    pull_request_hint,
    translate,
    unreachable,
)
from registry_action.store.github.history import HistoryReader
from registry_action.store.github.http import GitHubRetry, waits_of
from registry_action.store.github.moves import Found, find, moved_notice
from registry_action.store.github.snapshot import MissingBranch, read_snapshot
from registry_action.store.github.snapshot import Moved as MovedInGraphQL
from registry_action.store.github.texts import Blob, TextReader
from registry_action.store.github.tree import Moved, TreeReader, last_commit_time
from registry_action.store.github.waits import BACKOFF_BASE_SECONDS, SECONDARY_WAIT_SECONDS, Waits
from registry_action.store.interface import (
    CommitLimit,
    ConflictError,
    Deadline,
    FileWrite,
    Parked,
    RegistryStore,
    Revision,
    Snapshot,
    StoredFile,
    VanishedError,
    WriteResult,
    blob_sha,
)

T = TypeVar("T")

# A request that takes longer than this is abandoned and retried: GitHub answers Contents API
# calls in well under a second, and a hung connection must not hold a deploy pipeline.
TIMEOUT_SECONDS = 20


def make_client(
    token: str,
    api_url: str,
    *,
    timeout: int = TIMEOUT_SECONDS,
    deadline: Deadline,
    log: Callable[[str], None] = print,
    secondary_wait: float = SECONDARY_WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    epoch: Callable[[], float] = time.time,
    backoff: float | None = None,
) -> Github:
    """A PyGithub client with this program's timeouts, retries and no self-throttling.

    Transport retries (rate limits, 5xx, resets, timeouts) are GitHubRetry's, until
    ``deadline``; conflicts are the publish loop's. ``sleep`` and ``epoch`` let tests wait
    nothing; ``backoff`` shortens the waits between retries of transient faults.
    """
    waits = Waits(
        deadline=deadline,
        log=log,
        sleep=sleep,
        epoch=epoch,
        backoff=BACKOFF_BASE_SECONDS if backoff is None else backoff,
    )
    http.install()
    # PyGithub waits 0.25 s between requests and 1 s between writes by default; a run makes at
    # most a few requests, so that throttle only slows every pipeline down.
    return Github(
        auth=Auth.Token(token),
        base_url=api_url.rstrip("/"),
        timeout=timeout,
        retry=GitHubRetry(waits, secondary_rate_wait=secondary_wait),
        seconds_between_requests=None,
        seconds_between_writes=None,
        per_page=100,
        lazy=True,
    )


class GitHubStore(RegistryStore):
    """Files on one branch of a GitHub repository."""

    def __init__(
        self,
        client: Github,
        repository: str,
        branch: str | None,
        committer: tuple[str, str] | None = None,
        protected_hint: str | None = None,
        names: tuple[str, str] = ("registry-repository", "registry-branch"),
    ) -> None:
        self._repository_name = repository
        self._names = names  # the settings that named the repository and branch, for advice
        self._waits = waits_of(client)
        self._protected_hint = protected_hint or pull_request_hint()
        # The client is lazy: no request until a file is read or written.
        self._client = client
        self._repo: Repository = client.get_repo(repository)
        self._branch = branch
        self._committer = InputGitAuthor(*committer) if committer else None
        self._found: Found | None = None
        # With the branch given, the repository is looked up only once a redirect has shown
        # that it moved: a run against a repository under its own name saves that request.
        self._moved = False
        self._notices: tuple[str, ...] = ()
        # The repository's GraphQL node id, from the last snapshot: parking names it by that.
        self._node_id: str | None = None

    def _call(
        self,
        doing: str,
        request: Callable[[], T],
        *,
        may_be_missing: bool = False,
        contents_write: bool = False,
    ) -> T:
        """Run one PyGithub call; every way it can fail becomes one of the project's errors.

        ``contents_write``: the call is a Contents API PUT or DELETE (its 409 is a conflict).
        """
        try:
            return request()
        except GithubException as exc:
            if may_be_missing and exc.status == 404 and not is_missing_ref(exc):
                raise _Missing(exc) from None
            raise translate(
                exc,
                self._repository_name,
                self._branch,
                doing,
                self._protected_hint,
                self._waits,
                contents_write=contents_write,
                names=self._names,
            ) from None
        except (requests.RequestException, Urllib3Error, OSError) as exc:
            raise unreachable(exc, self._repository_name, doing, self._waits) from None
        except KeyError:
            # A write answered 307 (the repository moved since it was looked up) carries none
            # of the fields PyGithub reads: look the repository up again and retry.
            raise self._moved_meanwhile(doing) from None
        # A redirect to another host never reaches PyGithub: the transport refuses it.

    def _moved_meanwhile(self, doing: str) -> ConflictError:
        """The conflict for an answer showing the repository moved; the next request looks it up."""
        self._found, self._moved = None, True
        return ConflictError(
            f"could not {doing}: {self._repository_name} was renamed or moved meanwhile",
            outdated=False,
        )

    def _ready(self) -> None:
        """Look the repository up again once a redirect has shown that it moved."""
        if self._moved and self._found is None:
            self._lookup()

    def _lookup(self) -> Found:
        """Look the repository up, so that every request names it as it is now."""
        if self._found is None:
            requester = self._client.requester
            found = self._call(
                "read the repository",
                lambda: find(requester, requester.base_url, self._repository_name),
            )
            notice = moved_notice(self._repository_name, found.full_name)
            if notice is not None:
                self._notices = (notice,)
                self._repository_name = found.full_name
                self._repo = self._client.get_repo(found.full_name)
            self._found = found
        return self._found

    @property
    def repository(self) -> str:
        """``owner/name`` of the registry as GitHub names it now."""
        _ = self.branch  # looks the repository up when the branch or a redirect needs it
        return self._repository_name

    @property
    def notices(self) -> tuple[str, ...]:
        return self._notices

    @property
    def branch(self) -> str:
        """The branch written; the repository's default branch unless one was given."""
        if self._branch is None:
            self._branch = self._lookup().default_branch
        self._ready()
        return self._branch

    @property
    def description(self) -> str:
        return f"{self._repository_name}@{self.branch}"

    def read(self, path: str) -> StoredFile | None:
        return self._file(path, self.branch)

    def _file(self, path: str, ref: str) -> StoredFile | None:
        """The file at ``path`` as of ``ref`` (a branch or a commit), or None."""
        try:
            found = self._call(
                f"read {path}",
                lambda: self._repo.get_contents(path, ref=ref),
                may_be_missing=True,
            )
        except _Missing:
            return None
        if isinstance(found, list):
            raise GitHubError(f"{path} in {self.description} is a folder, not a file")
        odd = self._odd(f"GET /repos/{self._repository_name}/contents/{path}")
        sha, content = file_document(found.raw_data, odd)
        if f"/repos/{self._repository_name}/".lower() not in str(found.url).lower():
            # PyGithub followed a 301 by path, dropping ?ref=: this may be another ref's file.
            raise self._moved_meanwhile(f"read {path}")
        if content is not None:
            return StoredFile(path, decoded(content, odd), sha)
        # Above 1 MB the Contents API sends no inline content (encoding "none"); the blob API
        # returns any file up to GitHub's 100 MB limit, and the sha pins the very version read.
        return StoredFile(path, b"" if found.size == 0 else self._blob(path, sha), sha)

    def _odd(self, where: str) -> Callable[[str], GitHubError]:
        """The error for an answer to ``where`` that is not what GitHub sends."""
        return lambda what: odd_document(self._client.requester.base_url, where, what)

    def head(self) -> str | None:
        branch = self.branch
        ref = self._call("read the branch", lambda: self._repo.get_git_ref(f"heads/{branch}"))
        return ref.object.sha

    def read_at(self, path: str, commit: str | None) -> StoredFile | None:
        # A commit never changes, so a read at one is exact where a read of the branch may lag.
        return self._file(path, commit or self.branch)

    def _trees(self) -> TreeReader:
        return TreeReader(
            self._client.requester,
            self._repo.url,
            self._repository_name,
            lambda doing, request: self._call(doing, request),
        )

    def _blob(self, path: str, sha: str) -> bytes:
        blob = self._call(f"read {path}", lambda: self._repo.get_git_blob(sha))
        odd = self._odd(f"GET /repos/{self._repository_name}/git/blobs/{sha}")
        return decoded(str(blob.content or ""), odd)

    def list_dir(self, path: str) -> list[str]:
        # The Contents API would list at most 1,000 files, without a word.
        return sorted(self._in_folder(lambda trees, branch: trees.listing(branch, path)[1]))

    def read_folder(self, path: str) -> dict[str, StoredFile]:
        """Every file of the folder in a few requests: one listing, a few GraphQL queries."""
        return self._in_folder(lambda trees, branch: trees.read_folder(branch, path, self._blob))

    def _in_folder(self, read: Callable[[TreeReader, str], T]) -> T:
        """A whole-folder read, made again under the repository's new name if it moved."""
        for _ in range(2):
            branch = self.branch  # looks the repository up again after a move
            try:
                return read(self._trees(), branch)
            except Moved:
                self._found, self._moved = None, True
        raise self._moved_meanwhile("list the registry")

    def snapshot(
        self, paths: Sequence[str], folder: str, last_commit_of: Sequence[str] = ()
    ) -> Snapshot:
        """The head, ``paths`` and ``folder``'s listing in one GraphQL query (snapshot.py); if
        GitHub stopped the query, through REST: the head, then each file at it."""
        for looked_up in (False, True):
            where = (self.repository, self.branch)  # looks the repository up after a move
            call = self._call
            try:
                asked = (paths, folder, last_commit_of)
                answered = read_snapshot(self._client.requester, call, where, asked, self._blob)
            except MovedInGraphQL:
                if looked_up:
                    break
                self._found, self._moved = None, True
                continue
            except MissingBranch as exc:
                missing = GithubException(404, {"message": str(exc)}, None)
                raise translate(
                    missing, self._repository_name, self._branch, "read", names=self._names
                ) from None
            if answered is None:
                return super().snapshot(paths, folder, last_commit_of)
            found, self._node_id = answered
            return found
        raise GitHubError(
            f"GitHub's GraphQL API does not find {self._repository_name}, though its REST API "
            "does: use a token GitHub's GraphQL API accepts (an App installation token, a "
            "fine-grained token or GITHUB_TOKEN)"
        )

    def read_versions(self, versions: Mapping[str, str]) -> dict[str, StoredFile]:
        """The files at the versions given, by their blob shas: GraphQL, else the blob API."""
        requester, call = self._client.requester, self._call
        texts = TextReader(requester, self.repository, call).read(
            [Blob(sha, 0) for sha in versions.values()]
        )
        found = {}
        for path, sha in versions.items():
            content = texts.get(sha)
            found[path] = StoredFile(
                path, self._blob(path, sha) if content is None else content, sha
            )
        return found

    def read_folder_at(self, path: str, commit: str | None) -> dict[str, StoredFile]:
        return self._trees().read_folder(self.branch, path, self._blob, commit)

    @property
    def commit_limit(self) -> CommitLimit:
        return COMMIT_LIMIT

    def commit(
        self, changes: Sequence[FileWrite], expected_head: str | None, message: str
    ) -> list[WriteResult]:
        """One commit of every change (GraphQL ``createCommitOnBranch``), if the branch is still
        at ``expected_head``: the files were read there, so each version still holds."""
        if not changes or expected_head is None:
            raise ValueError("a commit needs changes and the head they were read at")
        if self._committer is not None:
            # The mutation records the token's owner as the author, whatever is asked.
            self._notices = (*dict.fromkeys((*self._notices, committer_notice())),)
        branch, where = self.branch, self.description
        variables = {
            "input": commit_input(self._repository_name, branch, expected_head, changes, message)
        }
        requester = self._client.requester
        self._before_write(f"committing {len(changes)} files")
        with self._mutating():
            made = self._call(
                f"commit {len(changes)} files",
                lambda: create_commit(requester, variables, where, self._protected_hint),
            )
        return made.results(changes, expected_head)

    def park(self, path: str, content: bytes, head: str, message: str) -> str | None:
        """One GraphQL request: the branch made at ``head`` and the manifest committed on it
        (parking.py); a branch made but left without the commit is removed again."""
        if self._node_id is None:
            return None
        where = (self._repository_name, self._node_id, self.branch)
        send = parking.sender(self._client.requester)
        self._before_write(f"parking {path}")
        write = FileWrite(path, content, None)
        with self._mutating():
            parked, left = self._call(
                f"park {path}", lambda: parking.park(send, where, write, head, message)
            )
        if left is not None:
            self.unpark({path: head})
        return parked

    def read_parked(self, parked: Mapping[str, str]) -> list[Parked]:
        """Each parked manifest and the file's version before it, in one query."""
        if not parked:
            return []
        reader = self._history_reader()
        pairs = parking.expressions(parked)
        files = reader.files_at(pairs)
        send = parking.sender(self._client.requester)
        said = self._call(
            "read the parked commits",
            lambda: parking.messages(send, self.repository, list(parked.values())),
        )
        found = []
        for (path, commit), content, base, message in zip(
            pairs[::2], files[::2], files[1::2], said, strict=True
        ):
            version = None if base is None else blob_sha(base)
            found.append(Parked(path, commit, content, version, message))
        return found

    def unpark(self, parked: Mapping[str, str]) -> None:
        """One request of ``updateRefs`` mutations, each removing one branch if unmoved."""
        if not parked or self._node_id is None:
            return
        branch, node_id = self.branch, self._node_id
        refs = {parking.parked_ref(branch, path): commit for path, commit in parked.items()}
        send = parking.sender(self._client.requester)
        self._before_write(f"removing {len(refs)} parked branches")
        with self._mutating():
            self._call("remove parked branches", lambda: parking.unpark(send, node_id, refs))

    def pace(self) -> None:
        self._before_write("reading for its next write")

    @contextmanager
    def _mutating(self) -> Iterator[None]:
        """Around a GraphQL mutation: a secondary limit refusing it spreads this run's writes,
        as for any write."""
        if self._waits is None:
            yield
            return
        self._waits.mutating = True
        try:
            yield
        finally:
            self._waits.mutating = False

    def _before_write(self, what: str) -> None:
        if self._waits is not None:
            self._waits.before_write(what)

    def write(
        self,
        path: str,
        content: bytes,
        expected: str | None,
        message: str,
        *,
        retry_limits: bool = True,
    ) -> WriteResult:
        if retry_limits:
            self._before_write(f"writing {path}")  # else the caller paced its read (pace())
        waits = self._waits
        if waits is not None:
            waits.hand_back_limits = not retry_limits
        try:
            return self._write(path, content, expected, message)
        finally:
            if waits is not None:
                waits.hand_back_limits = False

    def _write(self, path: str, content: bytes, expected: str | None, message: str) -> WriteResult:
        extra: dict[str, Any] = {"committer": self._committer} if self._committer else {}
        branch = self.branch
        if expected is None:
            result = self._call(
                f"write {path}",
                lambda: self._repo.create_file(path, message, content, branch, **extra),
                contents_write=True,
            )
        else:
            result = self._call(
                f"write {path}",
                lambda: self._repo.update_file(path, message, content, expected, branch, **extra),
                contents_write=True,
            )
        new_file, commit = result["content"], result["commit"]
        assert isinstance(commit, Commit)  # noqa: S101 - PyGithub's union type, always a Commit
        return WriteResult(path, new_file.sha, commit.sha, commit.html_url, _parent(commit))

    def delete(self, path: str, expected: str, message: str) -> WriteResult:
        extra: dict[str, Any] = {"committer": self._committer} if self._committer else {}
        branch = self.branch
        doing = f"delete {path}"
        self._before_write(f"deleting {path}")
        try:
            result = self._call(
                doing,
                lambda: self._repo.delete_file(path, message, expected, branch, **extra),
                may_be_missing=True,
                contents_write=True,
            )
        except _Missing as missing:
            self._confirm_gone(path, doing, missing.exc)
        commit = result["commit"]
        if isinstance(commit, Commit):
            return WriteResult(path, None, commit.sha, commit.html_url, _parent(commit))
        return WriteResult(path, None, None)

    def _confirm_gone(self, path: str, doing: str, exc: GithubException) -> NoReturn:
        """Raise VanishedError if a DELETE's 404 meant the file is gone, else the refusal.

        GitHub also answers 404 to a token that may not write, or for a branch it cannot see:
        the file is read, exactly at the branch's head, before the delete counts as done.
        """
        head = self.head()
        if self.read_at(path, head) is None:
            raise VanishedError(f"{path} was deleted from {self.description} meanwhile")
        raise GitHubError(
            f"could not {doing} in {self.description}: GitHub answered 404 "
            f"({_message_of(exc)}) though the file is there, so the token may read but not "
            f"write it; give it `contents: write` on {self._repository_name}"
        )

    def last_commits(self, paths: Sequence[str], at: str | None = None) -> dict[str, str | None]:
        """From GraphQL, a query per 50 paths, at ``at`` or the branch's head."""
        if not paths:
            return {}
        ref = at or f"refs/heads/{self.branch}"
        requester = self._client.requester
        return last_commits(
            requester, self._repository_name, ref, paths, lambda doing, ask: self._call(doing, ask)
        )

    def last_changed(self, path: str) -> datetime | None:
        """When the last commit on the branch that changed ``path`` was made (commits API)."""
        branch = self.branch
        return self._call(
            f"read the history of {path}", lambda: last_commit_time(self._repo, branch, path)
        )

    def _history_reader(self) -> HistoryReader:
        """Files at revisions of the repository, under its name as it is now."""
        repository = self.repository  # looks the repository up again after a move
        return HistoryReader(
            self._client.requester,
            self._repo.url,
            repository,
            lambda doing, request: self._call(doing, request),
            (self._blob, self._file),
        )

    def history(self, path: str, commit: str | None = None) -> Iterator[Revision]:
        """The commits that changed ``path`` (commits API), each page's files in one query."""
        given = 0
        for _ in range(2):
            reader = self._history_reader()  # under the repository's name after a move
            try:
                for number, revision in enumerate(reader.revisions(commit or self.branch, path)):
                    if number >= given:  # after a move, what was given is not given twice
                        given += 1
                        yield revision
                return
            except Moved:
                self._found, self._moved = None, True
        raise self._moved_meanwhile(f"read the history of {path}")


def _parent(commit: Commit) -> str | None:
    # The Contents API's answer carries the commit's parents: no request is made for them.
    parents = commit.parents
    return parents[0].sha if len(parents) == 1 else None


class _Missing(Exception):
    """A 404 for a path on an existing branch: there is no such file."""

    def __init__(self, exc: GithubException | None = None) -> None:
        super().__init__()
        self.exc = exc or GithubException(404, None, None)


def _message_of(exc: GithubException) -> str:
    return github_message(exc.data) or "Not Found"
