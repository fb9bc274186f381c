"""Screens over the main view: access check, help, and the path prompt for exports."""
