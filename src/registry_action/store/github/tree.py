"""Reading a whole folder of a GitHub registry in a few requests, whatever its size.

The Contents API lists at most 1,000 files of a folder, silently, and reads one file per
request. Here the folder is listed with the Git Trees API (recursive; when GitHub answers
``truncated``, the folder's own tree is fetched, one level at a time) and the files' texts come
from GraphQL in batches (texts.py). Each text is checked against the blob sha the listing gave,
so a file GraphQL cut (``isTruncated``, past 512,000 bytes), left out, or could not give as
text is read on its own through the blob API.

A renamed or transferred repository answers 301, which PyGithub follows by path, dropping the
query: a recursive listing would come back one level deep. So an answer that names another
repository than the one asked for raises Moved, and the store looks the repository up again.

Also here: when a file last changed, from the commits API (only the one-run conversion of a
registry asks).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from github.Repository import Repository
from github.Requester import Requester

from registry_action.errors import GitHubError
from registry_action.store.github.texts import Blob, TextReader
from registry_action.store.interface import StoredFile

Call = Callable[[str, Callable[[], Any]], Any]


class Moved(Exception):
    """An answer came from another repository than the one asked for: it was renamed."""


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
        if f"/repos/{self._repository}/".lower() not in str(data.get("url") or "").lower():
            raise Moved(self._repository)
        return data

    def listing(
        self, branch: str, folder: str, commit: str | None = None
    ) -> tuple[str | None, dict[str, Blob]]:
        """The folder's tree sha (None if there is no such folder) and its files' blobs, at
        ``commit`` if given, else at the branch's head."""
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
            inside = (e for e in entries if str(e.get("path")).startswith(prefix))
            return sha, _blobs(inside, prefix)
        # Cut at 100,000 entries or 7 MB: the folder's own tree lists it whole.
        sha = sha or self._walk(str(top["sha"]), folder)
        if sha is None:
            return None, {}
        own = self._get(f"/git/trees/{sha}")
        if own.get("truncated"):
            raise GitHubError(
                f"{folder} in {self._repository} has more files than GitHub lists in one tree: "
                "split the registry"
            )
        return sha, _blobs(own.get("tree") or [], "", folder=f"{folder}/")

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
        """Every file of ``folder`` (at ``commit`` if given): one listing, a few GraphQL
        queries, and ``blob(path, sha)`` for each file GraphQL does not give whole."""
        _, listed = self.listing(branch, folder, commit)
        reader = TextReader(self._requester, self._repository, self._call)
        texts = reader.read(list(listed.values())) if listed else {}
        files = {}
        for path, entry in sorted(listed.items()):
            content = texts.get(entry.sha)
            if content is None:
                content = blob(path, entry.sha)
            files[path] = StoredFile(path, content, entry.sha)
        return files


def _blobs(entries: Any, prefix: str, folder: str = "") -> dict[str, Blob]:
    """The blobs among tree ``entries`` directly below ``prefix``, by path (``folder`` put
    before each entry's path)."""
    found = {}
    for entry in entries:
        relative = str(entry.get("path"))[len(prefix) :]
        if entry.get("type") == "blob" and "/" not in relative:
            found[f"{folder}{entry['path']}"] = Blob(str(entry["sha"]), int(entry.get("size") or 0))
    return found


def last_commit_time(repo: Repository, branch: str, path: str) -> datetime | None:
    """The committer date of the newest commit on ``branch`` that changed ``path``, if any.

    https://docs.github.com/en/rest/commits/commits#list-commits filters by ``path`` from
    ``sha``, newest first: a page of one commit answers.
    """
    parameters = {"sha": branch, "path": path, "per_page": "1"}
    _, newest = repo.requester.requestJsonAndCheck("GET", f"{repo.url}/commits", parameters)
    if not isinstance(newest, list) or not newest:
        return None
    try:
        moment = datetime.fromisoformat(str(newest[0]["commit"]["committer"]["date"]))
    except (KeyError, TypeError, ValueError):
        raise GitHubError(f"GitHub gave no date for the last change of {path}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
