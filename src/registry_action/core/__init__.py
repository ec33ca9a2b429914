"""The pure core: documents, the registry merge, manifests, validation. No I/O."""
