"""For an errors entry: the right that was missing, in words a person can ask an admin for."""

from __future__ import annotations

from typing import Any

from diagnose.arm.ids import ResourceId, build, leading_scope
from diagnose.snapshot.codes import TIMEOUT_CODE

GRAPH_RIGHTS = (
    "directory read access in Microsoft Graph (Directory.Read.All, or User.Read.All "
    "+ GroupMember.Read.All + Application.Read.All; member users of the tenant "
    "usually have it by default, guests and restricted users do not)"
)


def retry_hint(error: dict[str, Any]) -> str:
    """What to retry with: the right needed to read what this error could not."""
    operation = str(error.get("operation") or "")
    scope = str(error.get("scope") or "")
    status = error.get("status")
    code = str(error.get("code") or "")
    if code == TIMEOUT_CODE:
        return "retry with a longer --timeout (or a narrower run: --project)"
    if code == "InvalidList":
        return "retry later: Azure answered a list without its items, so they are unknown"
    if status == 401:
        return "sign in again (the token was rejected), then retry"
    if operation.startswith("Microsoft.Graph/"):
        if code == "GraphUnavailable":
            return (
                "set DIAGNOSE_GRAPH_TOKEN (az account get-access-token --resource-type "
                "ms-graph) or sign in with azure-identity instead of DIAGNOSE_ARM_TOKEN"
            )
        if status == 404 or code == "Request_ResourceNotFound":
            return (
                "nothing to retry if the principal no longer exists (IDN002 says whether "
                "that was confirmed); otherwise retry later"
            )
        return f"retry with {GRAPH_RIGHTS}"
    if code == "UnexpectedShape":
        return (
            "nothing to retry: Azure returned data in a shape this version cannot read; "
            "please report it"
        )
    if code == "RefusedByReadOnlyGuard":
        return "nothing to retry: the read-only guard refused a request (a bug: please report it)"
    if status in (429, 500, 502, 503, 504) or (status is None and code.startswith("Service")):
        return "retry later (Azure was busy or unreachable)"
    if code in ("NoResourceGraphRow", "TargetNotFound"):
        return f"retry with Reader on {_subscription(scope)}"
    if status == 404:
        return (
            "nothing to retry: the resource does not exist (a connection may point to a "
            "deleted resource)"
        )
    if operation.startswith("Microsoft.Authorization/"):
        return f"retry with Reader (it includes {operation}) on {scope}"
    return f"retry with Reader on {scope}"


def _subscription(scope: str) -> str:
    subscription = leading_scope(scope).subscription
    if subscription is not None:
        return build(ResourceId(subscription))
    return "the subscription that holds it"
