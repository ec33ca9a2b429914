"""registry-action: register dashboard plugins in a plugin-registry repository."""

__version__ = "1.0.0"
