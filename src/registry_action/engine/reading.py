"""Reading a registry's files from a store, for the checks and the rebuild that the core makes.

The core works on file contents and never on a store; validate and reindex read them here.
"""

from __future__ import annotations

from registry_action.core.documents import PLUGINS_DIR, REGISTRY_PATH, is_manifest_path
from registry_action.store.interface import RegistryStore, StoredFile


def read_manifest_files(store: RegistryStore, commit: str | None = None) -> dict[str, StoredFile]:
    """Every ``plugins/*.json`` of a store with its version, by path (read in bulk), as of
    ``commit`` when given."""
    found = (
        store.read_folder(PLUGINS_DIR)
        if commit is None
        else store.read_folder_at(PLUGINS_DIR, commit)
    )
    return {path: stored for path, stored in found.items() if is_manifest_path(path)}


def read_registry(store: RegistryStore) -> tuple[bytes | None, dict[str, bytes]]:
    """``registry.json`` (None when missing) and every ``plugins/*.json``, by path."""
    index = store.read(REGISTRY_PATH)
    manifests = {path: stored.content for path, stored in read_manifest_files(store).items()}
    return (index.content if index else None), manifests
