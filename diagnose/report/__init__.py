"""The report: findings, the fix plan and the summary, in every output format."""
