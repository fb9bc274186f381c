"""Remediation: the least-privileged fix for a finding, proven on a copy of the snapshot, and
rendered as Azure CLI, PowerShell, Bicep and Terraform."""
