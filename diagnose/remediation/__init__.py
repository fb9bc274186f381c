"""Remediation: the least-privileged fix for a finding (planner), proven on a copy of the
snapshot (proof), and rendered in every fix language: `fixes.classify` decides once what a fix
does (role kinds in `roles`, configuration in `settings`), each module of `languages` writes it
in one language (Azure CLI, PowerShell, Bicep, Terraform), and `commands.commands_for` collects
them, quoted by `quoting`."""
