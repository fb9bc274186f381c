"""Configuration fixes as every fix language reads them: `setting_fix(remediation)` decides once
whether a setting gets its specific form (a service's own command) or the generic one, so the
languages stay in step: a fix is specific in every language or generic in every language.

configuration (resource = the ARM id to change, setting = a property path, value = JSON).
The settings handled specially, and the value shape each expects:

    ===================================  =============================  =====================
    setting                              value                          resource types
    ===================================  =============================  =====================
    properties.authOptions               {"aadOrApiKey":                Search
                                          {"aadAuthFailureMode":
                                           "http401WithBearerChallenge"
                                           | "http403"}}
    identity.type                        "SystemAssigned"               CognitiveServices
                                                                        account, Search,
                                                                        ML workspace (hub)
                                         (a combined "SystemAssigned,
                                         UserAssigned" takes the generic
                                         form, whose GET+PUT keeps the
                                         user-assigned identities)
    properties.disableLocalAuth          false                          CognitiveServices
                                                                        account, Search
    properties.allowSharedKeyAccess      true                           Storage
    properties                           {"authType": "AAD",            ML workspace or
                                          "category": "<category>",     CognitiveServices
                                          ...any other connection        account/project
                                          properties to send, e.g.       connections
                                          "target"}
    properties.authType                  "AAD" (no category: the        connections
                                         PATCH sends authType only)
    properties.networkAcls.bypass        "AzureServices"                CognitiveServices
                                                                        account
    properties.networkAcls.bypass        "AzureServices" or a list      Storage
                                         with Logging and/or Metrics,
                                         e.g. "AzureServices, Logging"
    properties.networkRuleSet.bypass     "AzureServices"                Search
    properties.customSubDomainName       "<subdomain>"                  CognitiveServices
                                                                        account
    properties.accessPolicies            the whole new list, the        Key Vault (the
                                         remediation's principal's      command languages
                                         own entry with its keys        set that entry's
                                                                        keys; Bicep and
                                                                        Terraform declare
                                                                        the list)
    denyAssignment                       ignored (who manages it comes  resource = the deny
                                         from the summary)              assignment's id
    ===================================  =============================  =====================

Anything else (another setting, value or resource type) is a GenericSetting: a read-modify-write
of the property path in every language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

from diagnose.arm.types import (
    COGNITIVE_ACCOUNT,
    CONNECTION_TYPES,
    KEY_VAULT,
    SEARCH_SERVICE,
    STORAGE_ACCOUNT,
    WORKSPACE,
)
from diagnose.engine.api import Remediation
from diagnose.model.access_policies import own_entry
from diagnose.remediation.targets import RESOURCE_TYPES, Target, target_of


def nest(path: str, value: Any) -> dict[str, Any]:
    """`a.b` and 1 -> {"a": {"b": 1}}: a property path as the JSON fragment that sets it."""
    segments = path.split(".")
    result: dict[str, Any] = {segments[-1]: value}
    for segment in reversed(segments[:-1]):
        result = {segment: result}
    return result


@dataclass(frozen=True)
class Setting:
    """A configuration fix: set `setting` to `value` on `target`."""

    summary: str
    target: Target
    setting: str
    value: Any

    @property
    def rid(self) -> str:
        return self.target.raw

    def as_form(self, form: type[_Form], **extra: Any) -> _Form:
        """The same setting as a more specific form, with that form's own fields."""
        return form(self.summary, self.target, self.setting, self.value, **extra)


_Form = TypeVar("_Form", bound=Setting)


@dataclass(frozen=True)
class SearchAuthOptions(Setting):
    mode: str
    """http401WithBearerChallenge | http403"""

    @property
    def fragment(self) -> dict[str, Any]:
        return {"properties": {"authOptions": {"aadOrApiKey": {"aadAuthFailureMode": self.mode}}}}


IDENTITY_NOTE = (
    "If the resource also uses user-assigned identities, use "
    "'SystemAssigned,UserAssigned' and keep them listed."
)


@dataclass(frozen=True)
class SystemIdentity(Setting):
    """Turn on the system-assigned identity of a Cognitive Services account, a Search service
    or a workspace."""

    @property
    def notes(self) -> list[str]:
        return [self.summary, IDENTITY_NOTE]

    @property
    def fragment(self) -> dict[str, Any]:
        return {"identity": {"type": "SystemAssigned"}}


@dataclass(frozen=True)
class LocalAuth(Setting):
    """Allow keys again (disableLocalAuth false) on a Cognitive Services account or a Search
    service."""

    @property
    def notes(self) -> list[str]:
        return [
            self.summary,
            "Keys work again beside Entra ID; callers configured for keys stop failing.",
        ]

    @property
    def fragment(self) -> dict[str, Any]:
        return {"properties": {"disableLocalAuth": False}}


@dataclass(frozen=True)
class SharedKeyAccess(Setting):
    """Allow shared key access on a storage account."""

    @property
    def fragment(self) -> dict[str, Any]:
        return {"properties": {"allowSharedKeyAccess": True}}


@dataclass(frozen=True)
class ConnectionAuth(Setting):
    """Switch a connection to Microsoft Entra ID with a PATCH of its properties."""

    properties: dict[str, Any]

    @property
    def canonical_type(self) -> str:
        return RESOURCE_TYPES[self.target.type_key][0]

    @property
    def api_version(self) -> str:
        return RESOURCE_TYPES[self.target.type_key][1]

    @property
    def body(self) -> dict[str, Any]:
        return {"properties": self.properties}

    @property
    def notes(self) -> list[str]:
        return [
            self.summary,
            "Switches the connection to Microsoft Entra ID: its users then need roles on the",
            "target resource instead of its key.",
        ]


@dataclass(frozen=True)
class TrustedServices(Setting):
    """Let trusted Azure services through the firewall of a Cognitive Services account or a
    Search service."""

    @property
    def notes(self) -> list[str]:
        return [
            self.summary,
            "Lets trusted Azure services through the firewall; other "
            "network rules stay as they are.",
        ]

    @property
    def fragment(self) -> dict[str, Any]:
        return nest(self.setting, "AzureServices")


STORAGE_BYPASS = ("AzureServices", "Logging", "Metrics")


@dataclass(frozen=True)
class StorageBypass(Setting):
    """Storage's bypass is a list ("AzureServices, Logging, Metrics"), set as a whole."""

    items: tuple[str, ...]

    @property
    def notes(self) -> list[str]:
        return [
            self.summary,
            "Storage sets the whole bypass list at once: this one keeps "
            + ", ".join(self.items)
            + "; other network rules stay as they are.",
        ]

    @property
    def fragment(self) -> dict[str, Any]:
        return nest(self.setting, ", ".join(self.items))


@dataclass(frozen=True)
class CustomSubdomain(Setting):
    subdomain: str

    @property
    def notes(self) -> list[str]:
        return [
            self.summary,
            "A custom subdomain cannot be changed or removed once set, and must be unique in",
            "Azure: choose it with care.",
        ]

    @property
    def fragment(self) -> dict[str, Any]:
        return {"properties": {"customSubDomainName": self.subdomain}}


@dataclass(frozen=True)
class DenyAssignment(Setting):
    """A deny assignment in the way: nothing to change, only to show (target = its id)."""

    @property
    def notes(self) -> list[str]:
        return [
            self.summary,
            "A deny assignment cannot be changed or removed by you: the service or managed",
            "application that created it (see above) manages it. These commands only show it.",
        ]


@dataclass(frozen=True)
class GenericSetting(Setting):
    """Any other setting: a read-modify-write of the property path."""

    @property
    def body(self) -> dict[str, Any]:
        return nest(self.setting, self.value)


@dataclass(frozen=True)
class KeyVaultKeyPolicy(GenericSetting):
    """One principal's key permissions on a key vault that uses access policies. The value is
    the whole list (as the fix was proven on it); the command languages write only this
    principal's key permissions through the vault's own merge (az keyvault set-policy,
    Set-AzKeyVaultAccessPolicy), so an entry added since the snapshot is kept. Bicep and
    Terraform, which declare the whole list where the vault is managed, keep the generic form."""

    object_id: str
    keys: tuple[str, ...]

    @property
    def notes(self) -> list[str]:
        return [
            self.summary,
            "Sets this principal's key permissions only: the vault's other access policies "
            "(those added since the snapshot too) stay as they are.",
        ]


SettingFix: TypeAlias = (
    SearchAuthOptions
    | SystemIdentity
    | LocalAuth
    | SharedKeyAccess
    | ConnectionAuth
    | TrustedServices
    | StorageBypass
    | CustomSubdomain
    | DenyAssignment
    | GenericSetting
)


def _search_auth_options(config: Setting) -> SettingFix | None:
    value = config.value
    if config.target.type_key != SEARCH_SERVICE or not (
        isinstance(value, dict)
        and list(value) == ["aadOrApiKey"]
        and isinstance(value["aadOrApiKey"], dict)
    ):
        return None
    mode = value["aadOrApiKey"].get("aadAuthFailureMode", "http401WithBearerChallenge")
    if mode not in ("http401WithBearerChallenge", "http403"):
        return None
    return config.as_form(SearchAuthOptions, mode=mode)


def _system_identity(config: Setting) -> SettingFix | None:
    if config.value != "SystemAssigned" or config.target.type_key not in (
        COGNITIVE_ACCOUNT,
        SEARCH_SERVICE,
        WORKSPACE,
    ):
        return None
    return config.as_form(SystemIdentity)


def _local_auth(config: Setting) -> SettingFix | None:
    if config.value is not False or config.target.type_key not in (
        COGNITIVE_ACCOUNT,
        SEARCH_SERVICE,
    ):
        return None
    return config.as_form(LocalAuth)


def _shared_key(config: Setting) -> SettingFix | None:
    if config.value is not True or config.target.type_key != STORAGE_ACCOUNT:
        return None
    return config.as_form(SharedKeyAccess)


def _connection_auth(config: Setting) -> SettingFix | None:
    if config.target.type_key not in CONNECTION_TYPES:
        return None
    value = config.value
    if (
        config.setting == "properties"
        and isinstance(value, dict)
        and value.get("authType") == "AAD"
        and value.get("category")
    ):
        properties = {"authType": "AAD", "category": value["category"]}
        properties.update({key: value[key] for key in sorted(value) if key not in properties})
    elif config.setting == "properties.authType" and value == "AAD":
        properties = {"authType": "AAD"}
    else:
        return None
    return config.as_form(ConnectionAuth, properties=properties)


def _bypass(config: Setting) -> SettingFix | None:
    kind = config.target.type_key
    if kind == STORAGE_ACCOUNT and config.setting == "properties.networkAcls.bypass":
        return _storage_bypass(config)
    if config.value != "AzureServices":
        return None
    if (kind, config.setting) in (
        (COGNITIVE_ACCOUNT, "properties.networkAcls.bypass"),
        (SEARCH_SERVICE, "properties.networkRuleSet.bypass"),
    ):
        return config.as_form(TrustedServices)
    return None


def _storage_bypass(config: Setting) -> SettingFix | None:
    if not isinstance(config.value, str):
        return None
    items = [item.strip() for item in config.value.split(",")]
    if (
        "AzureServices" not in items
        or any(item not in STORAGE_BYPASS for item in items)
        or len(set(items)) != len(items)
    ):
        return None
    return config.as_form(StorageBypass, items=tuple(items))


def _custom_subdomain(config: Setting) -> SettingFix | None:
    if (
        config.target.type_key != COGNITIVE_ACCOUNT
        or not isinstance(config.value, str)
        or not config.value
    ):
        return None
    return config.as_form(CustomSubdomain, subdomain=config.value)


def _key_vault_key_policy(config: Setting, principal_id: str | None) -> SettingFix | None:
    """The principal's own entry (no applicationId) of the new access-policy list, when the fix
    is on a key vault and the entry gives key permissions."""
    if (
        config.target.type_key != KEY_VAULT
        or config.target.level != "resource"
        or not principal_id
        or not isinstance(config.value, list)
    ):
        return None
    own = own_entry(config.value, principal_id)
    if own is None:
        return None
    permissions = own[1].get("permissions")
    keys = permissions.get("keys") if isinstance(permissions, dict) else None
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        return None
    return config.as_form(KeyVaultKeyPolicy, object_id=principal_id, keys=tuple(keys))


_SETTINGS: dict[str, Callable[[Setting], SettingFix | None]] = {
    "properties.authOptions": _search_auth_options,
    "identity.type": _system_identity,
    "properties.disableLocalAuth": _local_auth,
    "properties.allowSharedKeyAccess": _shared_key,
    "properties": _connection_auth,
    "properties.authType": _connection_auth,
    "properties.networkAcls.bypass": _bypass,
    "properties.networkRuleSet.bypass": _bypass,
    "properties.customSubDomainName": _custom_subdomain,
}
"""The settings with a specific form, each deciding whether the value and type fit it."""


def setting_fix(remediation: Remediation) -> SettingFix:
    """The configuration remediation as its specific form, else as a GenericSetting."""
    config = GenericSetting(
        remediation.summary,
        target_of(remediation.resource or ""),
        remediation.setting or "",
        remediation.value,
    )
    if config.setting == "denyAssignment":
        return config.as_form(DenyAssignment)
    if config.setting == "properties.accessPolicies":
        return _key_vault_key_policy(config, remediation.principal_id) or config
    specific = _SETTINGS.get(config.setting)
    if specific is not None and config.target.level == "resource":
        return specific(config) or config
    return config


_WEAKENING: dict[str, tuple[Callable[[Any], bool], str]] = {
    "properties.disableLocalAuth": (
        lambda value: value is False,
        "re-enables keys: a key gives full data access to whoever holds it, with no per-user "
        "identity or audit",
    ),
    "properties.allowSharedKeyAccess": (
        lambda value: value is True,
        "re-enables shared keys and account SAS: whoever holds one gets full data access, with "
        "no per-user identity or audit",
    ),
    "properties.allowBlobPublicAccess": (
        lambda value: value is True,
        "lets containers be made public: anyone on the internet could read their blobs",
    ),
    "properties.publicNetworkAccess": (
        lambda value: str(value).lower() == "enabled",
        "opens the resource to the public internet",
    ),
    "properties.networkAcls.defaultAction": (
        lambda value: str(value).lower() == "allow",
        "opens the firewall to every network",
    ),
    "properties.networkRuleSet.defaultAction": (
        lambda value: str(value).lower() == "allow",
        "opens the firewall to every network",
    ),
    "properties.authOptions": (
        lambda value: isinstance(value, dict) and "apiKeyOnly" in value,
        "turns Entra ID off: only keys work, with no per-user identity or audit",
    ),
    "properties.authType": (
        lambda value: str(value).lower() in ("apikey", "accountkey", "sas"),
        "moves the connection to a shared secret: no per-user identity or audit",
    ),
}
"""The settings whose value weakens security, and its cost. The trusted-services bypass
(bypass AzureServices, NET001's fix) is not among them: public access stays disabled and other
network rules stay as they are; only trusted Azure services, calling with their managed
identity and still subject to their roles, get through. Letting Search accept Entra ID beside
keys (authOptions aadOrApiKey, CFG001's fix) adds Entra ID and takes nothing away."""


def security_cost(remediation: Remediation) -> str | None:
    """What a fix costs in security when it weakens it (re-enabling keys, opening a firewall,
    making storage public), else None: such an option is a note with its cost, never a step of
    the plan."""
    if remediation.kind != "configuration" or not remediation.setting:
        return None
    rule = _WEAKENING.get(remediation.setting)
    if rule is None:
        return None
    weakens, cost = rule
    return cost if weakens(remediation.value) else None
