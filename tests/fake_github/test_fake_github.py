"""The fake GitHub, driven through PyGithub as the program drives the real one."""

from __future__ import annotations

import base64
import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import github
import pytest
import requests
from github import Auth, Github, GithubException

from fake_github import FakeGitHub, faults

REPO = "org/plugin-registry"
WRITE = "t0ken-write"
READ = "t0ken-read"
RAW = "application/vnd.github.raw+json"


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        fake.add_repo(REPO, description="Plugins")
        fake.add_token(WRITE, permission="write")
        fake.add_token(READ, permission="read")
        yield fake


def client(gh: FakeGitHub, token: str = WRITE, **kwargs: object) -> Github:
    return Github(
        base_url=gh.api_url,
        auth=Auth.Token(token),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
        **kwargs,  # type: ignore[arg-type]
    )


def api_get(gh: FakeGitHub, path: str, token: str = WRITE, **headers: str) -> requests.Response:
    return requests.get(
        gh.api_url + path, headers={"Authorization": f"Bearer {token}", **headers}, timeout=10
    )


def git_hash(data: bytes) -> str:
    out = subprocess.run(
        ["git", "hash-object", "--stdin"], input=data, capture_output=True, check=True
    )
    return out.stdout.decode().strip()


# -- contents ---------------------------------------------------------------------------------


def test_create_update_and_the_two_conflicts(gh: FakeGitHub) -> None:
    repo = client(gh).get_repo(REPO)
    created = repo.create_file("registry.json", "Add registry", "{}\n")
    first = created["content"].sha
    assert gh.requests[-1].status == 201

    updated = repo.update_file("registry.json", "Update", '{"plugins": []}\n', first)
    assert gh.requests[-1].status == 200
    assert gh.get_file(REPO, "registry.json") == b'{"plugins": []}\n'

    with pytest.raises(GithubException) as stale:
        repo.update_file("registry.json", "Stale", "x", first)
    assert stale.value.status == 409
    assert stale.value.data["message"] == f"registry.json does not match {first}"

    with pytest.raises(GithubException) as missing:
        repo.create_file("registry.json", "No sha", "x")
    assert missing.value.status == 422
    assert missing.value.data["message"] == 'Invalid request.\n\n"sha" wasn\'t supplied.'

    repo.delete_file("registry.json", "Remove", updated["content"].sha)
    assert gh.get_file(REPO, "registry.json") is None
    assert [c.message for c in gh.commits(REPO)] == [
        "Initial commit",
        "Add registry",
        "Update",
        "Remove",
    ]


@pytest.mark.parametrize("data", [b"", b"hello\n", "Zürich ✓\n".encode(), bytes(range(256)) * 3])
def test_blob_sha_is_gits(gh: FakeGitHub, data: bytes) -> None:
    repo = client(gh).get_repo(REPO)
    result = repo.create_file("f.bin", "Add", data)
    assert result["content"].sha == git_hash(data)
    content = repo.get_contents("f.bin")
    assert not isinstance(content, list)
    assert content.sha == git_hash(data)
    assert content.decoded_content == data


def test_content_comes_in_base64_lines_of_60(gh: FakeGitHub) -> None:
    data = os.urandom(500)
    gh.put_file(REPO, "plugins/a.json", data)
    body = api_get(gh, "/repos/org/plugin-registry/contents/plugins/a.json").json()
    lines = body["content"].split("\n")
    assert lines[-1] == ""
    assert {len(line) for line in lines[:-2]} == {60}
    assert base64.b64decode(body["content"]) == data
    assert body["encoding"] == "base64" and body["size"] == 500 and body["type"] == "file"
    assert body["url"].startswith(gh.api_url) and "api.github.com" not in json.dumps(body)


def test_large_file_has_no_inline_content_but_round_trips(gh: FakeGitHub) -> None:
    data = os.urandom(1_500_000)
    repo = client(gh).get_repo(REPO)
    repo.create_file("registry.json", "Add big", data)
    content = repo.get_contents("registry.json")
    assert not isinstance(content, list)
    assert (content.encoding, content.content, content.size) == ("none", "", len(data))
    assert base64.b64decode(repo.get_git_blob(content.sha).content) == data
    raw = api_get(gh, "/repos/org/plugin-registry/contents/registry.json", Accept=RAW)
    assert raw.status_code == 200 and raw.content == data


def test_directory_listing_and_refs(gh: FakeGitHub) -> None:
    gh.put_file(REPO, "plugins/a.json", "a")
    gh.put_file(REPO, "plugins/b.json", "b")
    first = gh.put_file(REPO, "registry.json", "1")
    gh.put_file(REPO, "registry.json", "2")
    repo = client(gh).get_repo(REPO)
    listing = repo.get_contents("plugins")
    assert isinstance(listing, list)
    assert [c.path for c in listing] == ["plugins/a.json", "plugins/b.json"]
    old = repo.get_contents("registry.json", ref=first)
    assert not isinstance(old, list) and old.decoded_content == b"1"
    with pytest.raises(GithubException) as unknown:
        repo.get_contents("registry.json", ref="nope")
    assert unknown.value.status == 404
    assert unknown.value.data["message"] == "No commit found for the ref nope"
    with pytest.raises(github.UnknownObjectException):
        repo.get_contents("missing.json")


def test_branch_head_moves_with_every_commit(gh: FakeGitHub) -> None:
    repo = client(gh).get_repo(REPO)
    sha = repo.create_file("a", "one", "1")["commit"].sha
    assert repo.get_branch("main").commit.sha == sha == gh.head(REPO)
    blob = gh.commits(REPO)[-1]
    sha2 = repo.update_file("a", "two", "2", repo.get_contents("a").sha)["commit"].sha  # type: ignore[union-attr]
    assert sha2 != sha and repo.get_branch("main").commit.sha == sha2
    commit = repo.get_git_commit(sha2)
    assert [p.sha for p in commit.parents] == [sha]
    assert blob.verified and blob.author is None


def test_custom_committer_is_recorded_and_unverified(gh: FakeGitHub) -> None:
    repo = client(gh).get_repo(REPO)
    who = github.InputGitAuthor("Ci", "ci@example.com")
    repo.create_file("a", "one", "1", committer=who)
    last = gh.commits(REPO)[-1]
    assert last.committer == {"name": "Ci", "email": "ci@example.com"}
    assert not last.verified and last.paths == ("a",)


def test_concurrent_writers_lose_nothing_when_they_retry_on_conflict(gh: FakeGitHub) -> None:
    gh.put_file(REPO, "registry.json", "[]")

    def register(name: str) -> None:
        repo = client(gh).get_repo(REPO)
        for _ in range(50):
            current = repo.get_contents("registry.json")
            assert not isinstance(current, list)
            names = [*json.loads(current.decoded_content), name]
            try:
                repo.update_file("registry.json", f"Add {name}", json.dumps(names), current.sha)
                return
            except GithubException as error:
                assert error.status == 409
        raise AssertionError(f"{name} never got in")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(register, [f"p{i}" for i in range(8)]))
    assert sorted(json.loads(gh.get_file(REPO, "registry.json") or b"")) == [
        f"p{i}" for i in range(8)
    ]
    assert len(gh.commits(REPO)) == 2 + 8


# -- access -----------------------------------------------------------------------------------


def test_auth_errors(gh: FakeGitHub) -> None:
    with pytest.raises(github.BadCredentialsException) as bad:
        client(gh, "wrong").get_repo(REPO)
    assert bad.value.status == 401

    read_only = client(gh, READ).get_repo(REPO)
    with pytest.raises(GithubException) as forbidden:
        read_only.create_file("a", "m", "x")
    assert forbidden.value.status == 403
    assert forbidden.value.data["message"] == "Resource not accessible by integration"

    with pytest.raises(github.UnknownObjectException) as missing:
        client(gh).get_repo("org/nothing")
    assert missing.value.status == 404

    gh.add_repo("org/secret", private=True)
    gh.add_token("scoped", repos=[REPO])
    with pytest.raises(github.UnknownObjectException):
        client(gh, "scoped").get_repo("org/secret")


def test_protected_branch_refuses_direct_writes(gh: FakeGitHub) -> None:
    gh.protect_branch(REPO, "main")
    with pytest.raises(GithubException) as refused:
        client(gh).get_repo(REPO).create_file("a", "m", "x")
    assert refused.value.status == 409
    assert refused.value.data["message"].startswith("Repository rule violations found")
    assert gh.get_file(REPO, "a") is None


def test_branches_refs_and_pull_requests(gh: FakeGitHub) -> None:
    repo = client(gh).get_repo(REPO)
    base = repo.get_git_ref("heads/main").object.sha
    repo.create_git_ref("refs/heads/feature", base)
    with pytest.raises(GithubException) as exists:
        repo.create_git_ref("refs/heads/feature", base)
    assert exists.value.data["message"] == "Reference already exists"
    repo.create_file("plugins/x.json", "Add x", "x", branch="feature")
    pr = repo.create_pull(base="main", head="feature", title="Add x", body="")
    with pytest.raises(GithubException) as again:
        repo.create_pull(base="main", head="feature", title="Add x", body="")
    assert again.value.status == 422
    assert [p.number for p in repo.get_pulls(state="open", head="org:feature")] == [pr.number]
    assert pr.merge().merged
    assert gh.get_file(REPO, "plugins/x.json") == b"x"
    assert repo.get_pull(pr.number).state == "closed"


def test_prefix_mode(gh: FakeGitHub) -> None:
    with FakeGitHub(prefix="/api/v3") as ghes:
        ghes.add_repo(REPO)
        ghes.add_token(WRITE)
        assert ghes.api_url.endswith("/api/v3")
        repo = client(ghes).get_repo(REPO)
        assert repo.url == f"{ghes.api_url}/repos/{REPO}"
        repo.create_file("a", "m", "x")
        assert repo.get_contents("a").decoded_content == b"x"  # type: ignore[union-attr]
        assert ghes.requests[-1].path == "/repos/org/plugin-registry/contents/a"
        assert requests.get(f"{ghes.root_url}/repos/{REPO}", timeout=5).status_code == 404


def test_every_response_has_github_headers_and_keep_alive(gh: FakeGitHub) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", gh.port, timeout=5)
    for _ in range(3):
        conn.request("GET", f"/repos/{REPO}", headers={"Authorization": f"token {WRITE}"})
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200 and len(body) == int(response.headers["content-length"])
        for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
            assert response.headers[name]
        assert response.headers["x-ratelimit-used"] and response.headers["x-github-request-id"]
        assert response.headers["etag"].startswith('W/"')
        assert response.headers["content-type"] == "application/json; charset=utf-8"
    conn.close()
    unknown = api_get(gh, "/nope")
    assert unknown.status_code == 404 and unknown.json()["message"] == "Not Found"


# -- faults -----------------------------------------------------------------------------------


def test_status_before_and_after_apply(gh: FakeGitHub) -> None:
    repo = client(gh).get_repo(REPO)
    gh.inject(method="PUT", path_regex=r"/contents/a$", fault=faults.status(502))
    with pytest.raises(GithubException) as before:
        repo.create_file("a", "m", "x")
    assert before.value.status == 502 and gh.get_file(REPO, "a") is None

    gh.inject(method="PUT", path_regex=r"/contents/a$", fault=faults.status(502, apply=True))
    with pytest.raises(GithubException) as after:
        repo.create_file("a", "m", "x")
    assert after.value.status == 502 and gh.get_file(REPO, "a") == b"x"
    assert [(f.kind, f.status) for f in gh.fired] == [("status", 502), ("status", 502)]


def test_branch_race_message(gh: FakeGitHub) -> None:
    repo = client(gh).get_repo(REPO)
    repo.create_file("a", "m", "x")
    gh.inject(method="PUT", fault=faults.status(409))
    with pytest.raises(GithubException) as race:
        repo.update_file("a", "m", "y", repo.get_contents("a").sha)  # type: ignore[union-attr]
    head = gh.head(REPO)
    assert race.value.status == 409
    assert race.value.data["message"].startswith(f"is at {head} but expected ")
    assert gh.fired[-1].kind == "status"


def test_parallel_writes_of_different_files_race_for_the_branch(gh: FakeGitHub) -> None:
    repo = client(gh).get_repo(REPO)
    repo.create_file("first", "m", "x")
    before = gh.head(REPO)
    gh.latency = 0.3  # both writes arrive while the other is still being made
    with ThreadPoolExecutor(2) as pool:
        tries = [pool.submit(repo.create_file, name, "m", name) for name in ("a", "b")]
    refused = [t.exception() for t in tries if t.exception() is not None]
    assert len(refused) == 1 and isinstance(refused[0], GithubException)
    assert refused[0].status == 409
    head = gh.head(REPO)
    assert refused[0].data["message"] == f"is at {head} but expected {before}"
    gh.latency = 0
    repo.create_file("c", "m", "c")  # one at a time, each lands
    assert len(gh.commits(REPO)) == 4  # the first commit, "first", one of a and b, and c


def test_rate_limit_faults(gh: FakeGitHub) -> None:
    gh.inject(path_regex="/repos/", fault=faults.secondary_rate_limit(retry_after=3))
    secondary = api_get(gh, f"/repos/{REPO}")
    assert secondary.status_code == 403 and secondary.headers["retry-after"] == "3"
    assert secondary.json()["message"].startswith("You have exceeded a secondary rate limit")

    gh.inject(fault=faults.too_many_requests(retry_after=2))
    assert api_get(gh, f"/repos/{REPO}").status_code == 429

    gh.inject(fault=faults.primary_rate_limit(reset_in=30))
    with pytest.raises(github.RateLimitExceededException) as primary:
        client(gh).get_repo(REPO)
    headers = primary.value.headers or {}
    assert headers["x-ratelimit-remaining"] == "0"
    assert int(headers["x-ratelimit-reset"]) >= int(time.time()) + 28
    assert primary.value.data["message"].startswith("API rate limit exceeded for ")
    assert [f.kind for f in gh.fired] == [
        "secondary_rate_limit",
        "too_many_requests",
        "primary_rate_limit",
    ]
    assert api_get(gh, f"/repos/{REPO}").status_code == 200


def test_latency_reset_and_hang(gh: FakeGitHub) -> None:
    gh.inject(fault=faults.latency(0.3))
    start = time.monotonic()
    assert api_get(gh, f"/repos/{REPO}").status_code == 200
    assert time.monotonic() - start >= 0.3

    gh.inject(fault=faults.reset())
    with pytest.raises(requests.ConnectionError):
        api_get(gh, f"/repos/{REPO}")

    gh.inject(fault=faults.hang(2))
    with pytest.raises(requests.Timeout):
        requests.get(f"{gh.api_url}/repos/{REPO}", timeout=0.3)
    assert [f.kind for f in gh.fired][:2] == ["latency", "reset"]
    assert gh.requests[1].status is None and gh.requests[1].fault == "reset"


def test_skip_and_times(gh: FakeGitHub) -> None:
    gh.inject(method="GET", fault=faults.status(500), skip=1, times=2)
    codes = [api_get(gh, f"/repos/{REPO}").status_code for _ in range(4)]
    assert codes == [200, 500, 500, 200]


def test_stale_reads_serve_the_previous_version(gh: FakeGitHub) -> None:
    repo = client(gh).get_repo(REPO)
    old = repo.create_file("registry.json", "m", "old")["content"].sha
    gh.inject(method="PUT", fault=faults.stale_reads(2))
    new = repo.update_file("registry.json", "m", "new", old)["content"].sha
    seen = [repo.get_contents("registry.json") for _ in range(3)]
    assert [(c.sha, c.decoded_content) for c in seen] == [  # type: ignore[union-attr]
        (old, b"old"),
        (old, b"old"),
        (new, b"new"),
    ]
    assert [f.kind for f in gh.fired] == ["stale_reads", "stale_read", "stale_read"]

    gh.stale_read_count = 1
    newer = repo.update_file("registry.json", "m", "newer", new)["content"].sha
    assert repo.get_contents("registry.json").sha == new  # type: ignore[union-attr]
    assert repo.get_contents("registry.json").sha == newer  # type: ignore[union-attr]


def test_request_log_keeps_everything_sent(gh: FakeGitHub) -> None:
    client(gh).get_repo(REPO).create_file("a", "message here", "body")
    put = gh.writes[-1]
    assert put.method == "PUT" and put.path == "/repos/org/plugin-registry/contents/a"
    assert json.loads(put.body)["message"] == "message here"
    assert put.header("authorization") == f"token {WRITE}"
    assert WRITE in put.text() and put.request_line.startswith("PUT /repos/")


# -- control API and standalone ---------------------------------------------------------------


def test_control_api(gh: FakeGitHub) -> None:
    root = gh.root_url
    fault = {
        "method": "GET",
        "path_regex": "/contents/",
        "fault": {"kind": "status", "status": 503},
    }
    assert requests.post(f"{root}/_fake/faults", json=fault, timeout=5).status_code == 201
    assert api_get(gh, f"/repos/{REPO}/contents/x").status_code == 503
    fired = requests.get(f"{root}/_fake/faults", timeout=5).json()["fired"]
    assert [f["status"] for f in fired] == [503]

    assert requests.put(f"{root}/_fake/files/{REPO}/main/plugins/a.json", data=b"A", timeout=5).ok
    assert requests.get(f"{root}/_fake/files/{REPO}/main/plugins/a.json", timeout=5).content == b"A"
    log = requests.get(f"{root}/_fake/requests", timeout=5).json()
    assert [r["status"] for r in log] == [503]
    requests.post(f"{root}/_fake/settings", json={"latency": 0.01}, timeout=5)
    assert gh.latency == 0.01
    requests.post(f"{root}/_fake/reset-log", timeout=5)
    assert gh.requests == []


def test_standalone_prints_ready_and_serves(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    args = ["--port", "0", "--repo", REPO, "--token", f"{WRITE}=write", "--state-file", str(state)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "fake_github", *args], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("READY http://127.0.0.1:")
        url = line.split()[1]
        repo = Github(base_url=url, auth=Auth.Token(WRITE), retry=None).get_repo(REPO)
        repo.create_file("registry.json", "Add", "{}\n")
        assert (
            requests.get(f"{url}/_fake/files/{REPO}/main/registry.json", timeout=5).text == "{}\n"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    saved = json.loads(state.read_text())
    assert saved["repos"][REPO]["branches"]["main"]["files"]["registry.json"] == {"text": "{}\n"}
    assert WRITE not in state.read_text()


def test_unchanged_content_is_committed_as_an_empty_commit(gh: FakeGitHub) -> None:
    repo = client(gh).get_repo(REPO)
    created = repo.create_file("a.txt", "add", b"same\n", branch="main")
    repo.update_file("a.txt", "again", b"same\n", created["content"].sha, branch="main")
    *_, first, second = gh.commits(REPO)
    assert (first.message, first.empty) == ("add", False)
    assert (second.message, second.empty) == ("again", True)  # a commit, changing nothing


def test_the_secondary_limit_is_shared_by_every_token(gh: FakeGitHub) -> None:
    gh.add_token("t0ken-other", permission="write")
    gh.limit_content_creation(2, 0.5)
    body = {"message": "m", "content": base64.b64encode(b"x").decode(), "branch": "main"}

    def put(path: str, token: str) -> requests.Response:
        return requests.put(
            f"{gh.api_url}/repos/{REPO}/contents/{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )

    assert put("a", WRITE).status_code == 201
    assert put("b", "t0ken-other").status_code == 201
    refusals = [
        put(path, token) for path, token in (("c", WRITE), ("d", "t0ken-other"), ("e", WRITE))
    ]
    assert [r.status_code for r in refusals] == [403, 403, 429]
    assert [r.headers.get("retry-after") for r in refusals] == ["1", None, "1"]
    assert all("exceeded a secondary rate limit" in r.json()["message"] for r in refusals)
    assert api_get(gh, f"/repos/{REPO}/contents/a").status_code == 200  # reads are not limited
    time.sleep(0.6)
    assert put("f", WRITE).status_code == 201  # a new window
    assert gh.secondary is not None and gh.secondary.refused == 3
