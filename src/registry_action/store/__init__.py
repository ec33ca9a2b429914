"""Registry stores: where the registry's files live (a GitHub repository or a local folder)."""

from registry_action.store.interface import ConflictError, RegistryStore, StoredFile, WriteResult

__all__ = ["ConflictError", "RegistryStore", "StoredFile", "WriteResult"]
