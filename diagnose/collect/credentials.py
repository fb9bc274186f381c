"""Which credential signs the requests: a token the user already has, or azure-identity.

DIAGNOSE_ARM_TOKEN (and DIAGNOSE_GRAPH_TOKEN) are bearer tokens taken as they are; otherwise
--auth picks an azure-identity credential (DefaultAzureCredential by default). Tokens are
never logged, printed or stored.

A failed sign-in, or a token Azure rejects, is one paragraph (BadInput, exit 2): which
credential was tried and what to run. The Azure SDKs' own log lines (azure-identity logs each
failure as a warning, which Python prints on stderr) are silenced unless DIAGNOSE_DEBUG=1.
"""

from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass
from typing import Any

from diagnose.collect.settings import Settings
from diagnose.errors import BadInput
from diagnose.secrets import scrub_text

ARM_TOKEN_VARIABLE = "DIAGNOSE_ARM_TOKEN"
GRAPH_TOKEN_VARIABLE = "DIAGNOSE_GRAPH_TOKEN"
STATIC_TOKEN_LIFETIME = 3600


class StaticTokenCredential:
    """A TokenCredential for a bearer token obtained elsewhere (e.g. `az account
    get-access-token`). The scope is not checked: Azure rejects a token for the wrong audience."""

    def __init__(self, token: str) -> None:
        self._token = token.strip()

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, int(time.time()) + STATIC_TOKEN_LIFETIME)

    def __repr__(self) -> str:  # never show the token
        return "StaticTokenCredential(<token>)"


@dataclass(frozen=True)
class Credentials:
    arm: Any
    """A TokenCredential for Azure Resource Manager."""
    graph: Any | None
    """A TokenCredential for Microsoft Graph, or None when there is none to use."""
    graph_unavailable: str = ""
    """Why there is no Graph credential (shown in the errors entries)."""
    source: str = ""


SDK_LOGGERS = ("azure", "msal", "urllib3")


def quiet_sdk_logging(environ: dict[str, str] | None = None) -> None:
    """No SDK log lines on stderr: the tool says what failed itself (DIAGNOSE_DEBUG=1 keeps
    them, for a bug report)."""
    if (os.environ if environ is None else environ).get("DIAGNOSE_DEBUG"):
        return
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL + 1)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


def credentials_for(settings: Settings, environ: dict[str, str] | None = None) -> Credentials:
    environ = dict(os.environ if environ is None else environ)
    quiet_sdk_logging(environ)
    arm_token = environ.get(ARM_TOKEN_VARIABLE, "").strip()
    graph_token = environ.get(GRAPH_TOKEN_VARIABLE, "").strip()
    if arm_token:
        return Credentials(
            arm=StaticTokenCredential(arm_token),
            graph=StaticTokenCredential(graph_token) if graph_token else None,
            graph_unavailable=""
            if graph_token
            else (
                f"{ARM_TOKEN_VARIABLE} is set without {GRAPH_TOKEN_VARIABLE}, so Microsoft "
                "Graph was not called"
            ),
            source=ARM_TOKEN_VARIABLE,
        )
    credential = identity_credential(settings)
    graph = StaticTokenCredential(graph_token) if graph_token else credential
    return Credentials(arm=credential, graph=graph, source=f"--auth {settings.auth}")


def identity_credential(settings: Settings) -> Any:
    try:
        import azure.identity as identity
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise BadInput(
            f"azure-identity is not installed ({exc})",
            fix="reinstall ai-hub-diagnose, or set DIAGNOSE_ARM_TOKEN",
        ) from None
    authority = settings.cloud.authority
    try:
        if settings.auth == "cli":
            return identity.AzureCliCredential()
        if settings.auth == "managed-identity":
            return identity.ManagedIdentityCredential()
        if settings.auth == "environment":
            return identity.EnvironmentCredential(authority=authority)
        if settings.auth == "device-code":
            return identity.DeviceCodeCredential(authority=authority)
        return identity.DefaultAzureCredential(authority=authority)
    except (ValueError, identity.CredentialUnavailableError) as exc:
        raise BadInput(
            f"no usable credential for --auth {settings.auth}: {_first_line(exc)}",
            where="--auth",
            fix=sign_in_fix(f"--auth {settings.auth}"),
        ) from None


_AUTH_FIX = {
    "--auth cli": "run `az login{tenant}` (install the Azure CLI first if `az` is not found)",
    "--auth default": "sign in with one of the sources DefaultAzureCredential tries, e.g. `az "
    "login{tenant}`, or pick one with --auth",
    "--auth environment": "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or "
    "AZURE_CLIENT_CERTIFICATE_PATH) for a service principal, or run `az "
    "login{tenant}` and use --auth cli",
    "--auth managed-identity": "run on an Azure resource that has a managed identity (set "
    "AZURE_CLIENT_ID for a user-assigned one), or run `az "
    "login{tenant}` and use --auth cli",
    "--auth device-code": "finish the device-code sign-in in a browser before it expires, or "
    "run `az login{tenant}` and use --auth cli",
}
_TOKEN_FIX = (
    "get a fresh token with `az account get-access-token --resource {resource}"
    "{tenant} --query accessToken -o tsv` and put it in DIAGNOSE_ARM_TOKEN, or unset "
    "DIAGNOSE_ARM_TOKEN to sign in with --auth"
)


def sign_in_fix(
    source: str, tenant: str | None = None, resource: str = "https://management.azure.com"
) -> str:
    """What to run for a credential that gave no token, or one Azure rejected."""
    flag = f" --tenant {tenant}" if tenant else ""
    if source == ARM_TOKEN_VARIABLE:
        return _TOKEN_FIX.format(resource=resource, tenant=flag)
    fix = _AUTH_FIX.get(source, _AUTH_FIX["--auth default"]).format(tenant=flag)
    return fix + ", or set DIAGNOSE_ARM_TOKEN to a bearer token from `az account get-access-token`"


def check_sign_in(credentials: Credentials, settings: Settings) -> None:
    """Get an ARM token once before any request, so a missing sign-in is one clear message."""
    from azure.core.exceptions import AzureError, ClientAuthenticationError

    try:
        credentials.arm.get_token(settings.arm_scope)
    except ClientAuthenticationError as exc:
        raise BadInput(
            f"could not sign in to Azure with {_tried(credentials)}: {_reason(exc)}",
            fix=sign_in_fix(credentials.source, _tenant_in(exc), settings.arm_endpoint),
        ) from None
    except (AzureError, ValueError, OSError) as exc:  # network, a bad scope, no such program
        raise BadInput(
            f"could not get a token for Azure with {_tried(credentials)} "
            f"({type(exc).__name__}: {_first_line(exc)})",
            fix="check network access to the sign-in endpoint, then "
            + sign_in_fix(credentials.source, None, settings.arm_endpoint),
        ) from None


def rejected_credentials(
    credentials: Credentials | None,
    detail: str,
    tenant: str | None = None,
    resource: str = "https://management.azure.com",
) -> BadInput:
    """The paragraph for a 401 from Azure Resource Manager: the token was refused."""
    source = credentials.source if credentials is not None else "--auth default"
    if source == ARM_TOKEN_VARIABLE:
        token = f"the token in {ARM_TOKEN_VARIABLE}"
    else:
        token = "the token from " + (
            _tried(credentials) if credentials is not None else "the credential given"
        )
    where = f" (it names tenant {tenant})" if tenant else ""
    return BadInput(
        f"Azure Resource Manager rejected {token}{where}: {scrub_text(detail)}; "
        "it may have expired, or be for another tenant or cloud",
        fix=sign_in_fix(source, tenant, resource),
    )


def _tried(credentials: Credentials) -> str:
    """Which credential was tried, in the user's terms and the SDK's."""
    if credentials.source == ARM_TOKEN_VARIABLE:
        return f"the token in {ARM_TOKEN_VARIABLE}"
    return f"{credentials.source} ({type(credentials.arm).__name__})"


def _reason(exc: BaseException) -> str:
    """One line for a sign-in failure: DefaultAzureCredential's list of attempts becomes the
    names it tried, with the Azure CLI's reason (the usual way in)."""
    text = str(getattr(exc, "message", None) or exc).strip()
    attempts = re.findall(r"^\t(\w+): (.*)$", text, re.MULTILINE)
    if not attempts:
        return _first_line(exc)
    cli = next((why for name, why in attempts if name == "AzureCliCredential"), None)
    names = ", ".join(name for name, _ in attempts)
    return scrub_text(
        f"none of the sources it tried gave a token ({names})"
        + (f"; AzureCliCredential: {cli[:150]}" if cli else "")
    )


def _tenant_in(exc: BaseException) -> str | None:
    found = re.search(
        r"tenant[^0-9a-f]{0,20}([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
        r"[0-9a-f]{12})",
        str(exc),
        re.IGNORECASE,
    )
    return found.group(1).lower() if found else None


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return scrub_text(text.splitlines()[0][:300]) if text else type(exc).__name__
