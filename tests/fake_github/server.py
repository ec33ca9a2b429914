"""``FakeGitHub``: a local GitHub REST server for tests, with state, a request log and faults."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import control, failures, graphql, mutations, pulls, routes, trees
from .core import Api, ApiError, ApiRequest, ApiResponse
from .failures import CONTENTS_PATH
from .faults import Fault, Fired, Injection
from .limits import DocumentedLimits, SecondaryLimit
from .model import Repo, State, Token
from .records import CommitInfo, PullInfo, RequestRecord, is_mutation
from .repos import rate_limit_json
from .transport import Exchange, Server

AUTH_RE = re.compile(r"(?i)^\s*(?:token|bearer)\s+(\S+)\s*$")


class FakeGitHub:
    """A GitHub REST API on 127.0.0.1, in-process (``with FakeGitHub() as gh``) or standalone.

    Point PyGithub at ``gh.api_url`` with ``base_url``. Seed repositories, tokens and files with
    the methods below, read back files and commits, count ``gh.requests`` and inject faults.
    The control API for other processes lives under ``/_fake/`` at the server root.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        prefix: str = "",
        default_branch: str = "main",
        state_file: str | Path | None = None,
    ) -> None:
        self.host = host
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.default_branch = default_branch
        self.state_file = Path(state_file) if state_file else None
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._state = State()
        self._api = Api(self._state, self._record_fired)
        self._log: list[RequestRecord] = []
        self._injections: list[Injection] = []
        self._fired: list[Fired] = []
        self._next_injection = 1
        self.secondary: SecondaryLimit | None = None
        self.documented: DocumentedLimits | None = None
        self._server = Server((host, port), self)
        self.port: int = self._server.server_address[1]
        self._api.web_base = self.root_url
        self._api.api_base = self.api_url
        self._thread: threading.Thread | None = None
        if self.state_file and self.state_file.exists():
            control.load_state(self, json.loads(self.state_file.read_text()))

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``; ``/_fake/`` lives here."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The ``base_url`` for PyGithub: the root URL plus the prefix (``/api/v3`` for GHES)."""
        return self.root_url + self.prefix

    def start(self) -> FakeGitHub:
        """Serve in a background thread; returns ``self``."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(0.05,), daemon=True, name="fake-github"
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake hung requests and close every open connection."""
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.close_connections()
        self._server.server_close()
        self.save_state()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- seeding and inspection ---------------------------------------------------------------

    def add_repo(
        self,
        full_name: str,
        *,
        default_branch: str | None = None,
        description: str = "",
        private: bool = False,
    ) -> None:
        """Create ``owner/name`` with one empty initial commit on its default branch."""
        owner, _, name = full_name.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"repository must be owner/name, got {full_name!r}")
        with self._lock:
            branch = default_branch or self.default_branch
            repo = Repo(self._state.new_id(), owner, name, branch, description, private)
            repo.commit(branch, {}, "Initial commit")
            self._state.repos[full_name.lower()] = repo

    def add_token(
        self,
        token: str,
        *,
        permission: str = "write",
        repos: Iterable[str] | None = None,
        kind: str = "app",
        login: str = "registry-bot[bot]",
    ) -> None:
        """Accept ``token`` (``write`` or ``read``) for ``repos`` (``None``: all of them).

        ``kind`` ``"app"`` answers refusals as GitHub does for App tokens ("by integration"),
        ``"user"`` as for personal access tokens. A token never added gets 401.
        """
        if permission not in ("write", "read"):
            raise ValueError("permission must be 'write' or 'read'")
        scope = frozenset(r.lower() for r in repos) if repos is not None else None
        with self._lock:
            self._state.tokens[token] = Token(token, permission, scope, kind, login)

    def _repo(self, full_name: str) -> Repo:
        repo = self._state.repo(full_name)
        if repo is None:
            raise KeyError(f"no repository {full_name!r}; add it with add_repo()")
        return repo

    def _branch(self, repo: Repo, branch: str | None) -> str:
        name = branch or repo.default_branch
        if name not in repo.branches:
            raise KeyError(f"no branch {name!r} in {repo.full_name}")
        return name

    def put_file(
        self,
        repo: str,
        path: str,
        content: bytes | str,
        *,
        branch: str | None = None,
        message: str | None = None,
        date: str | None = None,
    ) -> str:
        """Commit ``content`` at ``path`` (seeding, no checks); returns the commit sha.

        ``date`` (ISO 8601) back-dates the commit, as a history made before the test has it.
        """
        data = content.encode() if isinstance(content, str) else content
        identity = {"name": "Seeder", "email": "seeder@example.com", "date": date} if date else None
        with self._lock:
            r = self._repo(repo)
            name = self._branch(r, branch)
            return r.commit(name, {path: data}, message or f"Add {path}", committer=identity).sha

    def put_files(
        self, repo: str, files: dict[str, bytes], *, branch: str | None = None, message: str = ""
    ) -> str:
        """Commit many files at once (seeding a large registry); returns the commit sha."""
        with self._lock:
            r = self._repo(repo)
            return r.commit(self._branch(r, branch), dict(files), message or "Add files").sha

    def rename_repo(self, old: str, new: str) -> None:
        """Rename or transfer ``old`` to ``new``: the old name then answers 301 and 307."""
        with self._lock:
            r = self._repo(old)
            del self._state.repos[old.lower()]
            r.owner, _, r.name = new.partition("/")
            self._state.repos[new.lower()] = r
            self._state.moved[old.lower()] = r.id

    def remove_file(
        self, repo: str, path: str, *, branch: str | None = None, message: str | None = None
    ) -> str:
        """Commit the removal of ``path``; returns the commit sha."""
        with self._lock:
            r = self._repo(repo)
            return r.commit(self._branch(r, branch), {path: None}, message or f"Remove {path}").sha

    def get_file(self, repo: str, path: str, *, branch: str | None = None) -> bytes | None:
        """The bytes at ``path`` on ``branch`` (or a commit sha), ``None`` if absent."""
        with self._lock:
            r = self._repo(repo)
            commit = r.resolve(branch)
            if commit is None:
                raise KeyError(f"no branch or commit {branch!r} in {r.full_name}")
            sha = commit.files.get(path)
            return r.blobs[sha] if sha else None

    def list_files(self, repo: str, *, branch: str | None = None) -> list[str]:
        """Every file path on ``branch``, sorted."""
        with self._lock:
            r = self._repo(repo)
            return sorted(r.head(self._branch(r, branch)).files)

    def branches(self, repo: str) -> list[str]:
        """The branch names of ``repo``, sorted."""
        with self._lock:
            return sorted(self._repo(repo).branches)

    def head(self, repo: str, branch: str | None = None) -> str:
        """The commit sha ``branch`` points at."""
        with self._lock:
            r = self._repo(repo)
            return r.branches[self._branch(r, branch)]

    def commits(self, repo: str, *, branch: str | None = None) -> list[CommitInfo]:
        """The commits of ``branch`` (first parents), oldest first, the initial one included."""
        with self._lock:
            r = self._repo(repo)
            return [
                CommitInfo(
                    c.sha,
                    c.message,
                    c.changed,
                    c.given_author,
                    c.given_committer,
                    c.verified,
                    c.parents,
                    c.committer["date"],
                    bool(c.parents) and r.commits[c.parents[0]].tree_sha == c.tree_sha,
                )
                for c in r.history(self._branch(r, branch))
            ]

    def create_branch(self, repo: str, name: str, from_branch: str | None = None) -> str:
        """Create branch ``name`` at the head of ``from_branch``; returns its sha."""
        with self._lock:
            r = self._repo(repo)
            r.branches[name] = r.branches[self._branch(r, from_branch)]
            return r.branches[name]

    def protect_branch(self, repo: str, branch: str, *, protected: bool = True) -> None:
        """Require pull requests on ``branch``: direct writes get GitHub's rule-violation 409."""
        with self._lock:
            r = self._repo(repo)
            (r.protected.add if protected else r.protected.discard)(self._branch(r, branch))

    def pulls(self, repo: str) -> list[PullInfo]:
        """Every pull request of ``repo``, by number."""
        with self._lock:
            r = self._repo(repo)
            return [
                PullInfo(
                    p.number, p.title, p.body, p.head, p.base, p.state, p.merged, p.merge_commit_sha
                )
                for p in sorted(r.pulls.values(), key=lambda p: p.number)
            ]

    def merge_pull(self, repo: str, number: int) -> str:
        """Merge pull request ``number`` as if from the web UI; returns the merge commit sha."""
        with self._lock:
            r = self._repo(repo)
            try:
                return pulls.merge(r, r.pulls[number]).sha
            except ApiError as error:
                raise RuntimeError(error.message) from None

    # -- knobs --------------------------------------------------------------------------------

    @property
    def latency(self) -> float:
        """Seconds every API request waits before it is served."""
        return self._state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        with self._lock:
            self._state.latency = float(seconds)

    @property
    def stale_read_count(self) -> int:
        """After every commit to a path, this many reads of it still see the previous version."""
        return self._state.stale_read_count

    @stale_read_count.setter
    def stale_read_count(self, count: int) -> None:
        with self._lock:
            self._state.stale_read_count = int(count)

    def answer_urls_with(self, api_url: str) -> None:
        """Write ``api_url`` into the URLs of answers, as GitHub behind a proxy does: the
        client reaches the proxy, the answers name the API's own host."""
        with self._lock:
            self._api.api_base = api_url.rstrip("/")

    @property
    def tree_limit(self) -> int:
        """Entries a recursive Git Trees listing returns before it says ``truncated``."""
        return self._state.tree_limit

    @tree_limit.setter
    def tree_limit(self, limit: int) -> None:
        with self._lock:
            self._state.tree_limit = int(limit)

    @property
    def tree_bytes(self) -> int:
        """Bytes of entries a recursive Git Trees listing returns before it says ``truncated``."""
        return self._state.tree_bytes

    @tree_bytes.setter
    def tree_bytes(self, limit: int) -> None:
        with self._lock:
            self._state.tree_bytes = int(limit)

    @property
    def graphql_limits(self) -> tuple[int, int]:
        """Texts and bytes of text a GraphQL answer may hold; past either, a timeout's 502."""
        return self._state.graphql_texts, self._state.graphql_bytes

    @graphql_limits.setter
    def graphql_limits(self, limits: tuple[int, int]) -> None:
        with self._lock:
            self._state.graphql_texts, self._state.graphql_bytes = map(int, limits)

    @property
    def graphql_histories(self) -> int:
        """Path histories a GraphQL query may ask for; past them, a timeout's 502."""
        return self._state.graphql_histories

    @graphql_histories.setter
    def graphql_histories(self, limit: int) -> None:
        with self._lock:
            self._state.graphql_histories = int(limit)

    @property
    def stale_read_seconds(self) -> float:
        """After every commit to a path, reads of it see the previous version for this long.

        GitHub's reads go to replicas that may lag a write for a moment; a time window models
        that better than a count when many clients read at once.
        """
        return self._state.stale_read_seconds

    @stale_read_seconds.setter
    def stale_read_seconds(self, seconds: float) -> None:
        with self._lock:
            self._state.stale_read_seconds = float(seconds)

    @property
    def rate_limit(self) -> int:
        """Requests per hour for each token; past it, GitHub's primary rate-limit 403."""
        return self._state.rate_limit

    @rate_limit.setter
    def rate_limit(self, limit: int) -> None:
        with self._lock:
            self._state.rate_limit = int(limit)

    def limit_content_creation(self, writes: int, window: float, style: str = "mixed") -> None:
        """Share one secondary limit among all tokens: ``writes`` per ``window`` seconds."""
        with self._lock:
            self.secondary = SecondaryLimit(writes, window, style, started=time.time())

    def hold_documented_limits(self, scale: float = 1.0) -> DocumentedLimits:
        """Hold every secondary limit GitHub documents (limits.DocumentedLimits), shared by all
        tokens, with its windows times ``scale``; returns it, for its refusal counts."""
        with self._lock:
            self.documented = DocumentedLimits(scale)
            return self.documented

    # -- faults -------------------------------------------------------------------------------

    def inject(
        self,
        *,
        fault: Fault,
        method: str | None = None,
        path_regex: str = ".*",
        times: int | None = 1,
        skip: int = 0,
        mutation: bool | None = None,
    ) -> Injection:
        """Arm ``fault`` for requests whose method and prefix-less path (``re.search``) match,
        and, unless ``mutation`` is None, that carry a GraphQL mutation or not.

        It lets ``skip`` matches through, then fires ``times`` times (``None``: every time).
        Injections are tried in the order they were added; one fault fires per request.
        """
        with self._lock:
            injection = Injection(
                self._next_injection, fault, method, path_regex, times, skip, mutation=mutation
            )
            self._next_injection += 1
            self._injections.append(injection)
            return injection

    def clear_faults(self) -> None:
        """Disarm every injected fault (the record of fired ones stays)."""
        with self._lock:
            self._injections.clear()

    @property
    def injections(self) -> list[Injection]:
        with self._lock:
            return list(self._injections)

    @property
    def fired(self) -> list[Fired]:
        """Every fault that fired, and every stale read served, in order."""
        with self._lock:
            return list(self._fired)

    def _record_fired(self, fired: Fired) -> None:
        self._fired.append(fired)

    def _take_fault(self, method: str, path: str, mutation: bool) -> Injection | None:
        for injection in self._injections:
            if injection.exhausted or not injection.matches(method, path, mutation):
                continue
            if injection.skip > 0:
                injection.skip -= 1
                continue
            injection.fired += 1
            return injection
        return None

    # -- request log --------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request to the API (not ``/_fake/``), in arrival order."""
        with self._lock:
            return list(self._log)

    @property
    def writes(self) -> list[RequestRecord]:
        """The PUT, POST, PATCH and DELETE requests."""
        return [r for r in self.requests if r.is_write]

    def reset_log(self) -> None:
        """Forget the request log and the fired faults."""
        with self._lock:
            self._log.clear()
            self._fired.clear()

    # -- state file ---------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Repositories, branches, files and commits as JSON (tokens are never included)."""
        with self._lock:
            return control.dump_state(self)

    def save_state(self) -> None:
        if self.state_file is not None:
            data = self.snapshot()
            tmp = self.state_file.with_suffix(self.state_file.suffix + ".tmp")
            tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False))
            tmp.replace(self.state_file)

    # -- serving ------------------------------------------------------------------------------

    def serve(self, exchange: Exchange) -> None:
        """Answer one request (called on the connection's thread)."""
        target = exchange.path
        split = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        if split.path == "/_fake" or split.path.startswith("/_fake/"):
            exchange.reply(control.handle(self, exchange.command, split.path, query, exchange.body))
            return
        path, is_api = self._strip_prefix(split.path)
        record = RequestRecord(
            exchange.command,
            path,
            query,
            dict(exchange.headers.items()),
            exchange.body,
            target,
            exchange.requestline,
            time.time(),
        )
        req = ApiRequest(
            exchange.command,
            path,
            query,
            {k.lower(): v for k, v in record.headers.items()},
            exchange.body,
        )
        req.client = exchange.client_address[0]
        with self._lock:
            self._log.append(record)
            req.seen_head = self._seen_head(req) if self._state.parallel_writes_race else None
            early = self._authenticate(req)
            if early is None and self.secondary is not None:
                # A GraphQL query is a POST that creates nothing: the limit does not count it;
                # a mutation creates content and does (record.is_write tells them apart).
                early = self.secondary.check(record.is_write, time.time())
                record.fault = "secondary_limit" if early is not None else None
            admitted = False
            if early is None and self.documented is not None:
                read_only = not record.is_write if _is_graphql(req) else req.method in READS
                early = self.documented.admit(
                    _is_graphql(req), record.is_write, read_only, time.time()
                )
                record.fault = "secondary_limit" if early is not None else record.fault
                admitted = early is None
            injection = (
                None
                if early
                else self._take_fault(req.method, path, _is_graphql(req) and record.is_write)
            )
            fault = injection.fault if injection else None
            if injection is not None and fault is not None:
                record.fault = fault.kind
            latency = self._state.latency
        try:
            pause = fault.seconds if fault and fault.kind in ("latency", "hang") else 0
            self._sleep(latency + pause)
            response = early or self._respond(req, is_api, fault, injection)
            if response is None:
                record.status = None
                exchange.drop()
            else:
                self._finish(req, response, record, exchange)
        finally:
            if admitted and self.documented is not None:
                with self._lock:
                    self.documented.done()
        if req.method != "GET" and response is not None and response.status < 300:
            self.save_state()

    def _seen_head(self, req: ApiRequest) -> str | None:
        """For a Contents API write, its branch's head as the write arrives (contents.py's
        _check_head); None for any other request. Call with the lock held."""
        match = CONTENTS_PATH.match(req.path)
        if req.method not in ("PUT", "DELETE") or match is None:
            return None
        repo = self._state.repos.get(f"{match.group(1)}/{match.group(2)}".lower())
        try:
            branch = str(req.json().get("branch") or "") if repo is not None else ""
        except ApiError:
            return None
        branch = branch or (repo.default_branch if repo is not None else "")
        if repo is None or branch not in repo.branches:
            return None
        return repo.head(branch).sha

    def _strip_prefix(self, path: str) -> tuple[str, bool]:
        if not self.prefix:
            return path, True
        if path == self.prefix or path.startswith(self.prefix + "/"):
            return path[len(self.prefix) :] or "/", True
        return path, False

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _authenticate(self, req: ApiRequest) -> ApiResponse | None:
        header = req.headers.get("authorization")
        if header is not None:
            match = AUTH_RE.match(header)
            token = self._state.tokens.get(match.group(1)) if match else None
            if token is None:
                return ApiError(401, "Bad credentials", "").response()
            req.token = token
        if req.path == "/rate_limit":
            return None
        key, limit = self._rate_key(req)
        self._roll_window()
        self._state.usage[key] = self._state.usage.get(key, 0) + 1
        if self._state.usage[key] > limit:
            reset = int(self._state.window_start) + 3600
            if _is_graphql(req):  # GraphQL has a budget of its own, and says so with a 200
                return graphql.rate_limited(reset=reset)
            return failures.primary_limit(req, str(reset))
        return None

    def _rate_key(self, req: ApiRequest) -> tuple[str, int]:
        # GitHub counts GraphQL's points apart from REST's requests ("Rate limits for the
        # GraphQL API": "The REST API also has a separate primary rate limit"); one point a
        # query here, the least a query costs.
        resource = ":graphql" if _is_graphql(req) else ""
        if req.token is None:
            return f"anonymous:{req.client}{resource}", 60
        return (
            f"token:{hashlib.sha256(req.token.value.encode()).hexdigest()}{resource}",
            self._state.rate_limit,
        )

    def _roll_window(self) -> None:
        if time.time() >= self._state.window_start + 3600:
            self._state.window_start = time.time()
            self._state.usage.clear()

    def _respond(
        self, req: ApiRequest, is_api: bool, fault: Fault | None, injection: Injection | None
    ) -> ApiResponse | None:
        kind = fault.kind if fault else None
        if fault is not None and not fault.apply:
            if kind == "reset":
                self._fire(req, injection, None)
                return None
            with self._lock:
                early = failures.fault_response(self._state, req, fault)
            if early is not None:
                self._fire(req, injection, early.status)
                return early
        if kind == "stale_reads" and fault is not None:
            req.stale_reads = fault.count
        with self._lock:
            if kind == "vanish":
                trees.vanish(self._api, req)
            response = self._dispatch(req, is_api)
            if kind == "graphql_partial":
                self._fire(req, injection, response.status)
                return graphql.partial(response)
            if fault is None or kind in ("latency", "hang", "stale_reads", "vanish", "trickle"):
                if fault is not None:
                    self._fire(req, injection, response.status)
                if kind == "trickle" and fault is not None:
                    response.trickle = (fault.message or "headers", fault.seconds)
                return response
            if kind == "reset":
                self._fire(req, injection, None)
                return None
            failure = failures.fault_response(self._state, req, fault) or response
            self._fire(req, injection, failure.status)
            return failure

    def _dispatch(self, req: ApiRequest, is_api: bool) -> ApiResponse:
        if not is_api and req.path == "/api/graphql" and req.method == "POST":
            # GitHub Enterprise Server: REST under /api/v3, GraphQL at /api/graphql.
            return self._graphql(req)
        if not is_api:
            return routes.dispatch_raw(self._api, req) or ApiError(404, "Not Found").response()
        if req.path == "/rate_limit" and req.method == "GET":
            key, limit = self._rate_key(req)
            used = self._state.usage.get(key, 0)
            return ApiResponse.json(
                200, rate_limit_json(limit, used, int(self._state.window_start) + 3600)
            )
        if req.path == "/graphql" and req.method == "POST":
            return self._graphql(req)
        moved = trees.moved(self._api, req)
        if moved is not None:
            return moved
        if trees.by_id(self._api, req) is None and req.path.startswith("/repositories/"):
            return ApiError(404, "Not Found").response()
        return (
            routes.dispatch(self._api, req)
            if req.path.startswith("/repos/")
            else (routes.dispatch_raw(self._api, req) or ApiError(404, "Not Found").response())
        )

    def _graphql(self, req: ApiRequest) -> ApiResponse:
        if is_mutation(req.body):
            return _answer(lambda: mutations.graphql_mutation(self._api, req))
        return _answer(lambda: graphql.answer(self._api, req))

    def _fire(self, req: ApiRequest, injection: Injection | None, status: int | None) -> None:
        if injection is not None:
            with self._lock:
                self._fired.append(
                    Fired(
                        injection.fault.kind,
                        req.method,
                        req.path,
                        injection.id,
                        status,
                        time.time(),
                    )
                )

    def _finish(
        self, req: ApiRequest, response: ApiResponse, record: RequestRecord, exchange: Exchange
    ) -> None:
        with self._lock:
            key, limit = self._rate_key(req)
            used = self._state.usage.get(key, 0)
            reset = int(self._state.window_start) + 3600
        headers = {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(max(limit - used, 0)),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-used": str(used),
            "x-ratelimit-resource": "graphql" if _is_graphql(req) else "core",
            "x-github-request-id": f"{secrets.token_hex(2).upper()}:{secrets.token_hex(4).upper()}",
            "x-github-media-type": "github.v3; format=json",
            "x-github-api-version-selected": "2022-11-28",
            "content-type": "application/json; charset=utf-8",
        }
        headers.update(response.headers)
        status = response.status
        if response.body and 200 <= status < 300:
            etag = 'W/"' + hashlib.sha256(response.body).hexdigest()[:32] + '"'
            headers["etag"] = etag
            if req.method == "GET" and req.headers.get("if-none-match") == etag:
                status = 304
        record.status = status
        record.graphql_errors = _is_graphql(req) and _has_errors(response.body)
        exchange.reply(ApiResponse(status, response.body, headers, response.trickle))

    def __repr__(self) -> str:
        return f"FakeGitHub({self.api_url!r})"


# The requests GitHub's secondary limit charges 1 point ("Most REST API GET, HEAD, and OPTIONS
# requests"); the other methods cost 5.
READS = frozenset({"GET", "HEAD", "OPTIONS"})


def _is_graphql(req: ApiRequest) -> bool:
    return req.method == "POST" and req.path in ("/graphql", "/api/graphql")


def _has_errors(body: bytes) -> bool:
    try:
        answer = json.loads(body)
    except ValueError:
        return False
    return isinstance(answer, dict) and bool(answer.get("errors"))


def _answer(handler: Callable[[], ApiResponse]) -> ApiResponse:
    try:
        return handler()
    except ApiError as error:
        return error.response()
