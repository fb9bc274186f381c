"""Which names hold a credential: JSON fields, headers and query parameters
(is_secret_field), the labels people choose for tags and connection metadata
(is_secret_label), URL query parameters (SECRET_QUERY), Key Vault permission lists that only
look like secrets, and command-line options (is_secret_option). Names only: the patterns for
credentials inside free text are in patterns.py, and the scrubbers that use both in scrub.py.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

SECRET_NAMES = frozenset(
    {
        "key",
        "keys",
        "secret",
        "secrets",
        "password",
        "passwords",
        "passwd",
        "pwd",
        "passphrase",
        "token",
        "tokens",
        "credential",
        "credentials",
        "sas",
        "sasurl",
        "sasuri",
        "sasurls",
        "connectionstring",
        "connectionstrings",
        "apikey",
        "apikeys",
        "clientsecret",
        "privatekey",
        "authorization",
        "proxyauthorization",
        "cookie",
        "setcookie",
        "signature",
        "sig",
        "pat",
        "xfunctionskey",
        "ocpapimsubscriptionkey",
        "xmsauthorizationauxiliary",
    }
)
SECRET_SUFFIXES = (
    "secret",
    "secrets",
    "password",
    "passwords",
    "connectionstring",
    "connectionstrings",
    "token",
    "credentials",
    "key",
    "keys",
    "signature",
    "sasurl",
    "sasuri",
)
# Names ending like a secret that are not one.
NOT_SECRET_SUFFIXES = (
    "publickey",
    "publickeys",
    "partitionkey",
    "rowkey",
    "sortkey",
    "shardkey",
    "idempotencykey",
    "customermanagedkey",
)
NOT_SECRET = frozenset(
    {
        # authentication-mode settings and non-secret look-alikes
        "aadorapikey",
        "apikeyonly",
        "disablelocalauth",
        "allowsharedkeyaccess",
        "tokentype",
        "keyname",
        "keyversion",
        "keyvaulturi",
        "keyidentifier",
        "keysource",
        "keyvaultarmid",
        "keyvaultproperties",
        "keyvault",
        "publickey",
        "publickeys",
        "code",
        "tokenendpoint",
        "skiptoken",
        "nextlink",
    }
)

# Query parameters that make a URL carry a credential (SAS tokens, function keys, OAuth).
SECRET_QUERY = frozenset(
    {
        "sig",
        "signature",
        "se",
        "sv",
        "sp",
        "spr",
        "srt",
        "ss",
        "skoid",
        "sktid",
        "skt",
        "ske",
        "sks",
        "skv",
        "sdd",
        "code",
        "key",
        "apikey",
        "api-key",
        "api_key",
        "subscription-key",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "password",
        "secret",
        "sastoken",
        "sas",
    }
)

CREDENTIAL_IDENTIFIERS = frozenset({"resourceid", "clientid"})
"""The entries of a connection's `credentials` that name an identity rather than hold a secret:
a `ManagedIdentity` connection's credentials.resourceId (the user-assigned identity's ARM id)
and credentials.clientId (its client id), compared case-insensitively (ARM returns resourceId,
ResourceId, clientId, ClientId). The connection checks read them to know which identity calls
(diagnose/checks/_common.py connection_identity), so they are kept; every other entry of
`credentials` is a credential."""

PERMISSION_LISTS = frozenset({"keys", "secrets", "certificates", "storage"})
PERMISSION_NAME = re.compile(r"^[A-Za-z]{1,40}$")


def normal_name(name: str) -> str:
    return re.sub(r"[\s_.\-]", "", name).lower()


@lru_cache(maxsize=4096)
def is_secret_field(name: str) -> bool:
    """Whether a JSON field (or header, or query parameter) of this name holds a credential."""
    lowered = normal_name(name)
    if lowered in NOT_SECRET or lowered.endswith(NOT_SECRET_SUFFIXES):
        return False
    return lowered in SECRET_NAMES or lowered.endswith(SECRET_SUFFIXES)


_LABEL_SECRET = re.compile(
    r"passw|pwd|secret|token|credential|apikey|accesskey|accountkey|"
    r"sharedkey|privatekey|signature|connectionstring|^sas"
)
_DESCRIBES = (
    "name",
    "names",
    "type",
    "id",
    "ids",
    "uri",
    "url",
    "endpoint",
    "version",
    "policy",
    "expiry",
    "expiration",
    "expiresat",
    "expireson",
    "source",
    "vault",
    "identifier",
    "enabled",
    "hint",
    "length",
    "rotation",
    "reference",
)
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")


@lru_cache(maxsize=4096)
def is_secret_label(name: str) -> bool:
    """Whether a tag or metadata entry of this name holds a credential. People choose these
    names, so besides is_secret_field any name that says password, secret, token, credential
    or has `key` as a word counts, unless it describes a credential (its name, type, vault,
    expiry, ...) or is one of the known look-alikes (publicKey, partitionKey, keyVault)."""
    if is_secret_field(name):
        return True
    lowered = normal_name(name)
    if (
        lowered in NOT_SECRET
        or lowered.endswith(NOT_SECRET_SUFFIXES)
        or lowered.endswith(_DESCRIBES)
    ):
        return False
    if _LABEL_SECRET.search(lowered):
        return True
    return any(word.lower() in ("key", "keys") for word in _WORDS.findall(name))


LABEL_PARENTS = frozenset({"tags", "metadata"})
"""Objects whose entry names are labels chosen by people (resource tags, connection
metadata): checked with is_secret_label."""


def is_permission_list(parent: str, key: str, value: Any) -> bool:
    """Key Vault access policies: permissions.{keys,secrets,certificates,storage} are lists of
    permission names (get, wrapKey, all), which the CMK checks read, not credentials."""
    return (
        parent.lower() == "permissions"
        and key.lower() in PERMISSION_LISTS
        and isinstance(value, list)
        and all(isinstance(v, str) and PERMISSION_NAME.match(v) for v in value)
    )


def is_credential_identifier(parent: str, key: str, value: Any) -> bool:
    """Whether this entry of a `credentials` object is an identity's id (resourceId, clientId:
    CREDENTIAL_IDENTIFIERS), a non-empty string, rather than a secret."""
    return (
        normal_name(parent) == "credentials"
        and key.lower() in CREDENTIAL_IDENTIFIERS
        and isinstance(value, str)
        and bool(value.strip())
    )


_SECRET_OPTION = re.compile(
    r"token|key|secret|passw|pwd|sas|credential|connection-?string|cookie|signature|bearer",
    re.IGNORECASE,
)


def is_secret_option(option: str) -> bool:
    """Whether a command-line option (--arm-token, --client-secret, ...) takes a credential."""
    return option.startswith("-") and bool(_SECRET_OPTION.search(option.lstrip("-")))
