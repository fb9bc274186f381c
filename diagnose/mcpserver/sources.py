"""The tools' shared inputs: which hub, Foundry resource, project or snapshot a question is
about, as typed (and described) tool parameters, and the app's Source they name."""

from typing import Annotated

from pydantic import Field

from diagnose.app import DemoSource, LiveSource, SnapshotSource, Source
from diagnose.app.serving import ServerOptions
from diagnose.errors import BadInput

Hub = Annotated[
    str | None,
    Field(
        description="a live hub, Foundry resource or Foundry project: its ARM id, or its name; "
        "collected read-only with the server's credentials"
    ),
]
Snapshot = Annotated[
    str | None,
    Field(
        description="path of a snapshot (.json, from `diagnose collect`) or support bundle "
        "(.zip) on the server's machine"
    ),
]
Demo = Annotated[bool, Field(description="use the bundled demo hub (offline)")]
Subscription = Annotated[str | None, Field(description="the subscription id, when hub is a name")]
ResourceGroup = Annotated[str | None, Field(description="the resource group, when hub is a name")]
Project = Annotated[
    str | None, Field(description="narrow the run to this project of the hub or Foundry resource")
]
Principals = Annotated[
    list[str],
    Field(
        description="focus on these principals ('why can't P ...'): object ids, user "
        "principal names or display names"
    ),
]


def source_of(
    options: ServerOptions,
    demo: bool,
    snapshot: str | None,
    hub: str | None,
    subscription: str | None,
    resource_group: str | None,
    project: str | None,
) -> Source:
    """The one source a call names; BadInput when it names none, or several."""
    given = [
        name for name, value in (("hub", hub), ("snapshot", snapshot), ("demo", demo)) if value
    ]
    if len(given) != 1:
        raise BadInput(
            "say what to diagnose with exactly one of hub, snapshot or demo"
            + (f" (got {' and '.join(given)})" if given else ""),
            fix="hub: a live ARM id or name; snapshot: a file path; demo: true",
        )
    if (subscription or resource_group) and not hub:
        raise BadInput(
            "subscription and resource_group choose a live hub given by name",
            fix="give hub too, or leave them out",
        )
    if demo:
        return DemoSource(project=project)
    if snapshot:
        return SnapshotSource(snapshot, options.limits, project=project)
    assert hub is not None
    return LiveSource(
        options.live(hub, subscription=subscription, resource_group=resource_group, project=project)
    )
