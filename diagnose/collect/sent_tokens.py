"""The bearer tokens a collection sent, so that nothing a server sends back can carry them on.

A server may echo the Authorization header in an error body, a header or even a nextLink.
diagnose.secrets.scrub_text removes what looks like a credential (a JWT, a `Bearer ...`
value); a token that looks like nothing in particular (an opaque DIAGNOSE_ARM_TOKEN) is caught
here instead, by its exact value. The values live in this object's memory only, for the
length of one collection: never logged, never written, never in a snapshot or a Collection.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import orjson
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy

from diagnose.secrets import REMOVED, scrub_text

MIN_LENGTH = 8
"""Shorter values are not looked for: removing every "x" from a snapshot would wreck it, and
no real token is that short."""


class SentTokens:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: frozenset[str] = frozenset()

    def add(self, token: str) -> None:
        token = token.strip()
        if len(token) >= MIN_LENGTH and token not in self._tokens:
            with self._lock:
                self._tokens = self._tokens | {token}

    def forget(self) -> None:
        with self._lock:
            self._tokens = frozenset()

    def without_tokens(self, text: str) -> str:
        """The text with every token this collection sent replaced by REMOVED."""
        for token in self._tokens:
            if token in text:
                text = text.replace(token, REMOVED)
        return text

    def clean(self, text: str) -> str:
        """without_tokens, then diagnose.secrets.scrub_text: for text that came from a
        server and will be shown or kept (error messages, request-log fields)."""
        return scrub_text(self.without_tokens(text))

    def clean_json(self, value: Any) -> Any:
        """A JSON value with the exact tokens removed from every string, keys included (the
        value itself when none holds one)."""
        tokens = self._tokens
        if not tokens or _surely_without(value, tokens):
            return value
        return self._walk(value)

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.without_tokens(value)
        if isinstance(value, list):
            return [self._walk(item) for item in value]
        if isinstance(value, dict):
            return {self.without_tokens(str(k)): self._walk(v) for k, v in value.items()}
        return value


def _surely_without(value: Any, tokens: frozenset[str]) -> bool:
    """True only when no string of the value (keys included) holds one of the tokens.

    Walking a collection's snapshot string by string took about 200 ms for a 20 MB one, on
    every collection made with a real token. orjson writes a string's characters as they are,
    in UTF-8, escaping only '"', '\\' and the control characters: a token without those shows
    in the serialised value wherever a string holds it, so a token absent from the bytes
    (about 10 ms) is absent from every string. Anything orjson will not write (an integer
    beyond 64 bits, a lone surrogate, a key that is no string) and any token with an escaped
    character: False, and the walk decides."""
    if any(not _written_as_is(token) for token in tokens):
        return False
    try:
        written = orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return False
    return not any(token.encode() in written for token in tokens)


_ESCAPED = re.compile(r'["\\\x00-\x1f]')
"""The characters orjson escapes in a string."""


def _written_as_is(token: str) -> bool:
    # A search, not a loop over the characters: a real token is 1-2 KB, and this ran twice
    # (ARM's token, Graph's) for each clean_json, once per hub of a scan (0.2 ms of its
    # ~5 ms of CPU a hub).
    return _ESCAPED.search(token) is None


class SentTokenPolicy(SansIOHTTPPolicy):
    """Right after the authentication policy: notes the bearer token each request carries
    (kept in a SentTokens, in memory, for redaction only)."""

    def __init__(self, tokens: SentTokens) -> None:
        super().__init__()
        self._tokens = tokens

    def on_request(self, request: PipelineRequest) -> None:
        value = request.http_request.headers.get("Authorization") or ""
        scheme, _, token = value.partition(" ")
        if scheme.lower() == "bearer" and token:
            self._tokens.add(token)
