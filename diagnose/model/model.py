"""The model: a snapshot indexed into typed resources, principals and authorization data."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from diagnose.arm.scopes import ScopeTree, scope_key, subscription_of
from diagnose.arm.types import COSMOS_SQL_ROLE_ASSIGNMENT
from diagnose.bulk import bulk_allocation
from diagnose.model.authorization import Authorization
from diagnose.model.resources import (
    COGNITIVE_PROJECT,
    CONNECTION_TYPES,
    SUBSCRIPTION,
    Resource,
)
from diagnose.snapshot import Snapshot

if TYPE_CHECKING:  # built on first use: a model for one access question never needs it
    from diagnose.model.cosmos import CosmosIndex


_STALE = ("hubs", "_projects_by_hub", "_connections_by_parent", "_children_by_parent")
"""The indexes of resources a copy with other resources builds again on use."""


class Model:
    def __init__(self, snapshot: Snapshot) -> None:
        with bulk_allocation(lasting=True):
            self._build(snapshot)

    def _build(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.resources: dict[str, Resource] = {}
        chains: dict[str, list[str]] = {}
        for item in snapshot.data["resources"]:
            resource = Resource.from_arm(item)
            self.resources[resource.key] = resource
            if resource.type == SUBSCRIPTION:
                subscription = subscription_of(resource.key) or resource.name.lower()
                chain = resource.prop("managementGroupAncestorsChain") or []
                chains[subscription] = [str(mg.get("name")) for mg in chain if mg.get("name")]
        self.tree = ScopeTree.from_chains(chains)
        self.authorization = Authorization.from_snapshot(snapshot.data, self.tree)

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot) -> Model:
        return cls(snapshot)

    def with_resource(self, raw: dict[str, Any]) -> Model:
        """A copy with one resource replaced (same id), sharing the authorization index."""
        return self.with_resources([raw])

    def with_resources(
        self, raws: Iterable[dict[str, Any]], authorization: Authorization | None = None
    ) -> Model:
        """A copy with these resources added or replaced (by id), sharing everything else
        (`authorization`: the copy's, when it has other role assignments). A copy whose new
        resources are all Cosmos DB SQL role assignments keeps this model's resources_basis."""
        clone = object.__new__(Model)
        clone.__dict__.update({k: v for k, v in self.__dict__.items() if k not in _STALE})
        if authorization is not None:
            clone.authorization = authorization
        clone.resources = dict(self.resources)
        only_sql_assignments = only_new = True
        added: list[Resource] = []
        for raw in raws:
            resource = Resource.from_arm(raw)
            replaced = clone.resources.get(resource.key)
            clone.resources[resource.key] = resource
            added.append(resource)
            only_new &= replaced is None
            only_sql_assignments &= resource.type == COSMOS_SQL_ROLE_ASSIGNMENT and (
                replaced is None or replaced.type == COSMOS_SQL_ROLE_ASSIGNMENT
            )
        if only_sql_assignments:
            clone.__dict__["_basis"] = (self.resources_basis, clone.resources)
            if only_new:
                clone._add_to_indexes(self, added)
        return clone

    def _add_to_indexes(self, source: Model, added: list[Resource]) -> None:
        """This copy of `source` adds these Cosmos DB SQL role assignments (new ids, after the
        source's resources): the source's indexes of resources, with them, are this copy's.
        No hub or connection is among them; each is its account's last child, as building the
        index again over the copy's resources would put it."""
        for name in ("hubs", "_projects_by_hub", "_connections_by_parent"):
            if name in source.__dict__:
                self.__dict__[name] = source.__dict__[name]
        children: dict[tuple[str, str], list[Resource]] | None = source.__dict__.get(
            "_children_by_parent"
        )
        if children is not None:
            children = dict(children)
            for resource in added:
                key = (scope_key(resource.parent_id), resource.type)
                children[key] = [*children.get(key, ()), resource]
            self.__dict__["_children_by_parent"] = children
        cosmos: CosmosIndex | None = source.__dict__.get("_cosmos")
        if (
            cosmos is not None
            and cosmos.resources is source.resources
            and cosmos.errors is self.authorization.errors
        ):
            self.__dict__["_cosmos"] = cosmos.with_added(self.resources, added)

    @property
    def resources_basis(self) -> dict[str, Resource]:
        """The resources of the model this one is a copy of, when the copy's differ from them
        only in Cosmos DB SQL role assignments (with_resources: a whole-plan round, the proof
        of such an assignment); else its own. What is worked out from the resources without
        reading those assignments (the people of a workspace, its connections and their
        targets) is the same for two models with the same basis: it may be shared."""
        found: tuple[dict[str, Resource], dict[str, Resource]] | None = self.__dict__.get("_basis")
        if found is not None and found[1] is self.resources:
            return found[0]
        return self.resources

    def resource(self, resource_id: str | None) -> Resource | None:
        return self.resources.get(scope_key(resource_id)) if resource_id else None

    def of_type(self, resource_type: str) -> Iterator[Resource]:
        lowered = resource_type.lower()
        return (r for r in self.resources.values() if r.type == lowered)

    # Hubs, projects and connections come in the snapshot's order, not sorted by id: a check
    # that asks once per principal names the first workspace it met, and redaction replaces
    # ids but keeps the order, so a redacted bundle must meet them in the same order. (A
    # collected snapshot lists resources by id, so its order stays deterministic.)
    @cached_property
    def hubs(self) -> list[Resource]:
        return [r for r in self.resources.values() if r.is_hub]

    def projects_of(self, hub: Resource) -> list[Resource]:
        return list(self._projects_by_hub.get(hub.key, ()))

    @cached_property
    def _projects_by_hub(self) -> dict[str, list[Resource]]:
        """The hub projects by the key of the hub they name: asked of every hub by several
        checks and by each whole-plan round, it would otherwise scan every resource."""
        index: dict[str, list[Resource]] = {}
        for resource in self.resources.values():
            if resource.is_hub_project:
                hub = scope_key(resource.prop("hubResourceId") or "")
                index.setdefault(hub, []).append(resource)
        return index

    @cached_property
    def _connections_by_parent(self) -> dict[str, list[Resource]]:
        index: dict[str, list[Resource]] = {}
        for resource in self.resources.values():
            if resource.type in CONNECTION_TYPES:
                index.setdefault(scope_key(resource.parent_id), []).append(resource)
        return index

    def connections_of(self, parent: Resource) -> list[Resource]:
        return list(self._connections_by_parent.get(parent.key, ()))

    @cached_property
    def _children_by_parent(self) -> dict[tuple[str, str], list[Resource]]:
        index: dict[tuple[str, str], list[Resource]] = {}
        for resource in self.resources.values():
            if "/" in resource.type:
                index.setdefault((scope_key(resource.parent_id), resource.type), []).append(
                    resource
                )
        return index

    def children_of(self, parent: Resource, child_type: str) -> list[Resource]:
        """The snapshot's child resources of one type directly under a resource (a Foundry
        resource's projects, a project's capability hosts), in the snapshot's order."""
        return list(self._children_by_parent.get((parent.key, child_type.lower()), ()))

    def foundry_projects_of(self, account: Resource) -> list[Resource]:
        return self.children_of(account, COGNITIVE_PROJECT)

    @property
    def cosmos(self) -> CosmosIndex:
        """The Cosmos DB accounts with their SQL RBAC (diagnose.model.cosmos), built on first
        use; a copy whose resources or read errors differ (with_resource, a plan applied)
        builds its own."""
        found: CosmosIndex | None = self.__dict__.get("_cosmos")
        if (
            found is None
            or found.resources is not self.resources
            or found.errors is not self.authorization.errors
        ):
            from diagnose.model.cosmos import CosmosIndex

            found = self.__dict__["_cosmos"] = CosmosIndex(
                self.resources, self.authorization.errors
            )
        return found
