"""Response headers read without the email package's parser, when they are plain.

http.client hands every response's header block to email.parser (a feed parser built for
mail: line cracking, defect tracking, a policy object), which was the largest single cost
of a request in this client after TLS itself: a tenth of each request's CPU, for the dozen
`Name: value` lines ARM and Graph send. LeanHeadersResponse reads the block as http.client
does and, when every line is a plain header (a name of printable characters, a colon, a
value, one line ending), builds the same HTTPMessage the email parser would: the same
(name, value) pairs in the same order, values with their leading blanks removed and their
line ending dropped, as the email package's compat32 policy stores them. Anything else (a
folded line, a stray carriage return, a line that is not a header, a block cut short) goes
to the email parser unchanged, with its own handling of the oddity.
"""

from __future__ import annotations

import email.parser
import http.client
import re
from typing import Any

_PLAIN = re.compile(r"([!-9;-~]+):[ \t]*([^\r\n]*)\r?\n\Z")
"""A header line as the email parser reads it without remark: a name of printable
characters other than the colon, the value's leading blanks, the value, the line end."""


def parse_headers(fp: Any) -> http.client.HTTPMessage:
    """http.client.parse_headers, the email parser only for a block that is not plain."""
    lines = http.client._read_headers(fp)  # type: ignore[attr-defined]
    message = plain_headers(lines)
    if message is None:
        text = b"".join(lines).decode("iso-8859-1")
        message = email.parser.Parser(_class=http.client.HTTPMessage).parsestr(text)
    return message


def plain_headers(lines: list[bytes]) -> http.client.HTTPMessage | None:
    """The message of a header block (lines with their endings, the blank line last) whose
    lines are all plain; None for any other block."""
    if not lines or lines[-1] not in (b"\r\n", b"\n"):
        return None
    pairs: list[tuple[str, str]] = []
    match = _PLAIN.match
    for line in lines[:-1]:
        found = match(line.decode("iso-8859-1"))
        if found is None:
            return None
        pairs.append((found.group(1), found.group(2)))
    message = http.client.HTTPMessage()
    message._headers = pairs  # type: ignore[attr-defined]
    message.set_payload("")  # the empty body the parser ends on
    return message


class LeanHeadersResponse(http.client.HTTPResponse):
    """http.client's response, its headers read by parse_headers above."""

    def begin(self) -> None:
        # http.client.HTTPResponse.begin (Python 3.11-3.13), but for the header parser
        if self.headers is not None:
            return
        while True:
            version, status, reason = self._read_status()
            if status != http.client.CONTINUE:
                break
            http.client._read_headers(self.fp)
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = parse_headers(self.fp)
        transfer_encoding = self.headers.get("transfer-encoding")
        if transfer_encoding and transfer_encoding.lower() == "chunked":
            self.chunked = True
            self.chunk_left = None
        else:
            self.chunked = False
        self.will_close = self._check_close()
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        else:
            self.length = None
        if (
            status == http.client.NO_CONTENT
            or status == http.client.NOT_MODIFIED
            or 100 <= status < 200
            or self._method == "HEAD"
        ):
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True
