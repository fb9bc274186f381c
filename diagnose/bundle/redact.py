"""--redact: consistent pseudonyms for everything that identifies a customer.

Aliases come from HMAC-SHA256 under a redaction key. The key is random for each bundle
unless DIAGNOSE_REDACTION_KEY (at least 32 hex digits) is set, which lets a customer keep
aliases stable across tickets. The key is never written into the bundle; it goes only into
the redaction map (--redaction-map FILE), which the customer keeps. Without the key or the
map, an alias cannot be turned back into the original (short of guessing originals and
having the key to test them).

One original, one alias, everywhere: in the snapshot, the request log and the command line,
in ids, names, host names, metadata, conditions and free text alike. Originals are compared
case-insensitively (ARM ids are), so `rg-Contoso` and `RG-CONTOSO` get the same alias. The
hex part of an alias depends only on the key and the original, so the same key gives the same
alias in every bundle (the prefix depends on what the name is, e.g. a storage account; two
originals whose first 10 hex digits collide get a longer alias instead).

The map (alias -> original) undoes it: restore_text for reports and messages, restore_json
for a snapshot.

Redacted, with the alias formats:

- GUIDs anywhere (tenant, subscription, object, principal, app, role assignment, custom role
  definition, schedule ids, ...) -> another GUID (HMAC bytes formatted as a version-4 UUID),
  so ids stay well-formed and the tool parses them as before.
- Names inside ARM ids (resource groups, management groups, resource and child resource
  names) and the `name` of ARM objects -> a prefix naming what it is plus 10 hex digits:
  `rg-`, `mg-`, `hub-`, `proj-`, `ws-`, `ai-`, `srch-`, `kv-`, `appi-`, `id-`, `conn-`,
  `res-`; storage accounts and registries get `st`/`cr` and no dash, so they stay valid
  names. The same alias replaces the name in host names (`{name}.blob.core.windows.net`,
  `{subdomain}.openai.azure.com`), in customSubDomainName, in connection metadata
  (AccountName, ContainerName, ...), in the snapshot's target and in free text.
- Principals' display names -> `user-`, `group-`, `sp-` + hex (a managed identity named
  after its resource gets that resource's alias); user principal names and every e-mail
  address -> `user-<hex>@example.invalid`.
- Customer-written text (descriptions, friendly names, justifications, tag values) ->
  `text-<hex>`, custom role names -> `role-<hex>`, deny assignment names -> `deny-<hex>`, tag
  names -> `tag-<hex>` (whole values).
- Host names outside Microsoft's domains -> `host-<hex>.example.invalid`; path segments of
  storage and OneLake URLs (containers, workspaces) -> `ctr-<hex>`.
- A name containing a word a check reads in names keeps that word in its alias
  (`conn-embed-<hex>`: OYD005 recognises embedding connections by "embed"); that the name
  contained the word is all this reveals.
- Literal values in ABAC conditions (outside ActionMatches clauses) -> the alias of the name
  they hold, or `value-<hex>`.
- IPv4 addresses -> an address in 240.0.0.0/8 (reserved), keeping any /prefix.
- File paths on the command line -> `<path>` plus the file's extension.

Kept as they are, because they identify nothing about the customer and the diagnosis needs
them: well-known GUIDs (built-in role definitions from the catalog or marked BuiltInRole in
the snapshot, All Principals 00000000-0000-0000-0000-000000000000, the Azure Machine Learning
app 0736f41a-..., Microsoft Graph, Azure Resource Manager and Azure CLI app ids), built-in
role names and descriptions, display names of those first-party apps, provider namespaces,
resource types, kinds, locations, SKUs, operation names (actions, data actions, ABAC
ActionMatches), api-versions, enum settings, timestamps, fixed child names such as
`default`, and the x-ms-request-id / x-ms-correlation-request-id of each request, which is
what Azure support looks up.

Known limits: free text is redacted by recognising ids, URLs, e-mail addresses, addresses
and every name learnt from the structured fields; a word that names nothing the snapshot
knows (say, an Azure OpenAI deployment name inside a URL path) stays. Names shorter than
three characters or equal to a common word (`default`, `openai`, ...) are aliased where they
are names (ids, name fields, hosts) but not searched for inside free text.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from diagnose.errors import BadInput

KEY_VARIABLE = "DIAGNOSE_REDACTION_KEY"
MIN_KEY_BYTES = 16
KEY_BYTES = 32
HEX_LENGTHS = (10, 16, 32)

GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_FULL_GUID = re.compile(rf"^{GUID}$")
_FULL_EMAIL = re.compile(r"^[\w.+#%'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_IPV4 = re.compile(r"^(?:\d{1,3}\.){3}\d{1,3}$")

ALL_PRINCIPALS = "00000000-0000-0000-0000-000000000000"
AZURE_ML_APP = "0736f41a-0425-4b46-bdb5-1563eff02385"
FIRST_PARTY_APPS = frozenset({
    AZURE_ML_APP,
    "00000003-0000-0000-c000-000000000000",  # Microsoft Graph
    "797f4846-ba00-4fd7-ba43-dac1f8f63013",  # Azure Resource Manager
    "04b07795-8ddb-461a-bbee-02f9e1bf7b46",  # Azure CLI
})

# What a name is, by the ARM type that holds it: (kind, prefix). Lower-case full types.
TYPE_KINDS = {
    "microsoft.machinelearningservices/workspaces": "ws",
    "microsoft.machinelearningservices/workspaces/connections": "conn",
    "microsoft.cognitiveservices/accounts": "ai",
    "microsoft.cognitiveservices/accounts/projects": "proj",
    "microsoft.cognitiveservices/accounts/connections": "conn",
    "microsoft.cognitiveservices/accounts/projects/connections": "conn",
    "microsoft.search/searchservices": "srch",
    "microsoft.storage/storageaccounts": "st",
    "microsoft.keyvault/vaults": "kv",
    "microsoft.containerregistry/registries": "cr",
    "microsoft.insights/components": "appi",
    "microsoft.managedidentity/userassignedidentities": "id",
    "microsoft.management/managementgroups": "mg",
}
# Kinds in priority order: when one string is several things, the first kind names it.
# Storage accounts and registries come first: their aliases must stay alphanumeric.
KIND_ORDER = ("st", "cr", "rg", "mg", "sub", "hub", "proj", "ws", "ai", "srch", "kv", "appi",
              "id", "conn", "res", "ctr", "user", "group", "sp", "role", "deny", "email",
              "host", "tag", "value", "text")
ALNUM_KINDS = frozenset({"st", "cr"})
KIND_PREFIX = {"email": "user", "host": "host"}

# Words the checks read inside names (OYD005 takes a connection whose name or metadata
# mentions "embed" as the embedding one): an alias keeps them, or replay would differ.
HINT_WORDS = ("embed",)

# Child names that are fixed by Azure, and types whose names are not the customer's.
KEEP_SEGMENTS = frozenset({"default", "current", "latest", "$default", "$logs", "$web",
                           "$root", "privatelink"})
KEEP_NAME_OF_TYPES = frozenset({"locations", "operations", "operationresults",
                                "operationstatuses", "skus", "usages", "quotas",
                                "resourcetypes"})

# Values kept verbatim: vocabulary, not data.
VOCAB_KEYS = frozenset({
    "type", "kind", "location", "actions", "notactions", "dataactions", "notdataactions",
    "operation", "code", "category", "authtype", "principaltype", "apitype",
    "provisioningstate", "publicnetworkaccess", "state", "conditionversion", "api-version",
    "apiversion", "method", "service", "roletype", "membertype", "defaultaction", "bypass",
    "hostingmode", "application_type", "systemdatastoresauthmode", "aadauthfailuremode",
    "tier", "family", "schemaversion", "collectedat", "createdon", "updatedon",
    "startdatetime", "enddatetime", "status", "durationms", "wave", "requestid",
    "correlationid", "x-ms-request-id", "x-ms-correlation-request-id", "clientrequestid",
    "x-ms-client-request-id", "client-request-id", "request-id", "sku", "group",
})
# Customer-written text: the whole value is replaced.
FREE_TEXT_KEYS = frozenset({
    "description", "friendlyname", "displayname", "denyassignmentname", "justification",
    "rolename", "notes", "comment", "comments", "givenname", "surname", "mailnickname",
    "department", "companyname", "jobtitle", "onpremisessamaccountname",
})
# Free text that also names something (so it is searched for inside other text), by kind.
PHRASE_KEYS = {"displayname": "text", "friendlyname": "text", "denyassignmentname": "deny",
               "rolename": "role"}
# Keys whose value is a name of a given kind, wherever they appear.
NAME_KEYS = {
    "customsubdomainname": "ai", "accountname": "st", "storageaccountname": "st",
    "containername": "ctr", "workspacename": "ws", "hubname": "hub", "projectname": "proj",
    "resourcegroup": "rg", "resourcegroupname": "rg", "vaultname": "kv", "registryname": "cr",
    "searchservicename": "srch", "keyname": "res", "deploymentname": "res",
}
EMAIL_KEYS = frozenset({"userprincipalname", "mail", "email", "upn", "othermails"})

# Words never searched for in free text (they are still aliased where they are names).
STOPWORDS = frozenset({
    "default", "current", "latest", "none", "true", "false", "null", "enabled", "disabled",
    "allow", "deny", "standard", "basic", "free", "premium", "read", "write", "delete", "action",
    "actions", "azure", "openai", "search", "storage", "blob", "blobs", "file", "files", "data",
    "hub", "hubs", "project", "projects", "workspace", "workspaces", "account", "accounts",
    "connection", "connections", "identity", "identities", "microsoft", "resource", "resources",
    "providers", "subscription", "subscriptions", "resourcegroups", "user", "users", "group",
    "groups", "admin", "owner", "reader", "contributor", "test", "dev", "prod", "main", "api",
    "apis", "chat", "docs", "model", "models", "key", "keys", "vault", "vaults", "registry",
    "registries", "insights", "services", "service", "web", "app", "apps", "aad", "entra", "ai",
    "ml", "shared", "internal", "public", "private", "network", "networks", "endpoint",
    "endpoints", "the", "and", "for", "with", "from", "this", "that", "http", "https", "www",
    "com", "net", "org",
})

# Hosts whose first labels are customer names, by DNS suffix, with the kind of those names.
CUSTOMER_SUFFIXES = (
    ("openai.azure.com", "ai"), ("cognitiveservices.azure.com", "ai"),
    ("services.ai.azure.com", "ai"), ("search.windows.net", "srch"),
    ("blob.core.windows.net", "st"), ("dfs.core.windows.net", "st"),
    ("file.core.windows.net", "st"), ("queue.core.windows.net", "st"),
    ("table.core.windows.net", "st"), ("web.core.windows.net", "st"),
    ("vault.azure.net", "kv"), ("azurecr.io", "cr"), ("azurewebsites.net", "res"),
    ("documents.azure.com", "res"), ("database.windows.net", "res"),
    ("servicebus.windows.net", "res"), ("azure-api.net", "res"),
    ("openai.azure.us", "ai"), ("cognitiveservices.azure.us", "ai"),
    ("search.azure.us", "srch"), ("blob.core.usgovcloudapi.net", "st"),
    ("dfs.core.usgovcloudapi.net", "st"), ("vault.usgovcloudapi.net", "kv"),
    ("azurecr.us", "cr"), ("openai.azure.cn", "ai"), ("cognitiveservices.azure.cn", "ai"),
    ("search.azure.cn", "srch"), ("blob.core.chinacloudapi.cn", "st"),
    ("dfs.core.chinacloudapi.cn", "st"), ("vault.azure.cn", "kv"), ("azurecr.cn", "cr"),
)
STORAGE_HOST_SUFFIXES = ("core.windows.net", "core.usgovcloudapi.net", "core.chinacloudapi.cn",
                         "fabric.microsoft.com")
STORAGE_PATH_KEEP = frozenset({"files", "tables", "$root", "$web", "$logs"})
MICROSOFT_DOMAINS = (
    "azure.com", "azure.net", "windows.net", "microsoft.com", "microsoftonline.com",
    "azureml.ms", "azurecr.io", "azure.us", "usgovcloudapi.net", "chinacloudapi.cn",
    "azure.cn", "azure-api.net", "azurewebsites.net", "applicationinsights.io",
    "visualstudio.com", "microsoftonline.us", "microsoftonline.cn", "windows-int.net",
)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})

PATH_OPTIONS = frozenset({"--snapshot", "--bundle", "-o", "--output", "--save-snapshot",
                          "--redaction-map"})
ARM_LISTS = ("resources", "roleDefinitions", "roleAssignments", "denyAssignments",
             "roleEligibilities")

_ARM_CHARS = r"[^\s\"'<>`,;()\[\]{}|\\]"
_ARM_END = r"[^\s\"'<>`,;()\[\]{}|\\.:]"
_ARM_IN_TEXT = (rf"/subscriptions/{_ARM_CHARS}*{_ARM_END}"
                rf"|/providers/Microsoft\.Management/managementGroups/{_ARM_CHARS}*{_ARM_END}")
_TEXT_PARTS = (
    r"(?P<url>\b[a-z][a-z0-9+.-]*://[^\s\"'<>`]+)"
    rf"|(?P<arm>{_ARM_IN_TEXT})"
    r"|(?P<email>(?<![\w.+#%'-])[\w.+#%'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
    rf"|(?P<guid>(?<![0-9A-Za-z]){GUID}(?![0-9A-Za-z]))"
    r"|(?P<ip>(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]))"
    r"|(?P<word>[\w-]+)"
)
_TEXT = re.compile(_TEXT_PARTS, re.IGNORECASE)
_WORD = re.compile(r"[\w-]+")
_ARM_ANYWHERE = re.compile(_ARM_IN_TEXT, re.IGNORECASE)
_CONDITION_ACTIONS = re.compile(r"(?:Sub)?(?:Operation|Action)Matches\s*\{[^}]*\}",
                                re.IGNORECASE)
_CONDITION_LITERAL = re.compile(rf"'([^']*)'|\"([^\"]*)\"|(?<![0-9A-Za-z])({GUID})"
                                r"(?![0-9A-Za-z])")
_HOSTLIKE = re.compile(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?(?:/\S*)?$")


def load_key() -> tuple[bytes, str]:
    """The redaction key and where it came from ('environment' or 'random')."""
    value = os.environ.get(KEY_VARIABLE, "").strip()
    if not value:
        return secrets.token_bytes(KEY_BYTES), "random"
    try:
        key = bytes.fromhex(value)
    except ValueError:
        raise BadInput(f"{KEY_VARIABLE} is not hexadecimal",
                       fix=f"set it to {2 * KEY_BYTES} hex digits, e.g. the output of "
                           "`python -c \"import secrets; print(secrets.token_hex(32))\"`, "
                           "or unset it for a random key") from None
    if len(key) < MIN_KEY_BYTES:
        raise BadInput(f"{KEY_VARIABLE} is too short ({len(key)} bytes): aliases made with a "
                       "short key can be reversed by guessing",
                       fix=f"use at least {2 * MIN_KEY_BYTES} hex digits "
                           f"({2 * KEY_BYTES} recommended)")
    return key, "environment"


def key_fingerprint(key: bytes) -> str:
    """Equal for equal keys, and says nothing about the key."""
    return hmac.new(key, b"ai-hub-diagnose redaction key fingerprint", hashlib.sha256
                    ).hexdigest()[:16]


def well_known_guids(snapshot: dict[str, Any]) -> frozenset[str]:
    """GUIDs that identify nothing about a customer: built-in role definitions (from the
    tool's catalog and those the snapshot marks BuiltInRole), All Principals, and the
    first-party applications the checks look for."""
    from diagnose.catalog import builtin_role_definitions

    found = {ALL_PRINCIPALS, *FIRST_PARTY_APPS}
    found |= {str(d.get("name", "")).lower() for d in builtin_role_definitions()}
    for definition in snapshot.get("roleDefinitions") or ():
        if isinstance(definition, dict) and _is_builtin_role(definition):
            found.add(str(definition.get("name") or definition.get("id", "")).rstrip("/")
                      .rsplit("/", 1)[-1].lower())
    return frozenset(g for g in found if _FULL_GUID.match(g))


def _is_builtin_role(definition: dict[str, Any]) -> bool:
    properties = definition.get("properties")
    if not isinstance(properties, dict):
        return False
    kind = properties.get("type") or properties.get("roleType") or ""
    return isinstance(kind, str) and kind.lower() == "builtinrole"


class Redactor:
    """Aliases under one key. `learn` the structured data first (so every name gets the
    right kind), then redact the snapshot, the request log and the command line with the
    same instance: that is what keeps aliases consistent across the files of a bundle."""

    def __init__(self, key: bytes, keep_guids: Iterable[str] = ()) -> None:
        self._key = key
        self._keep = frozenset(g.lower() for g in keep_guids)
        self._aliases: dict[str, str] = {}
        """Case-folded original (a name, text, e-mail address, GUID or address) -> alias."""
        self._originals: dict[str, str] = {}
        """Alias -> the original as first seen: the redaction map."""
        self._candidates: dict[str, tuple[int, str, str]] = {}
        self._words: dict[str, str] = {}
        self._phrases: dict[str, list[str]] = {}
        """First word (case-folded) -> names of several words starting with it, longest
        first: found in free text without one huge alternation."""
        self._learning = False
        self._seen: set[tuple[str, str]] = set()
        self._texts: dict[str, str] = {}
        """text() results: an original's alias never changes once made, so neither does the
        redaction of a string (large snapshots repeat scopes and role ids many times)."""

    # -- the map ---------------------------------------------------------------------------
    @property
    def mapping(self) -> dict[str, str]:
        """alias -> original, for every alias this redactor produced."""
        return dict(sorted(self._originals.items()))

    def _digest(self, domain: str, value: str) -> bytes:
        return hmac.new(self._key, f"{domain}\0{value}".encode(), hashlib.sha256).digest()

    def _store(self, folded: str, original: str, make: Any) -> str:
        existing = self._aliases.get(folded)
        if existing is not None:
            return existing
        for attempt in range(len(HEX_LENGTHS) + 8):
            alias = make(attempt)
            if alias not in self._originals:
                break
        else:  # pragma: no cover - 2**-128 odds
            raise RuntimeError("could not find a unique alias")
        self._aliases[folded] = alias
        self._originals[alias] = original
        return alias

    # -- alias makers ----------------------------------------------------------------------
    def guid(self, value: str) -> str:
        """The alias of a GUID (well-known GUIDs are their own alias)."""
        folded = value.lower()
        if folded in self._keep:
            return value

        def make(attempt: int) -> str:
            digest = self._digest(f"guid{attempt or ''}", folded)
            return str(uuid.UUID(bytes=digest[:16], version=4))

        return self._store(folded, value, make)

    def name(self, value: str, kind: str) -> str:
        """The alias of a name (or text) of the given kind; the first kind a string is
        registered with decides its prefix."""
        folded = value.casefold()
        if folded in self._aliases:
            return self._aliases[folded]
        digest = self._digest("name", folded).hex()
        prefix = KIND_PREFIX.get(kind, kind)

        def make(attempt: int) -> str:
            length = HEX_LENGTHS[min(attempt, len(HEX_LENGTHS) - 1)]
            hexpart = digest[:length] if attempt < len(HEX_LENGTHS) else \
                self._digest(f"name{attempt}", folded).hex()[:length]
            if kind == "email":
                return f"user-{hexpart}@example.invalid"
            if kind == "host":
                return f"host-{hexpart}.example.invalid"
            hints = "".join(h for h in HINT_WORDS if h in folded)
            if kind in ALNUM_KINDS:
                return f"{prefix}{hints}{hexpart}"
            return f"{prefix}-{hints}-{hexpart}" if hints else f"{prefix}-{hexpart}"

        alias = self._store(folded, value, make)
        if self._learning and kind not in ("email", "host"):
            self._index(value, alias)
        return alias

    def ip(self, value: str) -> str:
        octets = value.split(".")
        if value in LOCAL_HOSTS or octets[0] == "127" or value == "255.255.255.255" or \
                any(int(o) > 255 for o in octets):
            return value

        def make(attempt: int) -> str:
            digest = self._digest(f"ip{attempt or ''}", value)
            return f"240.{digest[0]}.{digest[1]}.{digest[2]}"

        return self._store(value, value, make)

    def _index(self, original: str, alias: str) -> None:
        """Make a name findable inside free text."""
        folded = original.casefold()
        if len(folded) < 3 or folded in STOPWORDS or "@" in folded or _FULL_GUID.match(folded):
            return
        if re.fullmatch(r"[\w-]+", folded):
            if not folded.isdigit():
                self._words[folded] = alias
        else:
            first = _WORD.match(folded)
            if first is not None and first.start() == 0:
                group = self._phrases.setdefault(first.group(0), [])
                if folded not in group:
                    group.append(folded)
                    group.sort(key=lambda p: (-len(p), p))

    # -- learning --------------------------------------------------------------------------
    def _candidate(self, value: Any, kind: str) -> None:
        if not isinstance(value, str) or not value.strip() or _FULL_GUID.match(value):
            return
        if kind not in ("email", "host") and value.casefold() in KEEP_SEGMENTS:
            return
        rank = KIND_ORDER.index(kind)
        folded = value.casefold()
        current = self._candidates.get(folded)
        if current is None or rank < current[0]:
            self._candidates[folded] = (rank, kind, value)

    def learn(self, snapshot: dict[str, Any], requests: Sequence[Any] = ()) -> None:
        """Register every name the structured data holds, with its kind, then build the
        free-text matcher. Call once, before redacting."""
        self._learn_any(snapshot)
        self._learn_any(list(requests))
        for key in ARM_LISTS:
            for item in snapshot.get(key) or ():
                if isinstance(item, dict):
                    self._learn_arm_object(item, key)
        for entry in snapshot.get("principals") or ():
            if isinstance(entry, dict):
                self._learn_principal(entry)
        target = snapshot.get("target")
        if isinstance(target, dict):
            self._candidate(target.get("project"), "proj")
        self._learning = True
        try:
            for folded in sorted(self._candidates):
                _, kind, original = self._candidates[folded]
                self.name(original, kind)
        finally:
            self._learning = False
        self._candidates.clear()
        self._seen.clear()
        self._texts.clear()

    def _learn_any(self, value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                self._learn_any(str(name))
                self._learn_any(item, str(name))
        elif isinstance(value, list):
            for item in value:
                self._learn_any(item, key)
        elif isinstance(value, str):
            if (key, value) in self._seen:
                return
            self._seen.add((key, value))
            lowered = key.lower()
            if lowered in NAME_KEYS:
                self._candidate(value, NAME_KEYS[lowered])
            elif lowered in EMAIL_KEYS:
                self._candidate(value, "email")
            for match in _ARM_ANYWHERE.finditer(value):
                self._learn_arm_path(match.group(0))
            if "://" in value:
                self._learn_hosts(value)
            elif lowered == "target" and _HOSTLIKE.match(value.strip()):
                self._learn_hosts("https://" + value.strip())

    def _learn_arm_path(self, path: str) -> None:
        for segment, kind in _arm_names(path):
            if kind not in (None, "struct", "keep"):
                self._candidate(segment, kind)

    def _learn_hosts(self, text: str) -> None:
        for token in re.findall(r"[a-z][a-z0-9+.-]*://([^/\s\"'<>:?#]+)", text, re.IGNORECASE):
            host = token.rsplit("@", 1)[-1].lower()
            for suffix, kind in CUSTOMER_SUFFIXES:
                if host.endswith("." + suffix):
                    for label in host[: -len(suffix) - 1].split("."):
                        self._candidate(label, kind)
                    break

    def _learn_arm_object(self, item: dict[str, Any], list_name: str) -> None:
        name = item.get("name")
        arm_id = item.get("id")
        if not isinstance(name, str) or not isinstance(arm_id, str):
            return
        resource_type = str(item.get("type") or "").lower()
        kind = TYPE_KINDS.get(resource_type, "res")
        if resource_type == "microsoft.machinelearningservices/workspaces":
            kind = {"hub": "hub", "project": "proj"}.get(str(item.get("kind") or "").lower(),
                                                         "ws")
        if list_name == "resources" and name.casefold() == arm_id.rstrip("/").rsplit(
                "/", 1)[-1].casefold():
            self._candidate(name, kind)
        properties = item.get("properties")
        if not isinstance(properties, dict):
            return
        if list_name == "roleDefinitions" and _is_builtin_role(item):
            return
        for key, value in properties.items():
            if key.lower() in PHRASE_KEYS:
                self._candidate(value, PHRASE_KEYS[key.lower()])
        chain = properties.get("managementGroupAncestorsChain")
        for group in chain if isinstance(chain, list) else ():
            if isinstance(group, dict):
                self._candidate(group.get("name"), "mg")

    def _learn_principal(self, entry: dict[str, Any]) -> None:
        kind = {"user": "user", "group": "group", "serviceprincipal": "sp"}.get(
            str(entry.get("type") or "").lower(), "user")
        if str(entry.get("appId") or "").lower() not in FIRST_PARTY_APPS:
            self._candidate(entry.get("displayName"), kind)
        for key in ("userPrincipalName", "mail"):
            self._candidate(entry.get(key), "email")

    # -- redacting -------------------------------------------------------------------------
    def text(self, value: str) -> str:
        """Free text: ids, URLs, e-mail addresses, GUIDs, addresses and known names inside
        it are replaced; everything else stays."""
        done = self._texts.get(value)
        if done is None:
            done = self._texts[value] = self._scan(value)
        return done

    def _scan(self, value: str) -> str:
        out, position = [], 0
        while True:
            match = _TEXT.search(value, position)
            if match is None:
                out.append(value[position:])
                return "".join(out)
            start = match.start()
            out.append(value[position:start])
            if match.lastgroup == "word":
                phrase = self._phrase_at(value, start, match.group(0))
                if phrase is not None:
                    out.append(self._aliases[phrase])
                    position = start + len(phrase)
                    continue
            out.append(self._replace(match))
            position = match.end()

    def _phrase_at(self, value: str, start: int, word: str) -> str | None:
        for phrase in self._phrases.get(word.casefold(), ()):
            end = start + len(phrase)
            if value[start:end].casefold() == phrase and not (
                    end < len(value) and (value[end].isalnum() or value[end] in "_-")):
                return phrase
        return None

    def _replace(self, match: re.Match[str]) -> str:
        group = match.lastgroup
        found = match.group(0)
        if group == "url":
            return self._url(found)
        if group == "arm":
            return self.arm_path(found)
        if group == "email":
            return self.name(found, "email")
        if group == "guid":
            return self.guid(found)
        if group == "ip":
            return self.ip(found)
        return self._words.get(found.casefold(), found)

    def whole(self, value: str, kind: str) -> str:
        """A value that is one name or one piece of text: replaced as a whole."""
        if not value.strip():
            return value
        if _FULL_GUID.match(value.strip()):
            return self.guid(value)
        if value.casefold() in self._aliases:
            return self._aliases[value.casefold()]
        if kind not in ("email", "host") and value.casefold() in KEEP_SEGMENTS:
            return value
        if _FULL_EMAIL.match(value.strip()):
            return self.name(value, "email")
        if _IPV4.match(value.strip()):
            return self.ip(value.strip())
        return self.name(value, kind)

    def arm_path(self, path: str) -> str:
        """An ARM id or request path, segment by segment: names replaced, types kept."""
        out = []
        for segment, kind in _arm_names(path):
            if kind == "struct" or not segment:
                out.append(segment)
            elif kind is None:
                out.append(self._segment(segment))
            elif _FULL_GUID.match(segment):
                out.append(self.guid(segment))
            elif kind == "keep" or segment.casefold() in KEEP_SEGMENTS:
                out.append(segment)
            else:
                out.append(self.whole(segment, kind))
        return "/".join(out)

    def _segment(self, segment: str) -> str:
        if _FULL_GUID.match(segment):
            return self.guid(segment)
        return self.text(segment)

    def _url(self, url: str) -> str:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return self.name(url, "host")
        host = parts.hostname or ""
        netloc = self._host(host) + (f":{port}" if port else "")
        storage = any(host.lower().endswith("." + s) for s in STORAGE_HOST_SUFFIXES)
        path = parts.path
        encoded = "%" in path
        if encoded:
            path = unquote(path)
        if _is_arm_path(path):
            path = self.arm_path(path)
        else:
            path = "/".join(self._storage_segment(s) if storage else self._segment(s)
                            for s in path.split("/"))
        if encoded:
            path = quote(path, safe="/:@!$&'()*+,;=-._~")
        return urlunsplit((parts.scheme, netloc, path, self._query(parts.query),
                           self.text(parts.fragment)))

    def _query(self, query: str) -> str:
        if not query:
            return query
        if "%" not in query and "+" not in query:
            return self.text(query)
        pairs = parse_qsl(query, keep_blank_values=True)
        return urlencode([(k, self.text(v)) for k, v in pairs], quote_via=quote,
                         safe="$'(),:/@")

    def _storage_segment(self, segment: str) -> str:
        if not segment or segment.casefold() in STORAGE_PATH_KEEP:
            return segment
        return self.whole(segment, "ctr")

    def _host(self, host: str) -> str:
        lowered = host.lower()
        if not lowered or lowered in LOCAL_HOSTS:
            return host
        if _IPV4.match(lowered):
            return self.ip(lowered)
        for suffix, kind in CUSTOMER_SUFFIXES:
            if lowered.endswith("." + suffix):
                labels = lowered[: -len(suffix) - 1].split(".")
                return ".".join(self._label(label, kind) for label in labels) + "." + suffix
        if any(lowered == d or lowered.endswith("." + d) for d in MICROSOFT_DOMAINS):
            return ".".join(self._label(label, None) for label in lowered.split("."))
        return self.name(lowered, "host")

    def _label(self, label: str, kind: str | None) -> str:
        if _FULL_GUID.match(label):
            return self.guid(label)
        if label in KEEP_SEGMENTS:
            return label
        if kind is None:
            return label if label in STOPWORDS else self._aliases.get(label, label)
        return self.name(label, kind)

    def condition(self, condition: str) -> str:
        """An ABAC condition: operation names in ActionMatches clauses stay, literal values
        and GUIDs elsewhere are replaced."""
        out, last = [], 0
        for match in _CONDITION_ACTIONS.finditer(condition):
            out.append(self._condition_values(condition[last:match.start()]))
            out.append(match.group(0))
            last = match.end()
        out.append(self._condition_values(condition[last:]))
        return "".join(out)

    def _condition_values(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group(3):
                return self.guid(match.group(3))
            quote_char = "'" if match.group(1) is not None else '"'
            literal = match.group(1) if match.group(1) is not None else match.group(2)
            return quote_char + self.whole(literal, "value") + quote_char if literal else \
                match.group(0)

        return _CONDITION_LITERAL.sub(replace, text)

    def target(self, value: str) -> str:
        """A connection target: a URL, or a bare host name with an optional path."""
        if "://" not in value and _HOSTLIKE.match(value.strip()):
            return self._url("https://" + value.strip())[len("https://"):]
        return self.text(value)

    # -- JSON ------------------------------------------------------------------------------
    def walk(self, value: Any, key: str = "") -> Any:
        """Any JSON value, with the rules chosen by the key that holds it."""
        lowered = key.lower()
        if isinstance(value, dict):
            if lowered == "tags":
                return {self.whole(str(k), "tag"): self.walk(v, "description")
                        for k, v in value.items()}
            if lowered == "metadata":
                return {k: self._metadata(str(k), v) for k, v in value.items()}
            return {self._dict_key(str(k)): self.walk(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            if lowered == "managementgroupancestorschain":
                return [self._management_group(v) for v in value]
            return [self.walk(v, key) for v in value]
        if not isinstance(value, str) or not value:
            return value
        if lowered in VOCAB_KEYS:
            return value
        if lowered == "condition":
            return self.condition(value)
        if lowered in NAME_KEYS:
            return self.whole(value, NAME_KEYS[lowered])
        if lowered in EMAIL_KEYS:
            return self.whole(value, "email")
        if lowered in FREE_TEXT_KEYS:
            return self.whole(value, "text")
        if lowered == "target":
            return self.target(value)
        return self.text(value)

    def _dict_key(self, key: str) -> str:
        """Dictionary keys are schema words, except ARM ids (userAssignedIdentities), GUIDs
        and e-mail addresses."""
        if key.startswith("/"):
            return self.text(key)
        if _FULL_GUID.match(key):
            return self.guid(key)
        if "@" in key:
            return self.text(key)
        return key

    def _metadata(self, key: str, value: Any) -> Any:
        lowered = key.lower()
        if isinstance(value, str) and lowered.endswith("name") and lowered not in VOCAB_KEYS:
            return self.whole(value, NAME_KEYS.get(lowered, "res"))
        return self.walk(value, key)

    def _management_group(self, group: Any) -> Any:
        if not isinstance(group, dict):
            return self.walk(group)
        out = {}
        for key, value in group.items():
            if key.lower() in ("name", "displayname") and isinstance(value, str):
                out[key] = self.whole(value, "mg")
            else:
                out[key] = self.walk(value, key)
        return out

    def arm_object(self, item: dict[str, Any], list_name: str) -> dict[str, Any]:
        builtin = list_name == "roleDefinitions" and _is_builtin_role(item)
        out: dict[str, Any] = {}
        for key, value in item.items():
            if key == "name" and isinstance(value, str):
                out[key] = self._object_name(item, value)
            elif builtin and key == "properties" and isinstance(value, dict):
                out[key] = {k: (v if k.lower() in ("rolename", "description")
                                else self.walk(v, k)) for k, v in value.items()}
            else:
                out[key] = self.walk(value, key)
        return out

    def _object_name(self, item: dict[str, Any], name: str) -> str:
        """An ARM object's name: the alias its id ends with."""
        if _FULL_GUID.match(name):
            return self.guid(name)
        arm_id = item.get("id")
        if isinstance(arm_id, str):
            last = arm_id.rstrip("/").rsplit("/", 1)[-1]
            if last.casefold() == name.casefold():
                return self.text(arm_id).rstrip("/").rsplit("/", 1)[-1]
        return self.whole(name, "res")

    def principal(self, entry: dict[str, Any]) -> dict[str, Any]:
        app = str(entry.get("appId") or "").lower()
        kind = {"user": "user", "group": "group", "serviceprincipal": "sp"}.get(
            str(entry.get("type") or "").lower(), "user")
        out: dict[str, Any] = {}
        for key, value in entry.items():
            if key == "displayName" and isinstance(value, str):
                out[key] = value if app in FIRST_PARTY_APPS else self.whole(value, kind)
            else:
                out[key] = self.walk(value, key)
        return out

    def snapshot(self, data: dict[str, Any]) -> dict[str, Any]:
        """A redacted copy of a snapshot v1 (call learn() first)."""
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in ARM_LISTS and isinstance(value, list):
                out[key] = [self.arm_object(i, key) if isinstance(i, dict) else self.walk(i)
                            for i in value]
            elif key == "principals" and isinstance(value, list):
                out[key] = [self.principal(p) if isinstance(p, dict) else self.walk(p)
                            for p in value]
            elif key == "target" and isinstance(value, dict):
                out[key] = {k: (self.whole(v, "proj") if k == "project" and isinstance(v, str)
                                else self.walk(v, k)) for k, v in value.items()}
            elif key in ("schemaVersion", "collectedAt"):
                out[key] = value
            else:
                out[key] = self.walk(value, key)
        return out

    def requests(self, entries: Sequence[Any]) -> list[Any]:
        """The request log: paths, URLs, queries and errors redacted; method, status, timing
        and the Azure request and correlation ids kept."""
        out = []
        for entry in entries:
            if not isinstance(entry, dict):
                out.append(self.walk(entry))
                continue
            redacted = {}
            for key, value in entry.items():
                if key.lower() == "path" and isinstance(value, str) and _is_arm_path(value):
                    redacted[key] = self.arm_path(value)
                elif key.lower() == "query" and isinstance(value, dict):
                    redacted[key] = {k: self.walk(v, k) for k, v in value.items()}
                else:
                    redacted[key] = self.walk(value, key)
            out.append(redacted)
        return out

    def argv(self, argv: Sequence[str]) -> list[str]:
        """The command line: file paths become `<path>.ext`; ids, names and addresses in the
        values are replaced; options stay."""
        out: list[str] = []
        path_next = False
        for arg in argv:
            if path_next:
                path_next = False
                out.append(_path_placeholder(arg))
                continue
            if arg.startswith("-") and len(arg) > 1:
                option, sep, value = arg.partition("=")
                if option in PATH_OPTIONS:
                    path_next = not sep
                    out.append(option + sep + _path_placeholder(value) if sep else arg)
                else:
                    out.append(option + sep + self._argument(value) if sep else arg)
                continue
            out.append(self._argument(arg))
        return out

    def _argument(self, value: str) -> str:
        if value.casefold() in self._aliases:
            return self._aliases[value.casefold()]
        if _FULL_GUID.match(value.strip()):
            return self.guid(value.strip())
        return self.text(value)


def _is_arm_path(path: str) -> bool:
    """An ARM request path, or a path embedding one (azureml://.../subscriptions/...)."""
    lowered = path.lower()
    return "/subscriptions/" in lowered or lowered.startswith("/providers/")


def _path_placeholder(value: str) -> str:
    if value in ("", "-"):
        return value
    suffix = os.path.splitext(value.replace("\\", "/").rsplit("/", 1)[-1])[1]
    return "<path>" + suffix


def _arm_names(path: str) -> list[tuple[str, str | None]]:
    """Each segment of an ARM path with the kind of name it is: 'struct' for keywords,
    namespaces and types (kept verbatim), 'keep' for names that are not the customer's
    (locations, operation ids), None for segments outside the ARM grammar."""
    segments = path.split("/")
    out: list[tuple[str, str | None]] = []
    state, namespace, types = "", "", []
    for segment in segments:
        lowered = segment.lower()
        if state == "sub":
            out.append((segment, "sub"))
            state = ""
        elif state == "rg":
            out.append((segment, "rg"))
            state = ""
        elif state == "ns":
            namespace, types = lowered, []
            out.append((segment, "struct"))
            state = "type"
        elif state == "type":
            if lowered == "providers":
                state = "ns"
            else:
                types.append(lowered)
                state = "name"
            out.append((segment, "struct"))
        elif state == "name":
            if types[-1] in KEEP_NAME_OF_TYPES:
                kind = "keep"
            else:
                kind = TYPE_KINDS.get(namespace + "/" + "/".join(types), "res")
            out.append((segment, kind))
            state = "type"
        else:
            state = {"subscriptions": "sub", "resourcegroups": "rg", "providers": "ns"}.get(
                lowered, "")
            out.append((segment, "struct" if state or not segment else None))
    return out


def restore_text(text: str, mapping: dict[str, str]) -> str:
    """Undo redaction in any text with a redaction map (alias -> original). For JSON, use
    restore_json: an original may hold characters JSON escapes."""
    if not mapping:
        return text
    return _restorer(tuple(sorted(mapping.items())))(text)


@lru_cache(maxsize=8)
def _restorer(items: tuple[tuple[str, str], ...]) -> Any:
    folded = {alias.casefold(): original for alias, original in items}
    pattern = re.compile("|".join(re.escape(a) for a, _ in
                                  sorted(items, key=lambda i: len(i[0]), reverse=True)),
                         re.IGNORECASE)
    return lambda text: pattern.sub(lambda m: folded[m.group(0).casefold()], text)


def restore_json(value: Any, mapping: dict[str, str]) -> Any:
    """Undo redaction in a JSON value (every string, dictionary keys included)."""
    if not mapping:
        return value
    if isinstance(value, dict):
        return {restore_json(k, mapping): restore_json(v, mapping) for k, v in value.items()}
    if isinstance(value, list):
        return [restore_json(v, mapping) for v in value]
    if isinstance(value, str):
        return restore_text(value, mapping)
    return value
