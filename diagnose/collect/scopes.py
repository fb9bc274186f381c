"""Steps that read what the authorization listings refer to: role definitions (each once,
through azure-mgmt-authorization at the api-version that keeps conditions) and the
subscription's Resource Graph row, which names its management groups, nearest first."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from diagnose.collect import apiversions, queries
from diagnose.collect.clients import ApiError
from diagnose.collect.sdk import SdkClients
from diagnose.collect.shapes import RESOURCE, ROLE_DEFINITION, fits
from diagnose.collect.steps import Places, Steps

SUBSCRIPTION_READ = "Microsoft.Resources/subscriptions/read"
ROLE_DEFINITION_READ = "Microsoft.Authorization/roleDefinitions/read"
ROLE_DEFINITION_ID = re.compile(
    r"^(/subscriptions/[0-9a-f-]{36}|/providers/Microsoft\.Management/managementGroups/[^/]+)?"
    r"/providers/Microsoft\.Authorization/roleDefinitions/[0-9a-f-]{36}$",
    re.IGNORECASE,
)


class ScopeReads(Steps):
    sdk: SdkClients | None = None
    """The Azure SDK clients: authorization reads go through azure-mgmt-authorization."""

    def _sdk(self) -> SdkClients:
        assert self.sdk is not None, "a collection reads authorization data through the SDK"
        return self.sdk

    def _leaves(self) -> tuple[Callable[..., Any], ...]:
        return (*super()._leaves(), self.fetch_role_definition, self.read_subscription)

    def _abandoned(self, name: str, args: tuple[Any, ...]) -> Places:
        if name == "fetch_role_definition":
            return [(args[0], ROLE_DEFINITION_READ)]
        if name == "read_subscription":
            return [(f"/subscriptions/{args[0]}", SUBSCRIPTION_READ)]
        return super()._abandoned(name, args)

    def _want_role(self, wave: int, role_definition_id: Any) -> None:
        """Read a referenced role definition once: a built-in role the catalog knows at the
        tenant root (the same object whichever subscription refers to it), any other role by
        the id given (so the requests made do not depend on which listing came first)."""
        if not isinstance(role_definition_id, str) or not ROLE_DEFINITION_ID.match(
            role_definition_id
        ):
            return
        guid = role_definition_id.rsplit("/", 1)[-1].lower()
        if guid in builtin_role_ids():
            path = f"/providers/Microsoft.Authorization/roleDefinitions/{guid}"
        else:
            path = role_definition_id
        if path.lower() in self.state.wanted_roles:
            return
        self.state.wanted_roles.add(path.lower())
        self._submit(wave + 1, self.fetch_role_definition, path)

    def fetch_role_definition(self, wave: int, role_definition_id: str) -> None:
        try:
            sdk = self._sdk()
            operations = sdk.authorization(apiversions.ROLE_DEFINITIONS).role_definitions
            definition = sdk.get(operations.get_by_id, role_definition_id)
        except ApiError as exc:
            self._error(exc, role_definition_id, ROLE_DEFINITION_READ)
            return
        if not sdk.fits(ROLE_DEFINITION, definition):
            self._odd_items(1, role_definition_id, ROLE_DEFINITION_READ, "role definition")
            return
        with self._lock:
            self.state.role_definitions[definition["id"].lower()] = definition

    def read_subscription(self, wave: int, subscription: str) -> None:
        """The subscription's Resource Graph row: its management groups, nearest first."""
        scope = f"/subscriptions/{subscription}"
        try:
            rows = self.arm.resource_graph(queries.subscription_rows(), [subscription])
        except ApiError as exc:
            self._error(exc, scope, SUBSCRIPTION_READ)
            return
        row = next(
            (
                r
                for r in rows
                if fits(RESOURCE, r) and str(r.get("subscriptionId", "")).lower() == subscription
            ),
            None,
        )
        with self._lock:
            if row is None:
                self.state.errors.append(
                    {
                        "scope": scope,
                        "operation": SUBSCRIPTION_READ,
                        "status": None,
                        "code": "NoResourceGraphRow",
                        "message": "Resource Graph returned no row for this subscription (no read "
                        "access to it?), so the management groups above it are unknown",
                    }
                )
            else:
                self.state.subscriptions[subscription] = row


@cache
def builtin_role_ids() -> frozenset[str]:
    from diagnose.catalog import builtin_role_definitions

    return frozenset(str(d.get("name", "")).lower() for d in builtin_role_definitions())
