"""ai-hub-diagnose: find why access fails in Azure AI Foundry hubs and projects."""

__version__ = "0.1.0"
TOOL_NAME = "ai-hub-diagnose"
