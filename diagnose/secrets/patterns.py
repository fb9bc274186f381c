"""The text patterns of a credential, whatever field holds it: JWTs, `Authorization`
schemes, URLs (their queries are judged in scrub.py), `name=value` pairs of connection and
query strings, `header: value` for the headers that carry keys, Entra ID client secrets, hex
keys right after a word that says key, and long random-looking tokens; with the cheap
pre-tests (maybe_secret, random_looking) that keep most strings of a snapshot out of the
regular expressions. scrub.py applies them.
"""

from __future__ import annotations

import re

JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?")
AUTH_HEADER = re.compile(
    r"\b(Bearer|Basic|SharedKey|SharedKeyLite|SharedAccessSignature|PoP)(\s+)"
    r"([A-Za-z0-9\-._~+/:=%&]{16,})",
    re.IGNORECASE,
)
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>`]+", re.IGNORECASE)
PAIR = re.compile(
    r"(?<![A-Za-z0-9])("
    r"AccountKey|SharedAccessKey|SharedAccessSignature|SharedAccessKeyValue|Password|Pwd|"
    r"ClientSecret|client_secret|InstrumentationKey|ApiKey|api-key|api_key|access_token|"
    r"refresh_token|id_token|sig|signature|code|key|token|secret|sastoken|"
    r"subscription-key|x-functions-key)(\s*=\s*)([^;&\s\"'<>,)}\]]+)",
    re.IGNORECASE,
)
LONG_TOKEN = re.compile(r"(?<![A-Za-z0-9+/=_.-])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=_.-])")
HEX_KEY = re.compile(r"^[0-9a-fA-F]{32}$")
# `Name=value` for any name that names a credential (PrimaryKey=, SecondaryKey=, AccessKey=).
NAMED_PAIR = re.compile(
    r"(?<![A-Za-z0-9_.-])([A-Za-z][A-Za-z0-9_.-]{1,60})(\s*=\s*)([^;&\s\"'<>,)}\]]+)"
)
_SCHEMES = "Bearer|Basic|SharedKey|SharedKeyLite|SharedAccessSignature|PoP"
# `Header: value` (also quoted, as a dict of headers prints) for the headers that carry keys.
HEADER = re.compile(
    r"(?<![A-Za-z0-9_-])(api-key|x-api-key|apikey|Ocp-Apim-Subscription-Key|subscription-key|"
    r"x-functions-key|Authorization|Proxy-Authorization|x-ms-authorization-auxiliary|Cookie|"
    r"Set-Cookie|password|passwd|pwd|client_secret|clientSecret|access_token|refresh_token|"
    r"id_token|sas_?token)(['\"]?\s*:\s*['\"]?)"
    rf"((?:{_SCHEMES})\s+)?(?!(?:{_SCHEMES})(?:\s|$))([^\s\"'<>,;]+)",
    re.IGNORECASE,
)
# Entra ID client secrets: 3 characters, a digit, `Q~`, then 31 to 34 more.
CLIENT_SECRET = re.compile(
    r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])"
)
# 32 or 64 hex digits right after a word that says key: `api key 7d3c...`, `key1: ...`,
# `signature is ...`. Without such a word a hex string is an id or a hash, and stays; so does
# a path segment (a Key Vault key's version: .../keys/hub-key/4f6d...).
KEYED_HEX = re.compile(
    r"(?i)(\b(?:keys?[12]?|secret|token|password|passwd|signature|sig|credentials?)\b"
    r"[^0-9a-z/\n]{0,4}(?:(?:is|was|of|value)[^0-9a-z/\n]{1,4})?)([0-9a-f]{64}|[0-9a-f]{32})"
    r"(?![0-9a-z])"
)
_HEADER_WORDS = ("key", "authorization", "cookie", "passw", "pwd", "secret", "token")
KEY_WORDS = ("key", "secret", "token", "passw", "sig", "credential")
_LONG_RUN = re.compile(r"[A-Za-z0-9+/]{32,}")
"""Runs of 32 key characters or more, each whole (a match starts where its run does). The
pre-test asks for one that holds a digit; finding the runs with a digit first (a pattern
that backtracked over every digit-free stretch of an ARM id) was most of the scrub's time."""
_DIGIT = re.compile(r"[0-9]")


def maybe_secret(text: str) -> bool:
    """A cheap test for what every pattern here needs. Most strings of a snapshot (ids,
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
    return bool(HEX_KEY.match(text.strip())) or long_digit_run(text)


def long_digit_run(text: str) -> bool:
    """Some run of key characters (letters, digits, + and /) 32 long or longer holds a
    digit."""
    return any(_DIGIT.search(run) for run in _LONG_RUN.findall(text))


def random_looking(token: str) -> bool:
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
