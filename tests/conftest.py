import os

# Tests want to see a bug's traceback, not the one-line internal-error message.
os.environ.setdefault("DIAGNOSE_DEBUG", "1")
