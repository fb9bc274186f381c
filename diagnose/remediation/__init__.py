"""Remediation, the plan step above the engine: `plan.FixPlan` gives the engine's findings
their fixes. It chooses the least-privileged role (`planner`), proves the fix on a copy of the
snapshot (`proof`) and renders it in every fix language: `fixes.classify` decides once what a
fix does (role kinds in `roles`, configuration in `settings`, the scope as `targets` reads
it), each module of `languages` writes it in one language (Azure CLI, PowerShell, Bicep,
Terraform), and `commands.commands_for` collects them, quoted by `quoting`. `whole_plan`
then checks the plan as a whole: every default step applied together to a copy of the
snapshot, every check run again, until it converges; it orders the steps, prerequisites
first.

The engine never imports this package: it takes the plan step as a parameter
(`diagnose.engine.runner.FixPlanner`)."""
