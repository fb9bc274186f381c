"""CheckContext.connections hands out the same Connection objects for a workspace (each keeps
what it derives from its resource: category, authentication, target, metadata), in a list of
the caller's own; a copy of the snapshot whose step changes a connection sees the change."""

from __future__ import annotations

import dataclasses

from diagnose.demo import load_demo
from diagnose.engine.api import Remediation, RemediationKind
from diagnose.engine.context import CheckContext
from diagnose.model.model import Model
from diagnose.remediation.whole_plan import apply


def _hub_and_context() -> tuple[Model, CheckContext]:
    model = Model(load_demo())
    return model, CheckContext(model)


def test_the_same_connections_in_a_list_of_the_callers_own() -> None:
    model, ctx = _hub_and_context()
    hub = model.hubs[0]
    first = ctx.connections(hub)
    assert first  # not vacuous: the demo's hub has connections
    first.clear()
    again = ctx.connections(hub)
    assert again and all(a is b for a, b in zip(again, ctx.connections(hub), strict=True))
    assert [c.resource for c in again] == model.connections_of(hub)


def test_another_object_of_the_same_workspace_gets_connections_of_its_own() -> None:
    model, ctx = _hub_and_context()
    hub = model.hubs[0]
    ctx.connections(hub)
    twin = dataclasses.replace(hub)
    assert twin is not hub and twin.key == hub.key
    assert all(c.workspace is twin for c in ctx.connections(twin))
    assert all(c.workspace is hub for c in ctx.connections(hub))


def test_metadata_is_the_callers_own() -> None:
    model, ctx = _hub_and_context()
    connection = next(c for c in ctx.connections(model.hubs[0]) if c.metadata)
    before = dict(connection.metadata)
    connection.metadata.clear()
    connection.metadata["resourceid"] = "/elsewhere"
    assert connection.metadata == before


def test_a_copy_whose_step_changes_a_connection_sees_it() -> None:
    model, ctx = _hub_and_context()
    hub = model.hubs[0]
    connection = next(c for c in ctx.connections(hub) if c.auth_type != "apikey")
    step = Remediation(
        kind=RemediationKind.CONFIGURATION,
        summary="Use a key",
        resource=connection.id,
        setting="properties.authType",
        value="ApiKey",
    )
    patched = apply(model, [step])
    copy = CheckContext(patched)
    copy.share_resources(ctx)
    [changed] = [c for c in copy.connections(patched.hubs[0]) if c.id == connection.id]
    assert changed.auth_type == "apikey"
    assert connection.auth_type != "apikey"
