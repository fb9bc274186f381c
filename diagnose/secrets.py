"""What a credential is, and its removal: the one definition, for collection, snapshots,
bundles and every message the tool prints.

A credential is never needed to diagnose access (GUIDE section 2), so credentials are removed,
never masked or hashed. Its users, in two modes of the same rules:

- The collector (diagnose/collect) runs `scrub_json(value, drop=True)` on every ARM response
  it keeps, before it reaches a snapshot: a credential is left out, field and all (a URL keeps
  its scheme, host and path), so a snapshot holds no credential and no field named like one.
  When the snapshot is assembled (diagnose/collect/assemble.py) the scrub runs once more over
  all of it; free text that must stay (assignment descriptions, Graph names, error messages)
  keeps its words, with REMOVED where a credential was.
- Every message printed (stderr, the UI's notifications, error texts quoted in reports) goes
  through scrub_text (diagnose.safe.safe_message), and so do the error messages the
  model reads from any snapshot, however old.
- A support bundle (diagnose/bundle) runs first, before redaction and before anything is
  written, on the snapshot, the request log, the command line and the rendered reports,
  whether or not --redact was given: what replaces a credential is the constant REMOVED, which
  shows that one was there without holding it.

What counts as a credential:

- a JSON field whose name says so (`is_secret_field`): credentials, key, keys, password,
  secret, token, sasToken, connectionString, accountKey, primaryKey, clientSecret,
  authorization (a header), ... compared case-insensitively with `_`, `-`, `.` and spaces
  ignored, exactly or as a suffix (accessToken, storageAccountKey, primaryConnectionString;
  publicKey, partitionKey and the like excepted).
  Names that only select an authentication mode (Search's `aadOrApiKey`, `apiKeyOnly`)
  are settings, not secrets, and are kept, and so are Key Vault access policies'
  `permissions.keys/secrets/certificates` lists of permission names (the CMK checks read
  them); so are `code` (an error code) and key references such as `keyName`, `keyVaultUri`,
  `keyIdentifier`. The value of a secret field becomes REMOVED whatever its type, except
  null and booleans (a flag such as `hasPassword` carries no secret); in drop mode the field
  goes, whatever its value.
- in `tags` and connection `metadata`, whose names people choose freely, also a name that
  says password, secret, token, credential or key anywhere in it (`is_secret_label`:
  db_password_prod, storage_key, Key1), unless it describes a credential rather than holding
  one (keyVault, KeyVaultName, secretName, tokenExpiry, publicKey).
- a string, or a part of one (`scrub_text`), that is a credential whatever field holds it:
  a JWT (`eyJ...`), an `Authorization: Bearer|Basic|SharedKey ...` value, a URL whose query
  carries a SAS (sig=, se=, sv=, ...) or a secret parameter (the whole query and fragment are
  dropped), user:password@ in a URL, `name=value` pairs of connection strings and query
  strings whose name is secret (AccountKey=, SharedAccessKey=, SharedAccessSignature=,
  PrimaryKey=, SecondaryKey=, AccessKey=, Password=, sig=, code=, any name is_secret_label
  accepts), `header: value` for the headers that carry keys (api-key, Ocp-Apim-Subscription-Key,
  x-functions-key, Authorization, Cookie, ...) and `password: value`, Entra ID client secrets
  (`abc8Q~...`, 40 characters), 32- and 64-hex keys right after a word such as key, secret,
  token or signature (a bare GUID, role id or SHA-256 is not a key), and long random-looking
  tokens (40+ base64 characters mixing digits, upper and lower case; 32-hex Cognitive Services
  keys as a whole value).
- in a request log entry's query parameters (`scrub_request`), also the URL parameters that
  carry credentials (sig, code, key, token, ...).
- on the command line (`scrub_argv`), the value of any option whose name mentions a token,
  key, secret, password, SAS, credential, connection string or cookie (--arm-token X and
  --arm-token=X alike), on top of `scrub_text` on every argument.

The scrub is idempotent, and it leaves the tool's own reports untouched (tested on the demo in
every format), so a bundled report is byte-for-byte what a replay of the bundle prints. Its
heuristics lean towards removing: a false positive costs a field the diagnosis did not need;
a false negative would leak a credential.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

REMOVED = "<removed>"

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

PERMISSION_LISTS = frozenset({"keys", "secrets", "certificates", "storage"})
_PERMISSION = re.compile(r"^[A-Za-z]{1,40}$")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?")
_AUTH_HEADER = re.compile(
    r"\b(Bearer|Basic|SharedKey|SharedKeyLite|SharedAccessSignature|PoP)(\s+)"
    r"([A-Za-z0-9\-._~+/:=%&]{16,})",
    re.IGNORECASE,
)
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>`]+", re.IGNORECASE)
_PAIR = re.compile(
    r"(?<![A-Za-z0-9])("
    r"AccountKey|SharedAccessKey|SharedAccessSignature|SharedAccessKeyValue|Password|Pwd|"
    r"ClientSecret|client_secret|InstrumentationKey|ApiKey|api-key|api_key|access_token|"
    r"refresh_token|id_token|sig|signature|code|key|token|secret|sastoken|"
    r"subscription-key|x-functions-key)(\s*=\s*)([^;&\s\"'<>,)}\]]+)",
    re.IGNORECASE,
)
_LONG_TOKEN = re.compile(r"(?<![A-Za-z0-9+/=_.-])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=_.-])")
_HEX_KEY = re.compile(r"^[0-9a-fA-F]{32}$")
# `Name=value` for any name that names a credential (PrimaryKey=, SecondaryKey=, AccessKey=).
_NAMED_PAIR = re.compile(
    r"(?<![A-Za-z0-9_.-])([A-Za-z][A-Za-z0-9_.-]{1,60})(\s*=\s*)([^;&\s\"'<>,)}\]]+)"
)
_SCHEMES = "Bearer|Basic|SharedKey|SharedKeyLite|SharedAccessSignature|PoP"
# `Header: value` (also quoted, as a dict of headers prints) for the headers that carry keys.
_HEADER = re.compile(
    r"(?<![A-Za-z0-9_-])(api-key|x-api-key|apikey|Ocp-Apim-Subscription-Key|subscription-key|"
    r"x-functions-key|Authorization|Proxy-Authorization|x-ms-authorization-auxiliary|Cookie|"
    r"Set-Cookie|password|passwd|pwd|client_secret|clientSecret|access_token|refresh_token|"
    r"id_token|sas_?token)(['\"]?\s*:\s*['\"]?)"
    rf"((?:{_SCHEMES})\s+)?(?!(?:{_SCHEMES})(?:\s|$))([^\s\"'<>,;]+)",
    re.IGNORECASE,
)
# Entra ID client secrets: 3 characters, a digit, `Q~`, then 31 to 34 more.
_CLIENT_SECRET = re.compile(
    r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])"
)
# 32 or 64 hex digits right after a word that says key: `api key 7d3c...`, `key1: ...`,
# `signature is ...`. Without such a word a hex string is an id or a hash, and stays; so does
# a path segment (a Key Vault key's version: .../keys/hub-key/4f6d...).
_KEYED_HEX = re.compile(
    r"(?i)(\b(?:keys?[12]?|secret|token|password|passwd|signature|sig|credentials?)\b"
    r"[^0-9a-z/\n]{0,4}(?:(?:is|was|of|value)[^0-9a-z/\n]{1,4})?)([0-9a-f]{64}|[0-9a-f]{32})"
    r"(?![0-9a-z])"
)
_HEADER_WORDS = ("key", "authorization", "cookie", "passw", "pwd", "secret", "token")
_KEY_WORDS = ("key", "secret", "token", "passw", "sig", "credential")


def _maybe_secret(text: str) -> bool:
    """A cheap test for what every pattern below needs. Most strings of a snapshot (ids,
    names, settings) have none of it and skip the scrub entirely."""
    if "=" in text or "://" in text or "eyJ" in text or "Q~" in text:
        return True
    lowered = text.lower()
    if "bearer" in lowered or "basic" in lowered or "sharedkey" in lowered or "pop" in lowered:
        return True
    # `header: value` needs a colon, which ARM ids (.../Microsoft.Authorization/...) never have
    if ":" in text and any(word in lowered for word in _HEADER_WORDS):
        return True
    if len(text) < 32:
        return False
    return bool(_HEX_KEY.match(text.strip())) or any(
        len(run) >= 32 for run in _DIGIT_RUN.findall(text)
    )


_DIGIT_RUN = re.compile(r"[A-Za-z0-9+/]*[0-9][A-Za-z0-9+/]*")


def _normal(name: str) -> str:
    return re.sub(r"[\s_.\-]", "", name).lower()


@lru_cache(maxsize=4096)
def is_secret_field(name: str) -> bool:
    """Whether a JSON field (or header, or query parameter) of this name holds a credential."""
    lowered = _normal(name)
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
    lowered = _normal(name)
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


def _random_looking(token: str) -> bool:
    """A key-like token: long, and mixing digits with upper and lower case (or base64
    punctuation). Operation names have no digits; slash-separated words are paths."""
    body = token.rstrip("=")
    digits = sum(c.isdigit() for c in body)
    upper = sum(c.isupper() for c in body)
    lower = sum(c.islower() for c in body)
    segments = body.split("/")
    if len(segments) >= 3 and all(segments) and segments[0].isalpha() and body == token:
        return False  # a path (workspaces/Hub2024EastUS01/connections/...), not a key
    return (digits >= 4 and upper >= 4 and lower >= 4) or (
        ("+" in body or token.endswith("=")) and digits >= 2 and upper + lower >= 8
    )


def _url_scrub(match: re.Match[str]) -> str:
    url = match.group(0)
    try:
        parts = urlsplit(url)
    except ValueError:
        return REMOVED
    netloc = parts.netloc
    if "@" in netloc:  # user:password@host
        netloc = netloc.rsplit("@", 1)[1]
    query, fragment = parts.query, parts.fragment
    names = {name.lower() for name, _ in parse_qsl(query, keep_blank_values=True)}
    names |= {name.lower() for name, _ in parse_qsl(fragment, keep_blank_values=True)}
    if names & SECRET_QUERY or any(is_secret_field(n) for n in names):
        query, fragment = "", ""
    if netloc == parts.netloc and query == parts.query and fragment == parts.fragment:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def scrub_text(text: str) -> str:
    """The text with every credential it carries replaced by REMOVED (or a URL's query
    dropped). Text without a credential comes back unchanged."""
    if not text or not _maybe_secret(text):
        return text
    return _scrub_text(text)


@lru_cache(maxsize=65536)
def _scrub_text(text: str) -> str:
    if _HEX_KEY.match(text.strip()):
        return REMOVED
    # Each pattern runs only when the text has what it needs (cheap `in` tests): most strings
    # that get here are long ARM ids, which need only the last one.
    lowered = text.lower()
    if "://" in text:
        text = _URL.sub(_url_scrub, text)
    if "eyJ" in text:
        text = _JWT.sub(REMOVED, text)
    if any(scheme in lowered for scheme in ("bearer", "basic", "sharedkey", "sharedaccess", "pop")):
        text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REMOVED}", text)
    if "=" in text:
        text = _PAIR.sub(
            lambda m: m.group(0) if m.group(3) == REMOVED else f"{m.group(1)}{m.group(2)}{REMOVED}",
            text,
        )
        text = _NAMED_PAIR.sub(_named_pair, text)
    if ":" in text:
        text = _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}{REMOVED}", text)
    if "Q~" in text:
        text = _CLIENT_SECRET.sub(REMOVED, text)
    if any(word in lowered for word in _KEY_WORDS):
        text = _KEYED_HEX.sub(lambda m: f"{m.group(1)}{REMOVED}", text)
    return _LONG_TOKEN.sub(lambda m: REMOVED if _random_looking(m.group(0)) else m.group(0), text)


def _named_pair(match: re.Match[str]) -> str:
    name, separator, value = match.groups()
    if value == REMOVED or not is_secret_label(name):
        return match.group(0)
    return f"{name}{separator}{REMOVED}"


@lru_cache(maxsize=4096)
def _key(key: str) -> tuple[str, bool]:
    return scrub_text(key), is_secret_field(key)


def _permission_list(parent: str, key: str, value: Any) -> bool:
    """Key Vault access policies: permissions.{keys,secrets,certificates,storage} are lists of
    permission names (get, wrapKey, all), which the CMK checks read, not credentials."""
    return (
        parent.lower() == "permissions"
        and key.lower() in PERMISSION_LISTS
        and isinstance(value, list)
        and all(isinstance(v, str) and _PERMISSION.match(v) for v in value)
    )


def scrub_document(text: str) -> str:
    """scrub_text for a whole rendered report, line by line: reports repeat lines a lot
    (commands, evidence), and most lines need no scrub at all."""
    done: dict[str, str] = {}
    out = []
    for line in text.splitlines(keepends=True):
        cleaned = done.get(line)
        if cleaned is None:
            cleaned = done[line] = scrub_text(line)
        out.append(cleaned)
    return "".join(out)


def scrub_json(value: Any, parent: str = "", *, drop: bool = False) -> Any:
    """A copy of a JSON value with secret fields' values replaced by REMOVED and every string
    (dictionary keys included) passed through scrub_text.

    drop=True (the collector's mode) leaves credentials out instead of marking them: a secret
    field is dropped whatever its value, and so is any string, list item or key that
    scrub_text would mark with REMOVED; a URL whose query alone carried a credential is kept
    without it. A whole value that is itself a credential becomes None."""
    cleaned = _scrub_json(value, parent, drop)
    return None if cleaned is _DROPPED else cleaned


_DROPPED: Any = object()
"""What a credential becomes in drop mode, before its container leaves it out."""


def _scrub_json(value: Any, parent: str, drop: bool) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        labels = parent.lower() in LABEL_PARENTS
        for key, item in value.items():
            name, secret = _key(str(key))
            secret = secret or (labels and is_secret_label(str(key)))
            if (
                secret
                and not _permission_list(parent, str(key), item)
                and (drop or not (item is None or isinstance(item, bool)))
            ):
                cleaned = _DROPPED if drop else REMOVED
            elif drop and REMOVED in name:
                cleaned = _DROPPED
            else:
                cleaned = _scrub_json(item, str(key), drop)
            if cleaned is not _DROPPED:
                out[name] = cleaned
        return out
    if isinstance(value, list):
        items = [_scrub_json(item, parent, drop) for item in value]
        return [item for item in items if item is not _DROPPED] if drop else items
    if isinstance(value, str):
        text = scrub_text(value)
        return _DROPPED if drop and REMOVED in text else text
    return value


def scrub_request(entry: Any) -> Any:
    """One request-log entry: scrub_json, and in its query parameters, also the names that
    carry a credential in a URL (sig, code, key, token, ...; `code` is kept elsewhere, where
    it is an error code)."""
    cleaned = scrub_json(entry)
    if not isinstance(cleaned, dict):
        return cleaned
    for name in ("query", "params", "parameters"):
        query = cleaned.get(name)
        if isinstance(query, dict):
            cleaned[name] = {
                k: (REMOVED if str(k).lower() in SECRET_QUERY else v) for k, v in query.items()
            }
    return cleaned


_SECRET_OPTION = re.compile(
    r"token|key|secret|passw|pwd|sas|credential|connection-?string|cookie|signature|bearer",
    re.IGNORECASE,
)


def is_secret_option(option: str) -> bool:
    """Whether a command-line option (--arm-token, --client-secret, ...) takes a credential."""
    return option.startswith("-") and bool(_SECRET_OPTION.search(option.lstrip("-")))


def scrub_argv(argv: Sequence[str]) -> list[str]:
    """The command line with the value of every secret-looking option, and every
    credential-looking argument, replaced by REMOVED."""
    out: list[str] = []
    take_next = False
    for arg in argv:
        arg = str(arg)
        if take_next:
            take_next = False
            if not arg.startswith("-") or arg == "-":
                out.append(REMOVED)
                continue
        if arg.startswith("-") and "=" in arg and is_secret_option(arg.split("=", 1)[0]):
            out.append(arg.split("=", 1)[0] + "=" + REMOVED)
            continue
        if arg.startswith("--") and is_secret_option(arg):
            take_next = True
        out.append(scrub_text(arg))
    return out
