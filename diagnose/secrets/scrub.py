"""The scrubbers: scrub_text for free text, scrub_document for a rendered report,
scrub_json for JSON documents (marking credentials with REMOVED, or in drop mode leaving them
out), scrub_request for a request-log entry and scrub_argv for a command line. What a
credential is comes from names.py (field, label, query and option names) and patterns.py
(credentials inside text).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from diagnose.secrets.names import (
    LABEL_PARENTS,
    SECRET_QUERY,
    is_credential_identifier,
    is_permission_list,
    is_secret_field,
    is_secret_label,
    is_secret_option,
)
from diagnose.secrets.patterns import (
    AUTH_HEADER,
    CLIENT_SECRET,
    HEADER,
    HEX_KEY,
    JWT,
    KEY_WORDS,
    KEYED_HEX,
    LONG_TOKEN,
    NAMED_PAIR,
    PAIR,
    URL,
    maybe_secret,
    random_looking,
)

REMOVED = "<removed>"
"""What replaces a credential: it shows that one was there without holding it."""


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
    dropped). Text without a credential comes back unchanged (the same object)."""
    if not text:
        return text
    scrubbed = _scrubbed(text)
    return text if scrubbed is None else scrubbed


@lru_cache(maxsize=65536)
def _scrubbed(text: str) -> str | None:
    """scrub_text's answer for a text, None when it is the text itself. Kept for every text,
    not only those the pre-test lets through: a scan's snapshots hold tens of thousands of
    strings and only a few thousand distinct ones (ids, names, role descriptions repeated
    hub after hub), and looking one up costs a tenth of the pre-test."""
    if not maybe_secret(text):
        return None
    cleaned = _scrub_text(text)
    return None if cleaned == text else cleaned


def _scrub_text(text: str) -> str:
    if HEX_KEY.match(text.strip()):
        return REMOVED
    # Each pattern runs only when the text has what it needs (cheap `in` tests): most strings
    # that get here are long ARM ids, which need only the last one.
    lowered = text.lower()
    if "://" in text:
        text = URL.sub(_url_scrub, text)
    if "eyJ" in text:
        text = JWT.sub(REMOVED, text)
    if any(scheme in lowered for scheme in ("bearer", "basic", "sharedkey", "sharedaccess", "pop")):
        text = AUTH_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REMOVED}", text)
    if "=" in text:
        text = PAIR.sub(
            lambda m: m.group(0) if m.group(3) == REMOVED else f"{m.group(1)}{m.group(2)}{REMOVED}",
            text,
        )
        text = NAMED_PAIR.sub(_named_pair, text)
    if ":" in text:
        text = HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}{REMOVED}", text)
    if "Q~" in text:
        text = CLIENT_SECRET.sub(REMOVED, text)
    if any(word in lowered for word in KEY_WORDS):
        text = KEYED_HEX.sub(lambda m: f"{m.group(1)}{REMOVED}", text)
    return LONG_TOKEN.sub(lambda m: REMOVED if random_looking(m.group(0)) else m.group(0), text)


def _named_pair(match: re.Match[str]) -> str:
    name, separator, value = match.groups()
    if value == REMOVED or not is_secret_label(name):
        return match.group(0)
    return f"{name}{separator}{REMOVED}"


@lru_cache(maxsize=4096)
def _key(key: str) -> tuple[str, bool]:
    return scrub_text(key), is_secret_field(key)


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
        return _scrub_object(value, parent, drop)
    if isinstance(value, list):
        items = [_scrub_json(item, parent, drop) for item in value]
        return [item for item in items if item is not _DROPPED] if drop else items
    if isinstance(value, str):
        text = scrub_text(value)
        return _DROPPED if drop and REMOVED in text else text
    return value


def _scrub_object(value: dict[Any, Any], parent: str, drop: bool) -> dict[str, Any]:
    """_scrub_json of a dictionary. A string or scalar entry is scrubbed here rather than
    in a call of its own: most of a snapshot's values are, and the call and its type tests
    were most of the scrub's own time."""
    out: dict[str, Any] = {}
    labels = parent.lower() in LABEL_PARENTS
    for key, item in value.items():
        field = str(key)
        name, secret = _key(field)
        secret = secret or (labels and is_secret_label(field))
        if (
            secret
            and not is_permission_list(parent, field, item)
            and (drop or not (item is None or isinstance(item, bool)))
        ):
            cleaned = _credentials(field, item, drop)
            if cleaned is _DROPPED:
                continue
        elif drop and REMOVED in name:
            continue
        elif isinstance(item, str):
            cleaned = scrub_text(item)
            if drop and REMOVED in cleaned:
                continue
        elif isinstance(item, dict | list):
            cleaned = _scrub_json(item, field, drop)
        else:
            cleaned = item
        out[name] = cleaned
    return out


def _credentials(key: str, value: Any, drop: bool) -> Any:
    """A secret field's replacement: dropped, or REMOVED. A `credentials` object naming an
    identity (a ManagedIdentity connection's resourceId / clientId) keeps those ids, and only
    them: every other entry is dropped, or REMOVED, as a secret field is."""
    gone = _DROPPED if drop else REMOVED
    if not isinstance(value, dict):
        return gone
    kept: dict[str, Any] = {}
    for name, item in value.items():
        if is_credential_identifier(key, str(name), item):
            text = scrub_text(item)
            if REMOVED not in text:
                kept[str(name)] = text
                continue
        if not drop:
            kept[scrub_text(str(name))] = REMOVED
    if not any(is_credential_identifier(key, name, item) for name, item in kept.items()):
        return gone
    return kept


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
