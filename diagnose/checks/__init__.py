"""The built-in checks, one module per check (`<id>_<what>.py`, e.g. hub001_members_read_hub).

diagnose.engine.registry finds them by scanning this package: every module whose name does not
start with `_` is imported and each check it defines with @check is registered, so a new module
here is a new check, with nothing else to list (no entry point, no reinstall). Modules starting
with `_` hold what several checks share (_common.py, _error_texts.py).

Checks from other packages register in the `ai_hub_diagnose.checks` entry-point group instead.
"""
