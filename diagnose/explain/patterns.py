"""The error messages the tool recognises, what they usually mean, and which checks look at
that cause. One table: `diagnose explain` lists it for text it does not recognise."""

from __future__ import annotations

import re
from dataclasses import dataclass

GUID = r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"


@dataclass(frozen=True)
class ErrorPattern:
    name: str
    example: str
    where: str
    cause: str
    fix: str
    checks: tuple[str, ...]
    regex: re.Pattern[str]
    data_action: bool | None = None
    """Whether the operation the message names is a data action (None: it names none)."""


def _p(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)


PATTERNS: tuple[ErrorPattern, ...] = (
    ErrorPattern(
        "AuthorizationFailed (ABAC condition)",
        "... does not have authorization or an ABAC condition not fulfilled to perform action "
        "'A' over scope 'S'",
        "Azure Resource Manager",
        "the caller's only grant of this action is a conditional delegation (Role Based Access "
        "Control Administrator, Foundry Account Owner or Project Manager): its condition limits "
        "which roles it may assign or remove, and this request did not fit",
        "assign only the roles the condition allows, or have an Owner / User Access "
        "Administrator make this assignment",
        ("HUB001", "HUB002"),
        _p(r"(?:client|principal)\s+'(?P<client>[^']*)'\s+with object id\s+'(?P<principal>"
           + GUID + r")'.*?authorization or an ABAC condition not fulfilled to perform action\s+"
           r"'(?P<operation>[^']+)'\s+over scope\s+'(?P<scope>[^']+)'"),
        False),
    ErrorPattern(
        "AuthorizationFailed",
        "AuthorizationFailed: The client 'u' with object id 'o' does not have authorization to "
        "perform action 'A' over scope 'S' ...",
        "Azure Resource Manager (403)",
        "no active role of the caller or its groups grants this action at this scope or above, "
        "or a deny assignment blocks it; if the role was just assigned, it may still be "
        "propagating (up to 10 minutes) or the caller's token predates it",
        "assign the least-privileged role that grants the action at that scope (below), then "
        "sign in again",
        ("HUB001", "HUB002", "HUB003", "HUB004"),
        _p(r"(?:client|principal)\s+'(?P<client>[^']*)'\s+with object id\s+'(?P<principal>"
           + GUID + r")'\s+does not have authorization to perform action\s+'(?P<operation>"
           r"[^']+)'\s+over scope\s+'(?P<scope>[^']+)'"),
        False),
    ErrorPattern(
        "LinkedAuthorizationFailed",
        "LinkedAuthorizationFailed: The client has permission to perform action 'A1' on scope "
        "'S1', however ... does not have permission to perform action(s) 'A2' on the linked "
        "scope(s) 'S2'",
        "Azure Resource Manager (403)",
        "the request also touches a linked resource (a subnet, key vault, identity, storage "
        "account) on which the caller lacks the named action",
        "grant the caller the linked action on the linked scope",
        ("HUB004", "CMK002"),
        _p(r"LinkedAuthorizationFailed.*?(?:object id\s+'(?P<principal>" + GUID + r")'.*?)?"
           r"perform action\(?s?\)?\s+'(?P<operation>[^']+)'\s+on the linked scope\(?s?\)?\s+"
           r"'(?P<scope>[^']+)'"),
        False),
    ErrorPattern(
        "Foundry: principal lacks the required data action",
        "The principal X lacks the required data action A to perform ...",
        "Foundry projects (data plane)",
        "the caller has no role with this data action on the Foundry project or its account; "
        "Owner, Contributor and the Cognitive Services roles do not grant Foundry data actions",
        "assign Foundry User (formerly Azure AI User) on the project or the account",
        ("FDY001",),
        _p(r"principal\s+[`'\"]?(?P<principal>[^`'\"\s]+)[`'\"]?\s+lacks the required data "
           r"action\s+[`'\"]?(?P<operation>[A-Za-z0-9./_\-]+)[`'\"]?"
           r"(?:.*?scope\s+[`'\"](?P<scope>/[^`'\"]+)[`'\"])?"),
        True),
    ErrorPattern(
        "PermissionDenied (Azure OpenAI)",
        "PermissionDenied: Principal does not have access to API/Operation.",
        "Azure OpenAI / AI services data plane (401)",
        "the caller has no role with the OpenAI data action on the Azure OpenAI resource (Owner "
        "and Contributor grant none); or the call ran as another identity than expected (the "
        "user, the project or the Azure OpenAI resource's managed identity); or a new role is "
        "still propagating",
        "assign Cognitive Services OpenAI User on the Azure OpenAI resource to the identity that "
        "makes the call",
        ("CON001", "OYD005", "OYD003"),
        _p(r"Principal does not have access to API/Operation")),
    ErrorPattern(
        "AuthenticationTypeDisabled",
        "AuthenticationTypeDisabled: Key based authentication is disabled for this resource.",
        "Azure OpenAI / AI services",
        "the resource has local (key) authentication disabled while the caller, usually a "
        "connection, still uses an API key",
        "switch the connection to Entra ID, or re-enable key authentication",
        ("CFG002",),
        _p(r"AuthenticationTypeDisabled|Key based authentication is disabled")),
    ErrorPattern(
        "KeyBasedAuthenticationNotPermitted",
        "KeyBasedAuthenticationNotPermitted: Key based authentication is not permitted on this "
        "storage account.",
        "Storage",
        "the storage account has shared key access disabled while a caller uses an account key "
        "or SAS",
        "switch the caller (connection, datastore) to Entra ID, or allow shared key access",
        ("CFG002",),
        _p(r"KeyBasedAuthenticationNotPermitted")),
    ErrorPattern(
        "AuthorizationPermissionMismatch",
        "AuthorizationPermissionMismatch: This request is not authorized to perform this "
        "operation using this permission.",
        "Storage (403)",
        "the Entra ID caller has no blob or file data role (Owner and Contributor grant none)",
        "assign Storage Blob Data Contributor (and Storage File Data Privileged Contributor for "
        "prompt flow files) on the storage account",
        ("CON003", "PFL001", "STG001", "STG002", "OYD002", "OYD004"),
        _p(r"AuthorizationPermissionMismatch|not authorized to perform this operation using "
           r"this permission")),
    ErrorPattern(
        "AuthorizationFailure (Storage network)",
        "AuthorizationFailure: This request is not authorized to perform this operation.",
        "Storage (403)",
        "usually the storage firewall, not a role: the caller's network or service is not "
        "allowed through",
        "allow the caller's network, or trusted Azure services (bypass AzureServices), or use a "
        "private endpoint",
        ("NET001",),
        _p(r"AuthorizationFailure")),
    ErrorPattern(
        "ManagedIdentityIsNotEnabled",
        "ManagedIdentityIsNotEnabled",
        "Azure OpenAI / Search",
        "a service must call another with its managed identity, but the identity is off",
        "enable the system-assigned managed identity, then grant it the roles it needs",
        ("IDN001",),
        _p(r"ManagedIdentityIsNotEnabled|managed identity is not enabled")),
    ErrorPattern(
        "Prompt flow storage authentication",
        "Authentication Failed ... check the storage setting",
        "Azure AI Foundry portal (prompt flow)",
        "the hub's storage uses Entra ID and the user lacks Storage File Data Privileged "
        "Contributor (Azure Files needs the BackupSemantics actions)",
        "assign Storage File Data Privileged Contributor and Storage Blob Data Contributor on "
        "the hub's storage account",
        ("PFL001", "STG001"),
        _p(r"Authentication\s+Failed.*storage")),
    ErrorPattern(
        "Network Service cannot check resource",
        "Network Service does not have permission to check resource",
        "Azure AI Foundry portal (connections)",
        "the Azure Machine Learning first-party application cannot read the connected resource",
        "assign Reader on the connected resource to the Azure Machine Learning application",
        ("FPA001",),
        _p(r"Network Service does not have permission to check resource")),
    ErrorPattern(
        "Search 401/403",
        "Authorization failed. (Azure AI Search, 401 or 403)",
        "Azure AI Search",
        "while Search accepts API keys only, every Entra ID token gets 403 whatever the roles; "
        "with role-based access on, the caller lacks Search Index Data Reader / Contributor or "
        "Search Service Contributor",
        "enable role-based access on Search (authOptions aadOrApiKey), and assign the Search "
        "data and service roles to the caller",
        ("CFG001", "CON002", "OYD001", "OYD002"),
        _p(r"search\.windows\.net|Azure (?:AI|Cognitive) Search|\bsearch\b.*\b40[13]\b|"
           r"\b40[13]\b.*\bsearch\b")),
)


def recognise(text: str) -> tuple[ErrorPattern, dict[str, str]] | None:
    for pattern in PATTERNS:
        match = pattern.regex.search(text)
        if match:
            return pattern, {k: v for k, v in match.groupdict().items() if v}
    return None
