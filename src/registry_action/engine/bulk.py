"""Changes of many files: reindex, as few commits as the store allows, all checked first.

Part of the engine: it works on the RegistryStore port only. A reindex reads the branch's head,
then ``registry.json`` and every manifest exactly as of that head, computes every file it will
write and checks them all (core/reindex.py refuses damage, naming the files at fault), and
only then writes: in one commit, or in a chain of commits when the store limits how much one
may carry, each made only if the branch is still where the previous one left it. Manifests
come first and the index last, so the index never lists a manifest not yet written. A change
that would leave every file as it is writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry_action.core.commit_urls import unpinned
from registry_action.core.documents import (
    REGISTRY_PATH,
    load_registry,
)
from registry_action.core.maps import build_maps
from registry_action.core.strictjson import dumps
from registry_action.engine.maps import map_writes, read_maps
from registry_action.engine.outcome import FileChange, Outcome
from registry_action.engine.pinning import (
    UNKNOWN_COMMIT,
    known_commits,
    listed_paths,
    pinned_index,
    readable,
)
from registry_action.engine.reading import read_manifest_files
from registry_action.engine.retry import RunOptions
from registry_action.engine.state import RunState
from registry_action.store.interface import CommitLimit, FileWrite, RegistryStore, StoredFile


def batches(changes: Sequence[FileWrite], limit: CommitLimit | None) -> list[list[FileWrite]]:
    """``changes`` in order, cut into runs that each fit in one commit under ``limit``."""
    if limit is None:
        return [list(changes)] if changes else []
    out: list[list[FileWrite]] = []
    size = 0
    for change in changes:
        weight = len(change.content or b"")
        if not out or len(out[-1]) >= limit.files or (out[-1] and size + weight > limit.size):
            out.append([])
            size = 0
        out[-1].append(change)
        size += weight
    return out


def commit_all(
    store: RegistryStore,
    changes: Sequence[tuple[FileWrite, bytes | None]],
    head: str | None,
    message: str,
    state: RunState,
) -> str | None:
    """Commit every change (with what the file held before), in as few commits as fit; the
    head after the last of them."""
    before = {change.path: previous for change, previous in changes}
    for batch in batches([change for change, _ in changes], store.commit_limit):
        for change in batch:
            state.pending[change.path] = FileChange(
                change.path, before[change.path], change.content
            )
        results = store.commit(batch, head, message)
        for change, result in zip(batch, results, strict=True):
            state.pending.pop(change.path, None)
            state.changes[change.path] = FileChange(
                change.path,
                before[change.path],
                change.content,
                result.commit_sha,
                result.commit_url,
            )
        head = results[-1].commit_sha or head
    return head


Change = tuple[FileWrite, bytes | None]


def reindex_once(
    store: RegistryStore, options: RunOptions, message: str, state: RunState, attempt: int
) -> Outcome:
    """One attempt of a reindex: read at one commit, check everything, then write."""
    from registry_action.core.reindex import conversion  # only reindex builds the rebuild

    head = store.head()
    index_file = store.read_at(REGISTRY_PATH, head)
    read = load_registry(REGISTRY_PATH, index_file.content) if index_file else None
    files = read_manifest_files(store, head)
    adopt_landed(state, {**files, REGISTRY_PATH: index_file})
    contents = {path: stored.content for path, stored in files.items()}
    urls = options.commit_urls
    # Entries that name commits are compared in the branch's terms, then named anew.
    index = unpinned(read, readable(files)) if urls is not None and read is not None else read
    plan = conversion(index, contents, options.clock(), store.last_changed)
    stored = {**files, REGISTRY_PATH: index_file}
    manifests = _changes(plan.manifests, stored)
    maps = read_maps(store, options.maps, head)  # as of the head the rest was read at
    final = plan.index
    if urls is not None:
        listed = plan.index or index or {}
        kept = [path for path in listed_paths(listed) if path not in plan.manifests]
        commits = known_commits(store, kept, head)  # before any write: it may refuse
        head = _write(store, options, manifests, [], head, message, state)
        manifests = []
        commits |= {path: _commit_of(path, state, options) for path in plan.manifests}
        final = pinned_index(listed, read, commits, urls, options.clock())
    tail = _changes({REGISTRY_PATH: final} if final else {}, stored)
    if options.maps:
        documents = {**readable(files), **plan.manifests}
        drawn = build_maps(final or index or {"plugins": []}, documents, options.maps)
        tail = map_writes(drawn, maps) + tail  # the index last, as in every write
    _write(store, options, manifests, tail, head, message, state)
    return Outcome(
        plugin_id="",
        changes=tuple(state.changes.values()),
        attempts=attempt,
        dry_run=options.dry_run,
    )


def _changes(
    documents: dict[str, dict[str, Any]], stored: dict[str, StoredFile | None]
) -> list[Change]:
    """The writes that ``documents`` make; a file written as it is stored would make an empty
    commit, so it is never sent."""
    bodies = {path: dumps(document) for path, document in documents.items()}
    return [
        _write_of(path, body, stored.get(path))
        for path, body in bodies.items()
        if _differs(stored.get(path), body)
    ]


def _write(
    store: RegistryStore,
    options: RunOptions,
    manifests: list[Change],
    tail: list[Change],
    head: str | None,
    message: str,
    state: RunState,
) -> str | None:
    """Manifests, then ``tail`` (the index and what goes with it) in one commit of its own
    unless everything fits in one; in a dry run, only recorded. The head after them."""
    if options.dry_run:
        for change, before in manifests + tail:
            state.changes[change.path] = FileChange(change.path, before, change.content)
        return head
    cut = batches([change for change, _ in manifests + tail], store.commit_limit)
    if manifests and tail and len(cut[-1]) < len(tail):  # the tail would span two commits
        head = commit_all(store, manifests, head, message, state)
        manifests = []
    if manifests or tail:
        head = commit_all(store, manifests + tail, head, message, state)
    return head


def _commit_of(path: str, state: RunState, options: RunOptions) -> str:
    change = state.changes[path]
    return UNKNOWN_COMMIT if options.dry_run or change.commit_sha is None else change.commit_sha


def _write_of(path: str, body: bytes, stored: StoredFile | None) -> tuple[FileWrite, bytes | None]:
    version, before = (stored.version, stored.content) if stored else (None, None)
    return FileWrite(path, body, version), before


def _differs(stored: StoredFile | None, body: bytes) -> bool:
    return stored is None or stored.content != body


def adopt_landed(state: RunState, found: dict[str, StoredFile | None]) -> None:
    """Count as this run's the changes of an earlier attempt found written (answer lost)."""
    for path, change in list(state.pending.items()):
        current = found.get(path)
        if current is not None and current.content == change.after:
            state.changes[path] = change
        state.pending.pop(path)
