"""Index entries that name the commit that wrote their manifest (`manifest-urls: commit`).

Part of the engine, over the store port: the publish loop asks here which commit holds a
manifest exactly as it is, and whether an entry that names a commit agrees with a manifest.
A commit is taken only once the file as that commit holds it has been read and found equal, so
a lagging history or a concurrent write can never be named.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry_action.core.commit_urls import CommitUrls, named_commit, pinned
from registry_action.core.documents import manifest_path, plugin_id_of, replaceable_manifest
from registry_action.core.registry import entry_for, touched
from registry_action.engine.state import agrees, parsed_manifest
from registry_action.errors import RegistryProblemsError
from registry_action.settings.spelling import setting
from registry_action.store.interface import RegistryStore, StoredFile

# A dry run writes nothing, so the commit that would write the manifest has no sha yet.
UNKNOWN_COMMIT = "0" * 40


def entry_at(
    manifest: dict[str, Any], urls: CommitUrls | None, commit: str | None
) -> dict[str, Any]:
    """The index entry of ``manifest``, naming ``commit`` when there are commit URLs."""
    entry = entry_for(manifest)
    if urls is None or commit is None:
        return entry
    return {**entry, "manifestUrl": urls.at(entry["manifestUrl"], commit)}


def holds(store: RegistryStore, path: str, commit: str, manifest: dict[str, Any]) -> bool:
    """Whether ``commit`` holds ``path`` as ``manifest`` is (read exactly, at the commit)."""
    return parsed_manifest(store.read_at(path, commit)) == manifest


def commit_of(
    store: RegistryStore,
    path: str,
    manifest: dict[str, Any],
    listed: dict[str, Any] | None,
) -> str | None:
    """The commit that wrote ``manifest`` at ``path`` as it is; None when none is known.

    The commit the index entry names is tried first (a re-run costs one read), then the last
    commit that changed the file.
    """
    named = named_commit(str(listed["manifestUrl"]), manifest["manifestUrl"]) if listed else None
    if named is not None and holds(store, path, named, manifest):
        return named
    last = store.last_commits([path]).get(path)
    if last is not None and last != named and holds(store, path, last, manifest):
        return last
    return None


def agrees_at_commit(
    store: RegistryStore,
    path: str,
    entry: dict[str, Any] | None,
    manifest: dict[str, Any] | None,
    known: tuple[str | None, dict[str, Any] | None],
) -> bool:
    """Whether ``entry`` names a commit that holds ``manifest`` (or both are absent).

    ``known`` is a commit this run knows to hold a manifest, and that manifest: no read then.
    """
    if entry is None or manifest is None:
        return agrees(entry, manifest)
    commit = named_commit(str(entry["manifestUrl"]), manifest["manifestUrl"])
    if commit is None or not agrees({**entry, "manifestUrl": manifest["manifestUrl"]}, manifest):
        return False
    if known == (commit, manifest):
        return True
    return holds(store, path, commit, manifest)


def readable(files: Mapping[str, StoredFile]) -> dict[str, dict[str, Any]]:
    """The manifests among ``files`` that can be read, by path (the rebuild names the rest)."""
    found = {path: replaceable_manifest(path, stored.content)[0] for path, stored in files.items()}
    return {path: document for path, document in found.items() if document is not None}


def listed_paths(index: Mapping[str, Any]) -> list[str]:
    """The manifest of each entry of ``index``."""
    return [manifest_path(str(entry["id"])) for entry in index.get("plugins", [])]


def known_commits(store: RegistryStore, paths: list[str], head: str | None) -> dict[str, str]:
    """The commit that wrote each file as of ``head``; RegistryProblemsError naming the files
    no commit holds as they are, before anything is written."""
    found = store.last_commits(paths, head)
    missing = [path for path, commit in found.items() if commit is None]
    if missing:
        named = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise RegistryProblemsError(
            f"reindex refused, nothing written: no commit holds {named} as it is, and "
            f"{setting('manifest-urls', 'commit')} names the commit that wrote each manifest: "
            "commit them, then reindex again"
        )
    return {path: commit for path, commit in found.items() if commit is not None}


def pinned_index(
    listed: dict[str, Any],
    read: dict[str, Any] | None,
    commits: Mapping[str, str],
    urls: CommitUrls,
    now: str,
) -> dict[str, Any] | None:
    """``listed`` with each entry naming the commit of its manifest; None when ``read`` (the
    index as stored) already is that. ``lastUpdated`` moves only when an entry changed."""
    by_id = {plugin_id_of(path): commit for path, commit in commits.items()}
    final = pinned(listed, by_id, urls)
    if read is not None and final == read:
        return None
    if read is None or final["plugins"] != read["plugins"]:
        final = touched(final, now)
    return final
