"""Index entries whose ``manifestUrl`` names the commit that wrote the manifest. Pure.

A raw-file URL names a ref: ``https://raw.githubusercontent.com/{owner}/{repo}/{ref}/plugins/
<id>.json`` (and ``https://raw.HOST/...`` or ``https://HOST/raw/...`` on GitHub Enterprise
Server). With ``manifest-urls: commit``, each entry names, instead of the branch, the commit
that wrote its manifest: a URL that names a commit names content that never changes, so no
cache can serve it stale, and a dashboard reading any version of ``registry.json`` gets exactly
the manifests that version lists. The manifest's own ``manifestUrl`` stays its branch URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry_action.core.documents import manifest_path

COMMIT_SHA = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class CommitUrls:
    """How a branch URL of the registry becomes a commit's: the part before the branch."""

    branch_base: str  # .../{owner}/{repo}/{branch}
    prefix: str  # .../{owner}/{repo}

    @classmethod
    def of(cls, base_url: str, branch: str) -> CommitUrls | None:
        """The commit URLs of a registry whose branch URL is ``base_url``; None when it does
        not end with the branch (a base URL that names no ref, such as a Pages site)."""
        base = base_url.rstrip("/")
        suffix = f"/{branch}"
        if not branch or not base.endswith(suffix) or "://" not in base[: -len(suffix)]:
            return None
        return cls(base, base[: -len(suffix)])

    def at(self, manifest_url: str, commit: str) -> str:
        """``manifest_url`` at ``commit``; unchanged when it is not under the branch URL."""
        head = f"{self.branch_base}/"
        if not manifest_url.startswith(head):
            return manifest_url
        return f"{self.prefix}/{commit}/{manifest_url[len(head) :]}"


def named_commit(entry_url: str, manifest_url: str) -> str | None:
    """The commit ``entry_url`` names when it is ``manifest_url`` at a commit, else None.

    Both end with ``plugins/<file>``; before that, the entry's URL has a commit sha where the
    manifest's has the branch, and the same text before those.
    """
    entry_head, _, entry_file = entry_url.rpartition("/")
    manifest_head, _, manifest_file = manifest_url.rpartition("/")
    entry_head, _, entry_folder = entry_head.rpartition("/")
    manifest_head, _, manifest_folder = manifest_head.rpartition("/")
    if (entry_folder, entry_file) != (manifest_folder, manifest_file):
        return None
    prefix, _, commit = entry_head.rpartition("/")
    if not COMMIT_SHA.fullmatch(commit) or "://" not in prefix:
        return None
    ref = manifest_head.removeprefix(f"{prefix}/")
    return commit if ref != manifest_head and ref else None


def unpinned(
    registry: Mapping[str, Any], manifests: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """``registry`` with every entry that names a commit of its manifest's URL naming the URL
    itself, so that entries compare in the branch's terms (``manifests`` by path)."""
    plugins = []
    for entry in registry["plugins"]:
        manifest = manifests.get(manifest_path(str(entry.get("id"))))
        url = manifest.get("manifestUrl") if manifest is not None else None
        if isinstance(url, str) and named_commit(str(entry.get("manifestUrl")), url):
            entry = {**entry, "manifestUrl": url}
        plugins.append(entry)
    return {**registry, "plugins": plugins}


def pinned(
    registry: Mapping[str, Any], commits: Mapping[str, str], urls: CommitUrls
) -> dict[str, Any]:
    """``registry`` with each entry whose id ``commits`` names pointing at that commit."""
    plugins = [
        {**entry, "manifestUrl": urls.at(entry["manifestUrl"], commits[entry["id"]])}
        if entry.get("id") in commits
        else entry
        for entry in registry["plugins"]
    ]
    return {**registry, "plugins": plugins}
