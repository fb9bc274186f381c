"""Read the target --hub names before anything else: a hub, a Foundry resource or a Foundry
project. Anything but a readable target of one of these kinds is bad input (there is nothing
to diagnose), with one message that says what it is and what to pass instead.

A hub is read directly (ARM REST); a Foundry resource and a Foundry project through
azure-mgmt-cognitiveservices (accounts.get, projects.get), as the rest of their collection is.
A Foundry project is collected with its Foundry resource (its parent): both are read here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from diagnose.arm import types
from diagnose.arm.ids import followable
from diagnose.collect import apiversions
from diagnose.collect.clients import ApiError, ArmClient
from diagnose.collect.credentials import Credentials, rejected_credentials
from diagnose.collect.sdk import SdkClients
from diagnose.collect.shapes import RESOURCE, fits
from diagnose.errors import BadInput
from diagnose.snapshot.codes import TIMEOUT_CODE

FOUNDRY_KIND = "aiservices"


@dataclass(frozen=True)
class Target:
    """What --hub named, as Azure returned it."""

    resource: dict[str, Any]
    """The hub, or the Foundry resource (also when a project of it was named)."""
    project: dict[str, Any] | None = None
    """The Foundry project, when its id was named."""

    @property
    def is_foundry(self) -> bool:
        return str(self.resource.get("type") or "").lower() == types.COGNITIVE_ACCOUNT

    @property
    def id(self) -> str:
        """The id of what was named (the snapshot's target.hub)."""
        return str((self.project or self.resource)["id"])

    @property
    def noun(self) -> str:
        return "Foundry resource" if self.is_foundry else "hub"


def read_target(
    arm: ArmClient,
    sdk: SdkClients,
    target_id: str,
    credentials: Credentials | None = None,
    *,
    fallback: str | None = None,
) -> Target:
    parsed = followable(target_id)
    if parsed is not None and parsed.type == types.COGNITIVE_ACCOUNT:
        return Target(_foundry_account(sdk, target_id, credentials, arm.endpoint))
    if parsed is not None and parsed.type == types.COGNITIVE_PROJECT:
        project = _read(
            lambda: sdk.get(sdk.cognitive(parsed.subscription).projects.get, *_names(target_id)),
            "Foundry project",
            target_id,
            credentials,
            arm.endpoint,
        )
        account_id = target_id.rsplit("/projects/", 1)[0]
        return Target(_foundry_account(sdk, account_id, credentials, arm.endpoint), project)
    if fallback is not None:
        try:
            hub = arm.get(target_id, {"api-version": apiversions.WORKSPACES})
        except ApiError as exc:
            if exc.status != 404:
                raise _bad(exc, "hub", target_id, credentials, arm.endpoint) from None
            try:
                return Target(_foundry_account(sdk, fallback, credentials, arm.endpoint))
            except BadInput as missing:
                if "no such" not in str(missing):
                    raise
                raise BadInput(
                    f"no hub or Foundry resource named {fallback.rsplit('/', 1)[-1]!r} in "
                    "this resource group",
                    where="--hub",
                    fix="check the subscription, resource group and name; for a Foundry "
                    "project pass its ARM id, or its resource with --project NAME",
                ) from None
        return Target(_hub(hub, target_id))
    return Target(read_hub(arm, target_id, credentials))


def read_hub(arm: ArmClient, hub_id: str, credentials: Credentials | None = None) -> dict[str, Any]:
    """GET the hub; anything but a readable hub is bad input."""
    hub = _read(
        lambda: arm.get(hub_id, {"api-version": apiversions.WORKSPACES}),
        "hub",
        hub_id,
        credentials,
        arm.endpoint,
    )
    return _hub(hub, hub_id)


def _hub(hub: Any, hub_id: str) -> dict[str, Any]:
    _check_shape(hub, "hub", hub_id)
    kind = str(hub.get("kind") or "").lower()
    if kind != "hub":
        properties = hub.get("properties")
        hub_of = properties.get("hubResourceId") if isinstance(properties, dict) else None
        fix = (
            f"this is a project: pass its hub, --hub {hub_of} --project {hub.get('name')}"
            if kind == "project" and isinstance(hub_of, str)
            else "pass a workspace of kind Hub, or a Foundry resource or project"
        )
        raise BadInput(
            f"this workspace is of kind {hub.get('kind') or 'Default'!r}, not a hub",
            where=hub_id,
            fix=fix,
        )
    return dict(hub)


def _foundry_account(
    sdk: SdkClients, account_id: str, credentials: Credentials | None, endpoint: str
) -> dict[str, Any]:
    parsed = followable(account_id)
    assert parsed is not None
    account = _read(
        lambda: sdk.get(sdk.cognitive(parsed.subscription).accounts.get, *_names(account_id)),
        "Foundry resource",
        account_id,
        credentials,
        endpoint,
    )
    _check_shape(account, "Foundry resource", account_id)
    kind = str(account.get("kind") or "")
    if kind.lower() != FOUNDRY_KIND:
        what = "an Azure OpenAI resource" if kind.lower() == "openai" else "an Azure AI resource"
        raise BadInput(
            f"this is {what} of kind {kind or 'unknown'!r}, not a Foundry resource "
            "(kind AIServices): it has no projects to diagnose",
            where=account_id,
            fix="pass the hub or the Foundry resource (or project) that connects to it",
        )
    return dict(account)


def _names(resource_id: str) -> tuple[str, ...]:
    """(resource group, name, child name, ...) as the SDK operations take them."""
    parsed = followable(resource_id)
    assert parsed is not None
    return (parsed.resource_group, *parsed.names)


def _check_shape(item: Any, what: str, where: str) -> None:
    if not fits(RESOURCE, item):
        raise BadInput(f"what Azure returned for the {what} is not an ARM resource", where=where)


def _read(
    read: Callable[[], Any],
    what: str,
    where: str,
    credentials: Credentials | None,
    endpoint: str,
) -> Any:
    try:
        return read()
    except ApiError as exc:
        raise _bad(exc, what, where, credentials, endpoint) from None


def _bad(
    exc: ApiError, what: str, where: str, credentials: Credentials | None, endpoint: str
) -> BadInput:
    detail = f"{exc.status} {exc.code}: {exc.message}" if exc.status else exc.message
    if exc.status == 404:
        return BadInput(
            f"no such {what} ({detail})",
            where=where,
            fix="check the subscription, resource group and name, or pass --hub NAME to look it up",
        )
    if exc.status == 401:
        return rejected_credentials(credentials, detail, exc.tenant, endpoint)
    if exc.code == TIMEOUT_CODE:
        return BadInput(
            f"could not read the {what} in time ({detail})",
            where=where,
            fix="retry with a longer --timeout, and check network access to --arm-endpoint",
        )
    if exc.status == 403:
        return BadInput(
            f"you cannot read this {what} ({detail})",
            where=where,
            fix=f"ask for Reader on the {what} (or its resource group), then retry",
        )
    return BadInput(
        f"could not read the {what} ({detail})",
        where=where,
        fix="retry in a moment; check --arm-endpoint and network access to it",
    )
