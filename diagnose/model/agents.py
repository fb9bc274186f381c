"""What a Foundry capability host says, as the snapshot holds it: the connection lists it keeps
the agent service's data in, each with what it is for and the type of resource it points to.
The agent checks and the terminal UI read hosts through this one vocabulary."""

from __future__ import annotations

from diagnose.arm import types
from diagnose.model.resources import Resource

CAPABILITY_HOST_STORES = (
    ("threadStorageConnections", "thread storage", types.COSMOS_ACCOUNT),
    ("vectorStoreConnections", "vector store", types.SEARCH_SERVICE),
    ("storageConnections", "file storage", types.STORAGE_ACCOUNT),
    ("aiServicesConnections", "AI services", types.COGNITIVE_ACCOUNT),
)
"""(capability host property, what the agent service keeps there, the target's type key)."""


def connection_names(host: Resource | None, store: str) -> list[str]:
    """The connection names a host lists under one of its properties (a single name is taken
    as a list of one); [] for no host."""
    if host is None:
        return []
    value = host.prop(store)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]
