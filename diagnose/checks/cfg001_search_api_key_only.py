from diagnose.checks._common import (
    DOCS_SEARCH_ENABLE_RBAC,
    SEARCH_CATEGORIES,
    reached_with_entra_id,
)
from diagnose.checks._error_texts import AGENT_VECTOR_STORE_FORBIDDEN, SEARCH_UNAUTHORIZED
from diagnose.engine.api import Cause, Draft, Remediation, RemediationKind, Severity, Status, check
from diagnose.engine.context import CheckContext, describe
from diagnose.model.resources import SEARCH_SERVICE, Resource

RBAC_MODE = {"aadOrApiKey": {"aadAuthFailureMode": "http401WithBearerChallenge"}}


@check(
    id="CFG001",
    title="Search accepts Entra ID tokens where Entra ID is used",
    severity=Severity.CRITICAL,
    scenario="Search in API-key-only mode",
    docs=(DOCS_SEARCH_ENABLE_RBAC,),
    explains=(SEARCH_UNAUTHORIZED, AGENT_VECTOR_STORE_FORBIDDEN),
)
def search_api_key_only(ctx: CheckContext):
    """
    What it checks: every Search service reached with Entra ID (an Entra ID connection, or an
    Azure OpenAI resource querying it for "add your data" through an Entra ID connection)
    accepts role-based access: its
    authOptions is aadOrApiKey, or local authentication is disabled. Only Azure OpenAI queries
    Search for "add your data": a `CognitiveService` connection to a Speech or Content Safety
    account does not make it a caller.

    Who needs it: no role: the switch decides before any role is looked at. A Search service in
    API-key-only mode that an Entra ID connection or Azure OpenAI's identity reaches is a
    failure for every caller at once, people (the users of the connection, whatever their
    persona) and identities alike; when the snapshot does not show the mode, unknown.

    Why it matters: a new Search service accepts API keys only. In that mode every Entra ID
    token gets 403, whatever roles the caller holds: role assignments look right and still
    nothing works.

    How to fix: set the Search service's API access control to "Both" (authOptions aadOrApiKey,
    with aadAuthFailureMode http401WithBearerChallenge).
    """
    for search, why in reached_with_entra_id(
        ctx, SEARCH_SERVICE, "ai", "search", "queries", SEARCH_CATEGORIES
    ):
        mode = api_keys_only(search)
        if mode is False:
            continue
        if mode is True:
            yield Draft(
                status=Status.FAIL,
                resource=search.id,
                cause=Cause.CONFIGURATION,
                message=f"{describe(search)} accepts API keys only, but {why}: every Entra ID "
                "token gets 403 whatever roles the caller holds.",
                remediations=(
                    Remediation(
                        kind=RemediationKind.CONFIGURATION,
                        summary=f"Let {describe(search)} accept both API keys and Entra ID tokens.",
                        resource=search.id,
                        setting="properties.authOptions",
                        value=RBAC_MODE,
                    ),
                ),
                details={"authOptions": search.prop("authOptions")},
            )
        else:
            yield Draft(
                status=Status.UNKNOWN,
                resource=search.id,
                cause=Cause.UNREADABLE,
                message=f"The snapshot does not show the API access control (authOptions) of "
                f"{describe(search)}, which {why}; a new service accepts API keys "
                "only, and then every Entra ID token gets 403.",
            )


def api_keys_only(search: Resource) -> bool | None:
    """Whether a Search service accepts API keys only (True), Entra ID tokens too (False:
    authOptions aadOrApiKey, or local authentication disabled), or the snapshot does not show
    its mode (None)."""
    options = {str(k).lower() for k in (search.prop("authOptions") or {})}
    if search.prop("disableLocalAuth") is True or "aadorapikey" in options:
        return False
    if "apikeyonly" in options:
        return True
    return None
