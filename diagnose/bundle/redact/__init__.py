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

The package, one module per field family (the Redactor class stacks them, see documents.py):
pseudonyms.py (the key and the keyed alias store: GUIDs, names, IPv4 addresses, whole
values), identifiers.py (recognising GUIDs, e-mail and IPv4 addresses; the well-known GUIDs),
vocabulary.py (what a name is, which keys hold what), arm.py (ARM ids and object names),
hosts.py (host names and URLs), text.py (free text and ABAC conditions), learning.py (the
names a bundle holds, learnt before redacting), documents.py (the Redactor: snapshot, request
log, command line, principals' names and UPNs) and restore.py (undoing it with the map).
"""

from __future__ import annotations

from diagnose.bundle.redact.documents import Redactor
from diagnose.bundle.redact.hosts import (
    CUSTOMER_SUFFIXES,
    MICROSOFT_DOMAINS,
    STORAGE_HOST_SUFFIXES,
    STORAGE_PATH_KEEP,
)
from diagnose.bundle.redact.identifiers import (
    ALL_PRINCIPALS,
    AZURE_ML_APP,
    FIRST_PARTY_APPS,
    GUID,
    LOCAL_HOSTS,
    well_known_guids,
)
from diagnose.bundle.redact.pseudonyms import (
    HEX_LENGTHS,
    KEY_BYTES,
    KEY_VARIABLE,
    MIN_KEY_BYTES,
    key_fingerprint,
    load_key,
)
from diagnose.bundle.redact.restore import restore_json, restore_text
from diagnose.bundle.redact.vocabulary import (
    ALNUM_KINDS,
    ARM_LISTS,
    EMAIL_KEYS,
    FREE_TEXT_KEYS,
    HINT_WORDS,
    KEEP_NAME_OF_TYPES,
    KEEP_SEGMENTS,
    KIND_ORDER,
    KIND_PREFIX,
    NAME_KEYS,
    PATH_OPTIONS,
    PHRASE_KEYS,
    STOPWORDS,
    TYPE_KINDS,
    VOCAB_KEYS,
)

__all__ = [
    "ALL_PRINCIPALS",
    "ALNUM_KINDS",
    "ARM_LISTS",
    "AZURE_ML_APP",
    "CUSTOMER_SUFFIXES",
    "EMAIL_KEYS",
    "FIRST_PARTY_APPS",
    "FREE_TEXT_KEYS",
    "GUID",
    "HEX_LENGTHS",
    "HINT_WORDS",
    "KEEP_NAME_OF_TYPES",
    "KEEP_SEGMENTS",
    "KEY_BYTES",
    "KEY_VARIABLE",
    "KIND_ORDER",
    "KIND_PREFIX",
    "LOCAL_HOSTS",
    "MICROSOFT_DOMAINS",
    "MIN_KEY_BYTES",
    "NAME_KEYS",
    "PATH_OPTIONS",
    "PHRASE_KEYS",
    "STOPWORDS",
    "STORAGE_HOST_SUFFIXES",
    "STORAGE_PATH_KEEP",
    "TYPE_KINDS",
    "VOCAB_KEYS",
    "Redactor",
    "key_fingerprint",
    "load_key",
    "restore_json",
    "restore_text",
    "well_known_guids",
]
