"""The access screen: pick a principal, a resource and an operation, and see the evaluator's
answer with its evidence, exactly as `diagnose access` prints it."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static

from diagnose.safe import safe_text

OUTCOME_STYLE = {
    "ALLOWED": "bold green",
    "DENIED": "bold red",
    "CONDITIONAL": "bold yellow",
    "UNKNOWN": "bold magenta",
}


def principal_choices(run: Any) -> list[tuple[str, str]]:
    """(label, id) for every principal the snapshot knows and every managed identity."""
    from diagnose.engine.context import CheckContext, describe

    model = run.model
    found: dict[str, str] = {}
    for principal in model.authorization.directory.principals.values():
        if principal.deleted:
            continue
        name = principal.display_name or principal.id
        found[principal.id] = f"{name} ({principal.type}, {principal.id})"
    context = CheckContext(model, evaluator=run.evaluator)
    for resource in model.resources.values():
        ref = context.identity(resource)
        if ref is not None:
            found[ref.id] = f"identity of {describe(resource)} ({ref.id})"
    for finding in run.report.findings:
        if finding.principal is not None and finding.principal.id not in found:
            found[finding.principal.id] = f"{finding.principal.label} ({finding.principal.id})"
    return sorted(
        ((safe_text(label), pid) for pid, label in found.items()), key=lambda item: item[0].lower()
    )


def scope_choices(run: Any) -> list[tuple[str, str]]:
    """(label, scope) for the resources, resource groups and subscriptions in the snapshot."""
    from diagnose.engine.context import describe

    found: dict[str, str] = {}
    for resource in run.model.resources.values():
        parts = resource.id.strip("/").split("/")
        if len(parts) >= 2 and parts[0].lower() == "subscriptions":
            subscription = "/" + "/".join(parts[:2])
            found.setdefault(subscription.lower(), f"subscription {parts[1]}|{subscription}")
        if len(parts) >= 4 and parts[2].lower() == "resourcegroups":
            group = "/" + "/".join(parts[:4])
            found.setdefault(group.lower(), f"resource group {parts[3]}|{group}")
        if resource.type != "microsoft.resources/subscriptions":
            found[resource.key] = f"{describe(resource)}|{resource.id}"
    choices = []
    for value in found.values():
        label, scope = value.split("|", 1)
        choices.append((safe_text(label), scope))
    return sorted(choices, key=lambda item: (item[0].lower(), item[1].lower()))


def operation_names() -> list[str]:
    """Operation names from the catalog the tool ships, as Azure spells them."""
    import json
    from importlib import resources

    text = resources.files("diagnose.catalog").joinpath("operations.json").read_text("utf-8")
    data = json.loads(text)
    return sorted(set(data["controlPlane"]) | set(data["dataPlane"]))


def decision_text(rendered: str) -> Text:
    """render_decision's output with the outcome and section titles emphasised."""
    out = Text(end="")
    lines = rendered.rstrip("\n").splitlines()
    for number, line in enumerate(lines):
        line = safe_text(line)
        word = line.split(":", 1)[0]
        if number == 0 and word in OUTCOME_STYLE:
            out.append(word, style=OUTCOME_STYLE[word])
            out.append(line[len(word) :])
        elif line.endswith(":") and not line.startswith(" "):
            out.append(line, style="bold")
        else:
            out.append(line)
        if number < len(lines) - 1:
            out.append("\n")
    return out


class AccessScreen(Screen[None]):
    """Does this principal hold this operation on this resource, and why?"""

    BINDINGS = [Binding("escape", "close", "Back"), Binding("ctrl+r", "evaluate", "Evaluate")]

    def __init__(
        self,
        run: Any,
        *,
        principal: str | None = None,
        scope: str | None = None,
        operation: str = "",
        data_action: bool = False,
    ) -> None:
        super().__init__()
        self.run = run
        self._principals = principal_choices(run)
        self._scopes = scope_choices(run)
        self._principal = principal if principal in {p for _, p in self._principals} else None
        self._scope = next(
            (s for _, s in self._scopes if scope and s.lower() == scope.strip().lower()), None
        )
        if scope and self._scope is None:
            self._scopes.append((safe_text(scope), scope))
            self._scope = scope
        self._operation = operation
        self._data_action = data_action
        self.decision: Any = None

    def compose(self) -> ComposeResult:
        from diagnose.catalog import operation_planes

        self._planes = operation_planes()
        names = operation_names()
        with Vertical(id="access-form"):
            yield Label(
                Content("Access check: does a principal hold an operation on a resource, and why?"),
                id="access-title",
            )
            yield Select(
                [(Content(label), value) for label, value in self._principals],
                prompt="principal",
                id="access-principal",
                value=self._principal if self._principal else Select.NULL,
            )
            yield Select(
                [(Content(label), value) for label, value in self._scopes],
                prompt="resource / scope",
                id="access-scope",
                value=self._scope if self._scope else Select.NULL,
            )
            with Horizontal(id="access-op-row"):
                yield Input(
                    self._operation,
                    placeholder="operation, e.g. Microsoft.Search/"
                    "searchServices/indexes/documents/read",
                    id="access-operation",
                    suggester=SuggestFromList(names, case_sensitive=False),
                )
                yield Checkbox("data action", self._data_action, id="access-data")
                yield Button("Evaluate", variant="primary", id="access-evaluate")
        with VerticalScroll(id="access-result"):
            yield Static(
                Text(
                    "Pick a principal, a resource and an operation, then press Enter or Evaluate.",
                    style="dim",
                    end="",
                ),
                id="access-answer",
            )
        yield Footer()

    def on_mount(self) -> None:
        if self._principal and self._scope and self._operation:
            self.action_evaluate()
        self.query_one("#access-principal", Select).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "access-operation":
            return
        lowered = event.value.strip().lower()
        box = self.query_one("#access-data", Checkbox)
        if lowered in self._planes["data"] and lowered not in self._planes["control"]:
            box.value = True
        elif lowered in self._planes["control"] and lowered not in self._planes["data"]:
            box.value = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_evaluate()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "access-evaluate":
            self.action_evaluate()

    def _answer(self, text: Text) -> None:
        self.query_one("#access-answer", Static).update(text)

    def action_evaluate(self) -> None:
        from diagnose.app.questions import access_in, access_question
        from diagnose.errors import BadInput
        from diagnose.render.decision_text import render_decision

        principal = self.query_one("#access-principal", Select).value
        scope = self.query_one("#access-scope", Select).value
        operation = self.query_one("#access-operation", Input).value.strip()
        data_action = self.query_one("#access-data", Checkbox).value
        missing = [
            name
            for name, value in (("a principal", principal), ("a resource", scope))
            if not isinstance(value, str)
        ]
        if not operation:
            missing.append("an operation")
        if missing:
            self._answer(Text("Choose " + ", ".join(missing) + ".", style="yellow", end=""))
            return
        assert isinstance(principal, str) and isinstance(scope, str)
        # The command line's own checks: an operation the catalogs put in the other plane,
        # or a misspelt one, is refused with the reason instead of answered.
        try:
            question = access_question(principal, scope, operation, data_action=data_action)
            answer = access_in(
                self.run.model, question, principal_id=principal, evaluator=self.run.evaluator
            )
        except BadInput as exc:
            text = exc.what + (f" ({exc.fix})" if exc.fix else "")
            self._answer(Text(safe_text(text), style="yellow", end=""))
            return
        self.decision = answer.decision
        self._answer(decision_text(render_decision(answer.decision, answer.name_of)))

    def action_close(self) -> None:
        self.dismiss(None)
