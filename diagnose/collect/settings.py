"""What a live collection needs to know, checked once: the target, the endpoints, the limits.

The target (--hub) is a hub, a Foundry resource (Microsoft.CognitiveServices/accounts) or a
Foundry project (accounts/{a}/projects/{p}), given by ARM id or by name."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from diagnose.arm.ids import GUID, followable
from diagnose.arm.types import COGNITIVE_ACCOUNT, COGNITIVE_PROJECT, WORKSPACE
from diagnose.collect.deadline import DEFAULT_TIMEOUT, MAX_TIMEOUT
from diagnose.errors import BadInput


@dataclass(frozen=True)
class Cloud:
    name: str
    arm: str
    graph: str
    authority: str


CLOUDS = {
    "AzureCloud": Cloud(
        "AzureCloud",
        "https://management.azure.com",
        "https://graph.microsoft.com",
        "login.microsoftonline.com",
    ),
    "AzureChinaCloud": Cloud(
        "AzureChinaCloud",
        "https://management.chinacloudapi.cn",
        "https://microsoftgraph.chinacloudapi.cn",
        "login.chinacloudapi.cn",
    ),
    "AzureUSGovernment": Cloud(
        "AzureUSGovernment",
        "https://management.usgovcloudapi.net",
        "https://graph.microsoft.us",
        "login.microsoftonline.us",
    ),
}

# Workspace names: 3-33 characters, letters, digits, '-' and '_', starting alphanumeric.
HUB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$")
# Foundry resource and project names: 2-64 letters, digits, '-', '_' and '.', starting
# alphanumeric (what --hub NAME and --project accept: a hub name is one of these).
TARGET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")
TARGET_TYPES = {WORKSPACE: 1, COGNITIVE_ACCOUNT: 1, COGNITIVE_PROJECT: 2}
"""The types --hub accepts as an ARM id, with how many names their ids carry."""
# Resource group names: letters (any script), digits, '.', '_', '-', '(' and ')'; 1-90.
RESOURCE_GROUP = re.compile(r"^[-\w._()]{1,90}$")
MAX_CONCURRENCY = 64


@dataclass(frozen=True)
class HubRef:
    """The target as the user named it (a hub, a Foundry resource or a Foundry project): an
    ARM id, or a name to look up."""

    id: str | None = None
    name: str | None = None
    subscription: str | None = None
    resource_group: str | None = None
    fallback: str | None = None
    """A name given with --subscription and --resource-group becomes the hub's id; this is the
    Foundry resource's id of the same name, read when there is no such hub."""


@dataclass(frozen=True)
class Settings:
    hub: HubRef
    project: str | None
    auth: str
    cloud: Cloud
    arm_endpoint: str
    graph_endpoint: str
    concurrency: int
    quiet: bool
    timeout: float = DEFAULT_TIMEOUT
    """Seconds for the whole collection (--timeout)."""

    @property
    def arm_scope(self) -> str:
        return self.arm_endpoint + "/.default"

    @property
    def graph_scope(self) -> str:
        return self.graph_endpoint + "/.default"


@dataclass(frozen=True)
class LiveOptions:
    """A live hub as the user asked for it (--hub, --auth, --cloud, ...), not yet checked:
    settings_from() checks it when the collection starts, so a front end can build it from
    its input without deciding when a mistake is reported."""

    hub: str
    subscription: str | None = None
    resource_group: str | None = None
    project: str | None = None
    auth: str = "default"
    cloud: str = "AzureCloud"
    arm_endpoint: str | None = None
    graph_endpoint: str | None = None
    concurrency: int = 64
    """The most requests in flight at once to each service; fewer while it throttles
    (diagnose.collect.limit)."""
    timeout: float | None = None
    """Seconds for the whole collection; None: DEFAULT_TIMEOUT."""
    quiet: bool = False
    """No progress display on stderr."""


def settings_from(options: LiveOptions) -> Settings:
    """The checked Settings of a live collection, or BadInput naming the option to change."""
    cloud = CLOUDS.get(options.cloud or "AzureCloud")
    if cloud is None:
        raise BadInput(
            f"unknown cloud {options.cloud!r}",
            where="--cloud",
            fix="use one of " + ", ".join(CLOUDS),
        )
    concurrency = options.concurrency
    if not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise BadInput(
            f"{concurrency!r} is not a number from 1 to {MAX_CONCURRENCY}",
            where="--concurrency",
            fix="use for example --concurrency 8",
        )
    timeout = DEFAULT_TIMEOUT if options.timeout is None else options.timeout
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or not 0 < timeout <= MAX_TIMEOUT
    ):
        raise BadInput(
            f"{timeout!r} is not a number of seconds above 0 and at most {MAX_TIMEOUT:g}",
            where="--timeout",
            fix="use for example --timeout 600",
        )
    project = options.project
    if project is not None and not TARGET_NAME.match(project):
        raise BadInput(
            f"{project!r} is not a valid project name",
            where="--project",
            fix="a project name has 2-64 letters, digits, '-', '_' or '.'",
        )
    return Settings(
        hub=parse_hub(options.hub, options.subscription, options.resource_group),
        project=project,
        auth=options.auth or "default",
        cloud=cloud,
        arm_endpoint=endpoint(options.arm_endpoint or cloud.arm, "--arm-endpoint"),
        graph_endpoint=endpoint(options.graph_endpoint or cloud.graph, "--graph-endpoint"),
        concurrency=concurrency,
        quiet=bool(options.quiet),
        timeout=float(timeout),
    )


def settings_from_args(args: Any) -> Settings:
    """settings_from() for an argparse-like namespace (the test harness and benchmarks hold
    one); absent attributes take LiveOptions' defaults."""
    defaults = LiveOptions(hub="")
    return settings_from(
        LiveOptions(
            hub=args.hub,
            subscription=getattr(args, "subscription", None),
            resource_group=getattr(args, "resource_group", None),
            project=getattr(args, "project", None),
            auth=getattr(args, "auth", None) or defaults.auth,
            cloud=getattr(args, "cloud", None) or defaults.cloud,
            arm_endpoint=getattr(args, "arm_endpoint", None),
            graph_endpoint=getattr(args, "graph_endpoint", None),
            concurrency=getattr(args, "concurrency", defaults.concurrency),
            timeout=getattr(args, "timeout", None),
            quiet=bool(getattr(args, "quiet", False)),
        )
    )


def endpoint(url: str, flag: str) -> str:
    """An https://host[:port] endpoint, without a trailing slash; BadInput otherwise."""
    fix = "pass an https URL such as https://management.azure.com"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise BadInput(f"{url!r} is not a URL ({exc})", where=flag, fix=fix) from None
    if parts.scheme.lower() != "https":
        raise BadInput(
            f"{url!r} is not an https URL: tokens are only sent over TLS", where=flag, fix=fix
        )
    if not parts.hostname or parts.query or parts.fragment or parts.username or parts.password:
        raise BadInput(f"{url!r} must be just https://host[:port]", where=flag, fix=fix)
    if parts.path not in ("", "/"):
        raise BadInput(f"{url!r} has a path; pass only https://host[:port]", where=flag, fix=fix)
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"https://{host}" + (f":{port}" if port else "")


def parse_hub(value: str, subscription: str | None, resource_group: str | None) -> HubRef:
    value = (value or "").strip()
    if value.startswith("/"):
        parsed = followable(value)
        if (
            parsed is None
            or parsed.type not in TARGET_TYPES
            or len(parsed.names) != TARGET_TYPES[parsed.type]
            or parsed.is_extension
        ):
            raise BadInput(
                f"{value!r} is not the ARM id of a hub, a Foundry resource or a Foundry project",
                where="--hub",
                fix="pass /subscriptions/<id>/resourceGroups/<group>/providers/"
                "Microsoft.MachineLearningServices/workspaces/<hub>, .../providers/"
                "Microsoft.CognitiveServices/accounts/<resource>[/projects/<project>], "
                "or just the name",
            )
        return HubRef(id=parsed.id)
    if not TARGET_NAME.match(value):
        raise BadInput(
            f"{value!r} is neither an ARM id nor a valid hub, Foundry resource or project name",
            where="--hub",
            fix="a name has 2-64 letters, digits, '-', '_' or '.' (a hub's 3-33)",
        )
    if subscription is not None and not GUID.match(subscription.strip()):
        raise BadInput(
            f"{subscription!r} is not a subscription id (a GUID)", where="--subscription"
        )
    if resource_group is not None and not RESOURCE_GROUP.match(resource_group.strip()):
        raise BadInput(
            f"{resource_group!r} is not a valid resource group name", where="--resource-group"
        )
    sub = subscription.strip().lower() if subscription else None
    group = resource_group.strip() if resource_group else None
    if sub and group:
        providers = f"/subscriptions/{sub}/resourceGroups/{group}/providers"
        account = f"{providers}/Microsoft.CognitiveServices/accounts/{value}"
        if not HUB_NAME.match(value):
            return HubRef(id=account)
        return HubRef(
            id=f"{providers}/Microsoft.MachineLearningServices/workspaces/{value}",
            fallback=account,
        )
    return HubRef(name=value, subscription=sub, resource_group=group)
