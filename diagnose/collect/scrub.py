"""Drop every credential a response carries before it can reach a snapshot.

The collector never asks for a credential (the read-only guard refuses listKeys and the like),
but some GET responses still carry one: a connection's properties.credentials, an Application
Insights InstrumentationKey or ConnectionString, a SAS token in a URL. Fields are dropped, not
masked: a snapshot has no use for them.
"""

from __future__ import annotations

import re
from typing import Any

SECRET_FIELDS = frozenset({
    "credentials", "credential", "keys", "key", "secret", "secrets", "password", "passwords",
    "sas", "sastoken", "sasurl", "sasuri", "token", "accesstoken", "refreshtoken", "pat",
    "connectionstring", "connectionstrings", "privatekey", "clientsecret", "apikey",
    "instrumentationkey",
})
SECRET_SUFFIXES = ("secret", "password", "connectionstring", "connectionstrings", "sastoken",
                   "accesstoken", "accountkey", "accesskey", "primarykey",
                   "secondarykey", "adminkey", "querykey", "masterkey", "sharedkey",
                   "instrumentationkey", "signature")
# A string value that is itself a credential: a connection string with a key or a signature,
# or a URL carrying a SAS signature.
SECRET_VALUE = re.compile(
    r"(accountkey=|sharedaccesskey=|sharedaccesssignature=|instrumentationkey=|password=|"
    r"[?&]sig=)", re.IGNORECASE)


# Settings that only name an authentication mode (Search's authOptions.aadOrApiKey) are kept:
# "apikey" is matched exactly, never as a suffix.


def is_secret_field(name: str) -> bool:
    lowered = name.lower().replace("_", "").replace("-", "")
    return lowered in SECRET_FIELDS or lowered.endswith(SECRET_SUFFIXES)


_DROP = object()


def scrub(value: Any) -> Any:
    """A copy of a JSON value without credential fields or credential-bearing strings."""
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if is_secret_field(str(key)):
                continue
            cleaned = scrub(item)
            if cleaned is not _DROP:
                kept[key] = cleaned
        return kept
    if isinstance(value, list):
        return [c for c in (scrub(item) for item in value) if c is not _DROP]
    if isinstance(value, str) and SECRET_VALUE.search(value):
        return _url_without_query(value)
    return value


def _url_without_query(value: str) -> Any:
    """A URL whose query carries a SAS keeps its scheme, host and path; any other
    credential-bearing string is dropped."""
    match = re.match(r"^(https?://[^?#\s]+)\?", value, re.IGNORECASE)
    if match and not SECRET_VALUE.search(match.group(1)):
        return match.group(1)
    return _DROP
