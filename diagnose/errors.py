"""Errors that reach the user as one clear message and exit code 2."""

from __future__ import annotations


class BadInput(Exception):
    """Input the tool cannot use. Rendered as `what` (`where`): how to fix."""

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.where = where
        self.fix = fix

    def __str__(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        if self.fix:
            text += f"\n  how to fix: {self.fix}"
        return text
