"""Renderers: decisions and reports as text, JSON, Markdown and SARIF."""
