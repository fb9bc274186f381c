"""Which credential signs the requests: a token the user already has, or azure-identity.

DIAGNOSE_ARM_TOKEN (and DIAGNOSE_GRAPH_TOKEN) are bearer tokens taken as they are; otherwise
--auth picks an azure-identity credential (DefaultAzureCredential by default). Tokens are
never logged, printed or stored.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from diagnose.collect.settings import Settings
from diagnose.errors import BadInput

ARM_TOKEN_VARIABLE = "DIAGNOSE_ARM_TOKEN"
GRAPH_TOKEN_VARIABLE = "DIAGNOSE_GRAPH_TOKEN"
STATIC_TOKEN_LIFETIME = 3600


class StaticTokenCredential:
    """A TokenCredential for a bearer token obtained elsewhere (e.g. `az account
    get-access-token`). The scope is not checked: Azure rejects a token for the wrong audience."""

    def __init__(self, token: str) -> None:
        self._token = token.strip()

    def get_token(self, *scopes: str, **kwargs: Any):  # type: ignore[no-untyped-def]
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


def credentials_for(settings: Settings, environ: dict[str, str] | None = None) -> Credentials:
    environ = dict(os.environ if environ is None else environ)
    arm_token = environ.get(ARM_TOKEN_VARIABLE, "").strip()
    graph_token = environ.get(GRAPH_TOKEN_VARIABLE, "").strip()
    if arm_token:
        return Credentials(
            arm=StaticTokenCredential(arm_token),
            graph=StaticTokenCredential(graph_token) if graph_token else None,
            graph_unavailable="" if graph_token else (
                f"{ARM_TOKEN_VARIABLE} is set without {GRAPH_TOKEN_VARIABLE}, so Microsoft "
                "Graph was not called"),
            source=ARM_TOKEN_VARIABLE)
    credential = identity_credential(settings)
    graph = StaticTokenCredential(graph_token) if graph_token else credential
    return Credentials(arm=credential, graph=graph, source=f"--auth {settings.auth}")


def identity_credential(settings: Settings) -> Any:
    try:
        import azure.identity as identity
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise BadInput(f"azure-identity is not installed ({exc})",
                       fix="reinstall ai-hub-diagnose, or set DIAGNOSE_ARM_TOKEN") from None
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
        raise BadInput(f"no usable credential for --auth {settings.auth}: {_first_line(exc)}",
                       where="--auth", fix=SIGN_IN_FIX) from None


SIGN_IN_FIX = ("sign in with `az login` (or choose another --auth), or set DIAGNOSE_ARM_TOKEN "
               "to a bearer token from `az account get-access-token`")


def check_sign_in(credentials: Credentials, settings: Settings) -> None:
    """Get an ARM token once before any request, so a missing sign-in is one clear message."""
    from azure.core.exceptions import ClientAuthenticationError

    try:
        credentials.arm.get_token(settings.arm_scope)
    except ClientAuthenticationError as exc:
        raise BadInput(f"could not sign in to Azure ({credentials.source}): "
                       f"{_first_line(exc)}", fix=SIGN_IN_FIX) from None


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
