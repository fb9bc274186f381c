"""Errors that reach the user as one clear message and exit code 2."""

from __future__ import annotations


class BadInput(Exception):
    """Input the tool cannot use, said on one line: where, what, and how to fix it."""

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.where = where
        self.fix = fix

    def __str__(self) -> str:
        text = " ".join(self.what.split())
        if self.where:
            text = f"{self.where}: {text}"
        if self.fix:
            text += f" (how to fix: {' '.join(self.fix.split())})"
        return text
