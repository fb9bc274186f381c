"""What a name is, and which JSON keys hold what: the tables the redaction rules read.

Part of diagnose.bundle.redact (see its package docstring for the policy). Every family module
(arm, hosts, text, learning, documents) reads these tables; this module imports nothing.
"""

from __future__ import annotations

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
KIND_ORDER = (
    "st",
    "cr",
    "rg",
    "mg",
    "sub",
    "hub",
    "proj",
    "ws",
    "ai",
    "srch",
    "kv",
    "appi",
    "id",
    "conn",
    "res",
    "ctr",
    "user",
    "group",
    "sp",
    "role",
    "deny",
    "email",
    "host",
    "tag",
    "value",
    "text",
)
ALNUM_KINDS = frozenset({"st", "cr"})
KIND_PREFIX = {"email": "user", "host": "host"}

# Words the checks read inside names (OYD005 takes a connection whose name or metadata
# mentions "embed" as the embedding one): an alias keeps them, or replay would differ.
HINT_WORDS = ("embed",)

# Child names that are fixed by Azure, and types whose names are not the customer's.
KEEP_SEGMENTS = frozenset(
    {
        "default",
        "current",
        "latest",
        "$default",
        "$logs",
        "$web",
        "$root",
        "privatelink",
        # the Cosmos DB database the Foundry agent service keeps threads in (AGT002 reads it)
        "enterprise_memory",
    }
)
KEEP_NAME_OF_TYPES = frozenset(
    {
        "locations",
        "operations",
        "operationresults",
        "operationstatuses",
        "skus",
        "usages",
        "quotas",
        "resourcetypes",
    }
)

# Values kept verbatim: vocabulary, not data.
VOCAB_KEYS = frozenset(
    {
        "type",
        "kind",
        "location",
        "actions",
        "notactions",
        "dataactions",
        "notdataactions",
        "operation",
        "code",
        "category",
        "authtype",
        "principaltype",
        "apitype",
        "provisioningstate",
        "publicnetworkaccess",
        "state",
        "conditionversion",
        "api-version",
        "apiversion",
        "method",
        "service",
        "roletype",
        "membertype",
        "defaultaction",
        "bypass",
        "hostingmode",
        "application_type",
        "systemdatastoresauthmode",
        "aadauthfailuremode",
        "tier",
        "family",
        "schemaversion",
        "collectedat",
        "createdon",
        "updatedon",
        "startdatetime",
        "enddatetime",
        "status",
        "durationms",
        "wave",
        "requestid",
        "correlationid",
        "x-ms-request-id",
        "x-ms-correlation-request-id",
        "clientrequestid",
        "x-ms-client-request-id",
        "client-request-id",
        "request-id",
        "sku",
        "group",
    }
)
# Customer-written text: the whole value is replaced.
FREE_TEXT_KEYS = frozenset(
    {
        "description",
        "friendlyname",
        "displayname",
        "denyassignmentname",
        "justification",
        "rolename",
        "notes",
        "comment",
        "comments",
        "givenname",
        "surname",
        "mailnickname",
        "department",
        "companyname",
        "jobtitle",
        "onpremisessamaccountname",
    }
)
# Free text that also names something (so it is searched for inside other text), by kind.
PHRASE_KEYS = {
    "displayname": "text",
    "friendlyname": "text",
    "denyassignmentname": "deny",
    "rolename": "role",
}
# Keys whose value is a name of a given kind, wherever they appear.
NAME_KEYS = {
    "customsubdomainname": "ai",
    "accountname": "st",
    "storageaccountname": "st",
    "containername": "ctr",
    "workspacename": "ws",
    "hubname": "hub",
    "projectname": "proj",
    "resourcegroup": "rg",
    "resourcegroupname": "rg",
    "vaultname": "kv",
    "registryname": "cr",
    "searchservicename": "srch",
    "keyname": "res",
    "deploymentname": "res",
}
EMAIL_KEYS = frozenset({"userprincipalname", "mail", "email", "upn", "othermails"})

# Words never searched for in free text (they are still aliased where they are names).
STOPWORDS = frozenset(
    {
        "default",
        "current",
        "latest",
        "none",
        "true",
        "false",
        "null",
        "enabled",
        "disabled",
        "allow",
        "deny",
        "standard",
        "basic",
        "free",
        "premium",
        "read",
        "write",
        "delete",
        "action",
        "actions",
        "azure",
        "openai",
        "search",
        "storage",
        "blob",
        "blobs",
        "file",
        "files",
        "data",
        "hub",
        "hubs",
        "project",
        "projects",
        "workspace",
        "workspaces",
        "account",
        "accounts",
        "connection",
        "connections",
        "identity",
        "identities",
        "microsoft",
        "resource",
        "resources",
        "providers",
        "subscription",
        "subscriptions",
        "resourcegroups",
        "user",
        "users",
        "group",
        "groups",
        "admin",
        "owner",
        "reader",
        "contributor",
        "test",
        "dev",
        "prod",
        "main",
        "api",
        "apis",
        "chat",
        "docs",
        "model",
        "models",
        "key",
        "keys",
        "vault",
        "vaults",
        "registry",
        "registries",
        "insights",
        "services",
        "service",
        "web",
        "app",
        "apps",
        "aad",
        "entra",
        "ai",
        "ml",
        "shared",
        "internal",
        "public",
        "private",
        "network",
        "networks",
        "endpoint",
        "endpoints",
        "the",
        "and",
        "for",
        "with",
        "from",
        "this",
        "that",
        "http",
        "https",
        "www",
        "com",
        "net",
        "org",
    }
)

PATH_OPTIONS = frozenset(
    {
        "--snapshot",
        "--bundle",
        "-o",
        "--output",
        "--save-snapshot",
        "--redaction-map",
        "--personas",
    }
)
ARM_LISTS = (
    "resources",
    "roleDefinitions",
    "roleAssignments",
    "denyAssignments",
    "roleEligibilities",
)
