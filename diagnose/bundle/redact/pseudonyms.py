"""The keyed pseudonym core: the redaction key, and one alias per original under it.

Part of diagnose.bundle.redact (see its package docstring for the policy). Aliases come from
HMAC-SHA256 under the key, so the same key gives the same alias in every bundle; the map
(alias -> original) is kept here. The field families build on this class: arm.py, hosts.py,
text.py, learning.py, then documents.py (the Redactor).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid
from collections.abc import Callable, Iterable

from diagnose.bundle.redact.identifiers import FULL_EMAIL, FULL_GUID, IPV4, LOCAL_HOSTS
from diagnose.bundle.redact.vocabulary import ALNUM_KINDS, HINT_WORDS, KEEP_SEGMENTS, KIND_PREFIX
from diagnose.errors import BadInput

KEY_VARIABLE = "DIAGNOSE_REDACTION_KEY"
MIN_KEY_BYTES = 16
KEY_BYTES = 32
HEX_LENGTHS = (10, 16, 32)


def load_key() -> tuple[bytes, str]:
    """The redaction key and where it came from ('environment' or 'random')."""
    value = os.environ.get(KEY_VARIABLE, "").strip()
    if not value:
        return secrets.token_bytes(KEY_BYTES), "random"
    try:
        key = bytes.fromhex(value)
    except ValueError:
        raise BadInput(
            f"{KEY_VARIABLE} is not hexadecimal",
            fix=f"set it to {2 * KEY_BYTES} hex digits, e.g. the output of "
            '`python -c "import secrets; print(secrets.token_hex(32))"`, '
            "or unset it for a random key",
        ) from None
    if len(key) < MIN_KEY_BYTES:
        raise BadInput(
            f"{KEY_VARIABLE} is too short ({len(key)} bytes): aliases made with a "
            "short key can be reversed by guessing",
            fix=f"use at least {2 * MIN_KEY_BYTES} hex digits ({2 * KEY_BYTES} recommended)",
        )
    return key, "environment"


def key_fingerprint(key: bytes) -> str:
    """Equal for equal keys, and says nothing about the key."""
    return hmac.new(key, b"ai-hub-diagnose redaction key fingerprint", hashlib.sha256).hexdigest()[
        :16
    ]


class Pseudonyms:
    """Aliases under one key: GUIDs, names of a kind, IPv4 addresses, whole values."""

    def __init__(self, key: bytes, keep_guids: Iterable[str] = ()) -> None:
        self._key = key
        self._keep = frozenset(g.lower() for g in keep_guids)
        self._aliases: dict[str, str] = {}
        """Case-folded original (a name, text, e-mail address, GUID or address) -> alias."""
        self._originals: dict[str, str] = {}
        """Alias -> the original as first seen: the redaction map."""

    def text(self, value: str) -> str:
        """Free text with the identifiers in it replaced. Defined by the free-text layer
        (text.py); declared here because ARM ids and URLs hold free text too."""
        raise NotImplementedError

    # -- the map ---------------------------------------------------------------------------
    @property
    def mapping(self) -> dict[str, str]:
        """alias -> original, for every alias this redactor produced."""
        return dict(sorted(self._originals.items()))

    def _digest(self, domain: str, value: str) -> bytes:
        return hmac.new(self._key, f"{domain}\0{value}".encode(), hashlib.sha256).digest()

    def _store(self, folded: str, original: str, make: Callable[[int], str]) -> str:
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
            hexpart = (
                digest[:length]
                if attempt < len(HEX_LENGTHS)
                else self._digest(f"name{attempt}", folded).hex()[:length]
            )
            if kind == "email":
                return f"user-{hexpart}@example.invalid"
            if kind == "host":
                return f"host-{hexpart}.example.invalid"
            hints = "".join(h for h in HINT_WORDS if h in folded)
            if kind in ALNUM_KINDS:
                return f"{prefix}{hints}{hexpart}"
            return f"{prefix}-{hints}-{hexpart}" if hints else f"{prefix}-{hexpart}"

        return self._store(folded, value, make)

    def ip(self, value: str) -> str:
        """The alias of an IPv4 address: one in 240.0.0.0/8 (reserved); loopback, broadcast
        and malformed addresses stay."""
        octets = value.split(".")
        if (
            value in LOCAL_HOSTS
            or octets[0] == "127"
            or value == "255.255.255.255"
            or any(int(o) > 255 for o in octets)
        ):
            return value

        def make(attempt: int) -> str:
            digest = self._digest(f"ip{attempt or ''}", value)
            return f"240.{digest[0]}.{digest[1]}.{digest[2]}"

        return self._store(value, value, make)

    def whole(self, value: str, kind: str) -> str:
        """A value that is one name or one piece of text: replaced as a whole."""
        if not value.strip():
            return value
        if FULL_GUID.match(value.strip()):
            return self.guid(value)
        if value.casefold() in self._aliases:
            return self._aliases[value.casefold()]
        if kind not in ("email", "host") and value.casefold() in KEEP_SEGMENTS:
            return value
        if FULL_EMAIL.match(value.strip()):
            return self.name(value, "email")
        if IPV4.match(value.strip()):
            return self.ip(value.strip())
        return self.name(value, kind)
