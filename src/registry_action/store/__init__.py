"""Registry stores: where the registry's files live (a GitHub repository or a local folder)."""
