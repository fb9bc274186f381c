"""The built-in checks, one module per check, registered in pyproject.toml under the
`ai_hub_diagnose.checks` entry-point group exactly as a third-party package would register its
own."""
