"""Reading a whole folder of a GitHub registry in a few requests, whatever its size.

The Contents API lists at most 1,000 files of a folder, silently, and reads one file per
request. Here the folder is listed with the Git Trees API (recursive; when GitHub answers
``truncated``, the folder's own tree is fetched, one level at a time) and every file's text
comes from one GraphQL query of the folder's tree entries. Each text is checked against the
blob sha the listing gave, so a file GraphQL cut (``isTruncated``, past 512,000 bytes), left out,
or could not give as text is read on its own through the blob API.

Also here: when a file last changed, from the commits API (only the one-run conversion of a
registry asks).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from github import GithubException
from github.Repository import Repository
from github.Requester import Requester

from registry_action.errors import GitHubError
from registry_action.store.interface import StoredFile, blob_sha

# One tree's entries with their blobs' text. Tree entries are not a paginated connection, so
# the whole folder comes in one answer.
TREE_QUERY = """
query($owner: String!, $name: String!, $oid: GitObjectID!) {
  repository(owner: $owner, name: $name) {
    object(oid: $oid) {
      ... on Tree {
        entries { name oid type object { ... on Blob { text isTruncated isBinary } } }
      }
    }
  }
}
"""

Call = Callable[[str, Callable[[], Any]], Any]


class TreeReader:
    """The files directly inside one folder of a branch, listed and read in bulk."""

    def __init__(self, requester: Requester, repo_url: str, repository: str, call: Call) -> None:
        self._requester = requester
        self._url = repo_url
        self._repository = repository
        self._call = call  # runs a request, translating its failures into the project's errors

    def _get(self, path: str, parameters: dict[str, str] | None = None) -> dict[str, Any]:
        request = self._requester.requestJsonAndCheck
        _, data = self._call(
            "list the registry", lambda: request("GET", f"{self._url}{path}", parameters)
        )
        if not isinstance(data, dict):
            raise GitHubError(f"GitHub answered {path} of {self._repository} with no tree")
        return data

    def listing(
        self, branch: str, folder: str, commit: str | None = None
    ) -> tuple[str | None, dict[str, str]]:
        """The folder's tree sha (None if there is no such folder) and its files' blob shas,
        at ``commit`` if given, else at the branch's head."""
        if commit is None:
            # The tree is fetched by the branch's commit sha: the git/ref endpoint takes any
            # branch name, slashes included, and the whole listing then comes from one commit.
            ref = self._get(f"/git/ref/heads/{quote(branch)}")
            commit = (ref.get("object") or {}).get("sha")
        if not isinstance(commit, str):
            raise GitHubError(f"GitHub gave no commit for {branch} in {self._repository}")
        top = self._get(f"/git/trees/{commit}", {"recursive": "1"})
        entries: list[dict[str, Any]] = top.get("tree") or []
        sha = next((e["sha"] for e in entries if e.get("path") == folder), None)
        if not top.get("truncated"):
            prefix = f"{folder}/"
            return sha, {
                e["path"]: e["sha"]
                for e in entries
                if e.get("type") == "blob"
                and e["path"].startswith(prefix)
                and "/" not in e["path"][len(prefix) :]
            }
        sha = sha or self._walk(str(top["sha"]), folder)
        if sha is None:
            return None, {}
        own = self._get(f"/git/trees/{sha}")
        if own.get("truncated"):
            raise GitHubError(
                f"{folder} in {self._repository} has more files than GitHub lists in one tree "
                "(100,000): split the registry"
            )
        files = own.get("tree") or []
        return sha, {f"{folder}/{e['path']}": e["sha"] for e in files if e.get("type") == "blob"}

    def _walk(self, root: str, folder: str) -> str | None:
        """The tree sha of ``folder``, one level at a time from the root tree."""
        sha: str | None = root
        for part in folder.split("/"):
            level = self._get(f"/git/trees/{sha}").get("tree") or []
            sha = next((e["sha"] for e in level if e.get("path") == part), None)
            if sha is None:
                return None
        return sha

    def read_folder(
        self,
        branch: str,
        folder: str,
        blob: Callable[[str, str], bytes],
        commit: str | None = None,
    ) -> dict[str, StoredFile]:
        """Every file of ``folder`` (at ``commit`` if given): one listing, one GraphQL query, and
        ``blob(path, sha)`` for each file GraphQL does not give whole."""
        folder_sha, shas = self.listing(branch, folder, commit)
        texts = self.texts(folder_sha) if folder_sha and shas else {}
        files = {}
        for path, sha in sorted(shas.items()):
            content = texts.get(sha)
            files[path] = StoredFile(path, blob(path, sha) if content is None else content, sha)
        return files

    def texts(self, folder_sha: str) -> dict[str, bytes]:
        """The content of every file of the tree GraphQL gives whole, by blob sha."""
        owner, _, name = self._repository.partition("/")
        variables = {"owner": owner, "name": name, "oid": folder_sha}

        def query() -> tuple[dict[str, Any], dict[str, Any]]:
            try:
                return self._requester.graphql_query(TREE_QUERY, variables)
            except GithubException as exc:
                reason = graphql_errors(exc)
                if not reason:
                    raise
                message = {"message": f"GraphQL: {reason}"}
                raise GithubException(exc.status, message, exc.headers) from None

        _, data = self._call("read the manifests", query)
        repository = (data.get("data") or {}).get("repository") or {}
        found: dict[str, bytes] = {}
        for entry in (repository.get("object") or {}).get("entries") or []:
            blob = entry.get("object") or {}
            text = blob.get("text")
            if isinstance(text, str) and not blob.get("isTruncated"):
                content = text.encode("utf-8")
                # GraphQL gives text, not bytes: only bytes that hash to the listed sha count.
                if blob_sha(content) == entry.get("oid"):
                    found[entry["oid"]] = content
        return found


def graphql_errors(exc: GithubException) -> str:
    """The messages of a GraphQL answer's ``errors``, on one line."""
    data = exc.data if isinstance(exc.data, dict) else {}
    errors = data.get("errors")
    if not isinstance(errors, list):
        return ""
    messages = [str(e.get("message")) for e in errors if isinstance(e, dict)]
    return "; ".join(" ".join(m.split()) for m in messages)


def last_commit_time(repo: Repository, branch: str, path: str) -> datetime | None:
    """The committer date of the newest commit on ``branch`` that changed ``path``, if any.

    https://docs.github.com/en/rest/commits/commits#list-commits filters by ``path`` from
    ``sha``, newest first; the first page answers.
    """
    newest = repo.get_commits(sha=branch, path=path).get_page(0)
    if not newest:
        return None
    moment = newest[0].commit.committer.date
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
