import re

from diagnose.checks._common import DOCS_SUBDOMAIN, reached_with_entra_id
from diagnose.checks._error_texts import TOKEN_AUDIENCE_INVALID
from diagnose.engine.api import (
    Cause,
    Draft,
    ErrorText,
    Remediation,
    RemediationKind,
    Severity,
    Status,
    check,
)
from diagnose.engine.context import CheckContext, describe
from diagnose.model.resources import COGNITIVE_ACCOUNT

CUSTOM_SUBDOMAIN_REQUIRED = ErrorText(
    "Custom subdomain required for token authentication",
    "Please provide a custom subdomain for token authentication, otherwise API key is required.",
    "Azure OpenAI / AI services (401)",
    "an Entra ID token was sent to the regional endpoint of a resource without a custom "
    "subdomain, which accepts keys only; no role changes that",
    "give the resource a custom subdomain (permanent: choose the name with care) and call "
    "https://<subdomain>.openai.azure.com or https://<subdomain>.cognitiveservices.azure.com",
    r"custom subdomain for token authentication",
    no_role=True,
)


@check(
    id="CFG003",
    title="Azure OpenAI / AI services resources used with Entra ID have a custom subdomain",
    severity=Severity.HIGH,
    scenario="No custom subdomain",
    docs=(DOCS_SUBDOMAIN,),
    explains=(CUSTOM_SUBDOMAIN_REQUIRED, TOKEN_AUDIENCE_INVALID),
)
def custom_subdomain(ctx: CheckContext):
    """
    What it checks: every Azure OpenAI / AI services resource reached with Entra ID (an Entra ID
    connection, or another service's managed identity when an Entra ID connection reaches it)
    has a custom subdomain. Every Azure AI services resource reached by an Entra ID connection
    counts (Speech and Content Safety need a custom subdomain for Entra ID too); among
    service-to-service calls only Search calling Azure OpenAI does (a Speech account is not
    Azure OpenAI).

    Who needs it: no role: without a custom subdomain no Entra ID token is accepted, whoever
    holds which role. It is a failure for every user of the Entra ID connection (builder or
    administrator alike) and for the Search identity that vectorizes with the resource; a
    resource reached only with keys is not asked.

    Why it matters: Entra ID authentication needs the resource's own endpoint
    (https://<subdomain>.openai.azure.com); the regional endpoint of a resource without a custom
    subdomain accepts keys only.

    How to fix: set a custom subdomain on the resource. It cannot be changed or removed
    afterwards, so choose the name with care.
    """
    for account, why in reached_with_entra_id(ctx, COGNITIVE_ACCOUNT, "search", "ai", "calls"):
        if account.prop("customSubDomainName"):
            continue
        name = re.sub(r"[^a-z0-9-]", "-", account.name.lower()).strip("-")[:63] or "aoai"
        yield Draft(
            status=Status.FAIL,
            resource=account.id,
            cause=Cause.CONFIGURATION,
            message=f"{describe(account)} has no custom subdomain, but {why}: Entra ID tokens "
            "are accepted only on a custom subdomain endpoint.",
            remediations=(
                Remediation(
                    kind=RemediationKind.CONFIGURATION,
                    summary=f"Give {describe(account)} the custom subdomain '{name}' (permanent).",
                    resource=account.id,
                    setting="properties.customSubDomainName",
                    value=name,
                ),
            ),
        )
