"""Model: a snapshot turned into indexed, typed objects the evaluator and checks read."""
