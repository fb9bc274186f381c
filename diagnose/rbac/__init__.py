"""The RBAC evaluator: does principal P effectively hold operation O at scope S, and why.

It follows Azure's rules (scopes, groups, deny assignments, Actions minus NotActions inside one
role, wildcards, conditions, PIM) and imports no Azure SDK.
"""

from diagnose.rbac.decision import Decision, Outcome
from diagnose.rbac.evaluator import Evaluator

__all__ = ["Decision", "Evaluator", "Outcome"]
