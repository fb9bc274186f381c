"""`diagnose explain`: from an Azure error message to its cause and fix."""
