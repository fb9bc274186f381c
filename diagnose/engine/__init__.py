"""The check engine: runs check modules over a model, evaluates their requirements with the
RBAC evaluator, and turns the outcomes into findings with proven fixes."""
