"""What a long-running front end (the MCP server, `diagnose mcp`) is started with, and the
shape the program hands it to the command line in (as it hands it the terminal UI as a
Viewer), so that no front end imports another.

A server answers many questions, each naming its own source (a snapshot path, the demo or a
live hub): what stays the same for all of them is how a live hub is collected (the CLI's
--auth, --cloud, --arm-endpoint, --graph-endpoint, --concurrency, --timeout) and how a file is
read (--max-input-bytes, --ignore-bundle-hashes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from diagnose.app.sources import InputLimits, LiveOptions

_ANY_HUB = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
    "Microsoft.MachineLearningServices/workspaces/hub"
)
"""A well-formed hub id: checking the server's options needs one, and names no real hub."""


@dataclass(frozen=True)
class ServerOptions:
    auth: str = "default"
    cloud: str = "AzureCloud"
    arm_endpoint: str | None = None
    graph_endpoint: str | None = None
    concurrency: int = 64
    timeout: float | None = None
    limits: InputLimits = field(default_factory=InputLimits)

    def live(
        self,
        hub: str,
        *,
        subscription: str | None = None,
        resource_group: str | None = None,
        project: str | None = None,
    ) -> LiveOptions:
        """A live hub a caller named, collected with the server's credentials and endpoints,
        without a progress display (a server's stderr is its client's log)."""
        return LiveOptions(
            hub=hub,
            subscription=subscription,
            resource_group=resource_group,
            project=project,
            auth=self.auth,
            cloud=self.cloud,
            arm_endpoint=self.arm_endpoint,
            graph_endpoint=self.graph_endpoint,
            concurrency=self.concurrency,
            timeout=self.timeout,
            quiet=True,
        )

    def check(self) -> None:
        """BadInput naming the option, before the server starts: a mistake in --cloud,
        --concurrency, --timeout or an endpoint is the person's who started it, not the
        caller's who asks the first live question."""
        from diagnose.collect.settings import settings_from

        settings_from(self.live(_ANY_HUB))


class Server(Protocol):
    def __call__(self, options: ServerOptions) -> int:
        """Serve until the client goes away: the exit code."""
        ...
