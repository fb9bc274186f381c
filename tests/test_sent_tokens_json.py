"""SentTokens.clean_json: the exact tokens a collection sent are removed from every string of
a value, keys included, whether the check on orjson's bytes or the string-by-string walk
decides; a value without a token comes back as it is (the same object, not a copy)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from diagnose.collect.sent_tokens import SentTokens

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + "Qk" * 600 + ".c2lnbmF0dXJl"


def _tokens(*values: str) -> SentTokens:
    tokens = SentTokens()
    for value in values:
        tokens.add(value)
    return tokens


def _snapshot(text: str) -> dict[str, Any]:
    return {
        "resources": [
            {"id": "/subscriptions/s/resourceGroups/rg", "tags": {"note": "nothing here"}},
            {"id": "/x", "properties": {"deep": [{"message": text}, 3, None, True, 1.5]}},
        ],
        "principals": [{"displayName": "Dana Ng é\u2028"}],
    }


def test_a_value_without_a_token_is_returned_as_it_is():
    value = _snapshot("a plain message")
    assert _tokens(TOKEN).clean_json(value) is value


@pytest.mark.parametrize(
    "where",
    ["a string", "a key", "the start", "the end", "beside other text"],
)
def test_a_token_anywhere_in_a_string_or_key_is_removed(where: str):
    tokens = _tokens(TOKEN)
    text = {
        "a string": TOKEN,
        "the start": TOKEN + " was sent",
        "the end": "sent: " + TOKEN,
        "beside other text": f'{{"authorization": "Bearer {TOKEN}"}}',
    }.get(where, "plain")
    value = _snapshot(text)
    if where == "a key":
        value["resources"][0]["tags"] = {TOKEN: "v"}
    cleaned = tokens.clean_json(value)
    assert TOKEN not in orjson.dumps(cleaned).decode()
    assert "<removed>" in orjson.dumps(cleaned).decode()
    assert cleaned["resources"][1]["id"] == "/x"  # the rest as it was


def test_a_token_with_characters_orjson_escapes_is_still_found():
    """'"', '\\' and control characters are escaped in the bytes, so the bytes cannot show
    such a token: the walk decides."""
    for token in (
        'opaque"token-value',
        "opaque\\token-value",
        "opaque\ttoken-value",
        "opaque\x00token-value",
        "opaque\x1ftoken-value",
    ):
        cleaned = _tokens(token).clean_json({"message": f"echo {token} echo"})
        assert cleaned == {"message": "echo <removed> echo"}


@pytest.mark.parametrize(
    "odd",
    [{"big": 2**70}, {"lone": "\ud800"}, {1: "an integer key"}],
    ids=["integer beyond 64 bits", "lone surrogate", "key that is no string"],
)
def test_values_orjson_will_not_write_are_walked(odd: dict[Any, Any]):
    value = {"message": f"x {TOKEN} y", **odd}
    cleaned = _tokens(TOKEN).clean_json(value)
    assert cleaned["message"] == "x <removed> y"


def test_every_token_of_several_is_removed():
    other = "another-opaque-token-0123456789"
    cleaned = _tokens(TOKEN, other).clean_json([f"{other}", {"k": f"{TOKEN}"}])
    assert cleaned == ["<removed>", {"k": "<removed>"}]


def test_orjson_writes_every_other_character_as_it_is():
    """What the check on the bytes relies on: orjson escapes no character but '"', '\\' and
    the control characters (a version that escaped '/', say, would hide a token that holds
    one, and this fails)."""
    for code in range(0x20, 0x10000):
        char = chr(code)
        if char in '"\\' or 0xD800 <= code <= 0xDFFF:
            continue
        assert orjson.dumps(char) == b'"' + char.encode() + b'"', hex(code)
    assert orjson.dumps("\U0001f600") == '"\U0001f600"'.encode()
