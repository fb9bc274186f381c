"""Codes of `errors` entries that the tool itself writes into a snapshot (Azure's own codes,
such as AuthorizationFailed, are kept as Azure sent them). They are part of the snapshot
format: the collector and the loader write them, the report reads them."""

TIMEOUT_CODE = "Timeout"
"""A read that the collection's --timeout ended before it was answered."""

HASH_MISMATCH_CODE = "BundleHashMismatch"
"""A bundle member that differs from its manifest, read with --ignore-bundle-hashes."""
