"""What every collection step shares: the state, the lock, the scheduler and the errors.

The Collector is built in layers, each a class over the one below, each a family of steps
(reads the Scheduler runs as soon as their input is known):

    steps.py          State, the lock, submitting a step, recording a failed read
    listings.py       (data) the three authorization listings State keeps
    scopes.py         role definitions and the subscription's management groups
    authorization.py  role assignments, deny assignments and PIM eligibility per scope
    collector.py      the walk: the hub, its projects, connections and dependencies
    foundry.py        the walk from a Foundry resource: projects, connections, deployments,
                      capability hosts, Cosmos DB accounts and their SQL RBAC (Azure SDKs)

A layer calls only what it or a layer below defines. All state lives in State behind one lock;
steps do their HTTP outside it. A failed read becomes an `errors` entry and the collection
goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from diagnose.collect.clients import ApiError, ArmClient
from diagnose.collect.directory import DirectoryReader
from diagnose.collect.listings import LISTINGS
from diagnose.collect.relevance import Relevance
from diagnose.collect.scheduler import LEAF, Scheduler
from diagnose.collect.shapes import RESOURCE, fits
from diagnose.secrets import scrub_json


@dataclass
class State:
    hub: dict[str, Any] | None = None
    account: dict[str, Any] | None = None
    """The Foundry resource, when the target is one (or one of its projects)."""
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    wanted: set[str] = field(default_factory=set)
    projects: set[str] = field(default_factory=set)
    subscriptions: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    resource_groups: dict[str, dict[str, str]] = field(default_factory=dict)
    """subscription -> {resource group key: resource group scope}."""
    refused: dict[tuple[str, str], ApiError] = field(default_factory=dict)
    """(listing key, subscription) -> why the subscription-wide listing failed."""
    group_listings: set[tuple[str, str]] = field(default_factory=set)
    pending: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {listing.key: {} for listing in LISTINGS}
    )
    kept: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {listing.key: {} for listing in LISTINGS}
    )
    role_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    wanted_roles: set[str] = field(default_factory=set)
    errors: list[dict[str, Any]] = field(default_factory=list)
    resolved_names: set[str] = field(default_factory=set)
    project_names: set[str] = field(default_factory=set)
    """Names of every project of the hub (or Foundry resource) seen, also those --project
    leaves out."""
    scrubbed: dict[int, dict[str, Any]] = field(default_factory=dict)
    """What Steps._scrubbed made, by identity (each object held here, so that its id is
    never another's): the assembly does not scrub these again (assemble.py). Such an object
    may change only by taking in values that were scrubbed too."""


Places = list[tuple[str, str]]
"""(scope, operation) pairs: the errors entries a step abandoned at the deadline writes."""


class Steps:
    """The plumbing every family of steps uses."""

    def __init__(self, arm: ArmClient, directory: DirectoryReader, scheduler: Scheduler) -> None:
        self.arm = arm
        self.directory = directory
        self.scheduler = scheduler
        self.state = State()
        self.relevance = Relevance()
        self._lock = threading.RLock()

    def _leaves(self) -> tuple[Callable[..., Any], ...]:
        """The steps that start no others worth waiting for: run first within their wave."""
        return (
            self.directory.read_groups,
            self.directory.list_members,
            self.directory.look_up_batch,
            self.directory.read_object,
            self.directory.find_first_party_app,
        )

    def _submit(self, wave: int, step: Callable[..., Any], *args: Any) -> None:
        leaf = step in self._leaves()
        self.scheduler.submit(wave, step, *args, priority=LEAF if leaf else 0)

    def _abandoned(self, name: str, args: tuple[Any, ...]) -> Places:
        """Where the step `name` would have recorded its own failure (each layer adds its
        steps): the errors entries it writes when the deadline abandons it."""
        return []

    def _scrubbed(self, item: dict[str, Any]) -> dict[str, Any]:
        """An ARM object as the snapshot keeps it: scrub_json in drop mode, credentials left
        out; noted in State.scrubbed, so that it is scrubbed once, not again at assembly."""
        clean: dict[str, Any] = scrub_json(item, drop=True)
        self.state.scrubbed[id(clean)] = clean
        return clean

    def _error(self, error: ApiError, scope: str, operation: str) -> None:
        with self._lock:
            self.state.errors.append(error.as_entry(scope, operation))

    def _resources_in(
        self, items: list[Any], scope: str, operation: str, what: str
    ) -> list[dict[str, Any]]:
        """The items of a list that are ARM resources; the others are dropped and said so
        (_odd_items). Takes the lock itself: call it without holding it."""
        kept = [item for item in items if fits(RESOURCE, item)]
        self._odd_items(len(items) - len(kept), scope, operation, what)
        return kept

    def _odd_items(self, count: int, scope: str, operation: str, what: str) -> None:
        """Items Azure returned in a shape the snapshot cannot hold: dropped, and said so."""
        if count:
            self._error(
                ApiError(
                    200,
                    "UnexpectedShape",
                    f"{count} {what} in the response had an unexpected shape and were left out",
                ),
                scope,
                operation,
            )


def json_object(value: Any) -> dict[str, Any]:
    """A JSON object from Azure, or {} when the value is anything else."""
    return value if isinstance(value, dict) else {}
