"""The process exit codes, one table for every command."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Allowed, or no finding at or above --fail-on."""
    FINDINGS = 1
    """Denied or conditional access, or findings at or above --fail-on."""
    BAD_INPUT = 2
    """Bad usage or input: a clear message on stderr says what, where and how to fix it."""
    INCOMPLETE = 3
    """The answer depends on something that could not be read (an `unknown`)."""
    INTERNAL_ERROR = 4
    """A bug in the tool: one line on stderr (set DIAGNOSE_DEBUG=1 for the traceback)."""
