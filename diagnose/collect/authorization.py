"""Steps that list who may do what: role assignments, deny assignments and PIM eligibility.

Each is listed once per scope family, never per principal or per resource. A collection of
one hub or Foundry resource lists at each resource group that holds something that matters:
such a listing also returns what applies from above (the subscription, management groups, the
root), so nothing that applies there is missed, while the assignments in the subscription's
other resource groups (often most of a subscription's thousands) are never downloaded, and a
user who reads only those resource groups is not refused first. A scan of many hubs lists once
per subscription (Resource Graph serves most of it), falling back to each resource group when
that is refused. What a listing returns is kept only when it applies to a resource that matters
(see Relevance); the rest waits in `pending` until such a resource turns up. A kept assignment
brings in its role definition and its principal. Without directory rights, a principal's group
grants are listed with $filter=assignedTo('{id}') instead. Every listing goes through
azure-mgmt-authorization (sdk.py), its pages kept as Azure returned them.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from diagnose.arm.ids import followable
from diagnose.arm.scopes import scope_key
from diagnose.collect.clients import ApiError
from diagnose.collect.listings import ASSIGNMENTS, DENIES, LISTINGS, Listing
from diagnose.collect.scopes import ScopeReads
from diagnose.collect.shapes import ROLE_ASSIGNMENT, fits
from diagnose.collect.steps import Places, json_object


class _PendingIndex:
    """Where the pending items of one listing are: by their scope, plus the sorted list of
    those scopes, so that a resource that turns relevant finds what applies to it (at it,
    above it or below it) without going through every pending item: with thousands of
    unrelated assignments and a hundred projects, that scan was most of a collection's
    time. Also remembers the scope each item was listed at (where an odd one is reported)."""

    def __init__(self) -> None:
        self.at: dict[str, list[str]] = {}
        self.order: dict[str, int] = {}
        self.listed_at: dict[str, str] = {}
        self._sorted: list[str] = []
        self._unsorted = False
        self._next = 0
        self._parked: dict[str, list[tuple[int, str, str, str]]] = {}
        """Resource group key -> (order, id key, scope key, listed at) of the pending items inside
        a group that held nothing relevant when they were listed: indexed only once something
        in that group (or above every group) turns relevant, which for most never happens."""
        self._parked_shared: dict[str, list[_SharedPark]] = {}
        """The same for the items of a shared listing (SharedListing), by reference: a scan
        hub parks the other hubs' groups of its subscription's listing without going
        through their items."""

    def add(self, item_key: str, scope: str, listed_at: str = "") -> None:
        self.add_keyed([(item_key, scope_key(scope))], listed_at)

    def add_keyed(self, items: list[tuple[str, str]], listed_at: str) -> None:
        """add() for many (item key, scope key) pairs listed at one scope: the bookkeeping
        of a subscription's tens of thousands of unrelated items done in bulk."""
        numbered = zip(items, itertools.count(self._next))
        self._next += len(items)
        self.add_numbered(
            [(item_key, key, number) for (item_key, key), number in numbered], listed_at
        )

    def add_numbered(self, items: list[tuple[str, str, int]], listed_at: str) -> None:
        """add_keyed() with each item's place in the listing order given (next_place)."""
        order, at = self.order, self.at
        order.update((item_key, number) for item_key, _, number in items)
        self.listed_at.update(dict.fromkeys((item_key for item_key, _, _ in items), listed_at))
        for item_key, key, _ in items:
            found = at.get(key)
            if found is None:
                at[key] = found = []
                self._sorted.append(key)
                self._unsorted = True
            found.append(item_key)

    @property
    def next_place(self) -> int:
        """The place in the listing order of the next item added or parked."""
        return self._next

    @next_place.setter
    def next_place(self, place: int) -> None:
        self._next = place

    def park(self, group: str, entries: list[tuple[int, str, str, str]]) -> None:
        """Pending items inside a resource group (key) that holds nothing relevant:
        (place in the listing order, id key, scope key, scope listed at), indexed later."""
        self._parked.setdefault(group, []).extend(entries)

    def park_shared(self, group: str, park: _SharedPark) -> None:
        """park() for items of a shared listing, all inside the resource group `group`."""
        self._parked_shared.setdefault(group, []).append(park)

    def unpark(self, resource_id: str) -> None:
        """Index the parked items that may apply to this resource: those of its resource
        group, or every group's when it lies in none (a subscription)."""
        if not self._parked and not self._parked_shared:
            return
        key = scope_key(resource_id)
        parts = key.split("/", 5)
        if len(parts) >= 5 and parts[1] == "subscriptions" and parts[3] == "resourcegroups":
            groups = ["/".join(parts[:5])]
        else:
            groups = list({**self._parked, **self._parked_shared})
        for group in groups:
            parked = self._parked.pop(group, [])
            shared = self._parked_shared.pop(group, ())
            for park in shared:
                parked += [(n, i, k, park.listed_at) for i, k, n in park.numbered()]
            if shared:  # in the listing order, as they would have been indexed when listed
                parked.sort(key=lambda entry: entry[0])
            for number, item_key, key, listed_at in parked:
                self.add_numbered([(item_key, key, number)], listed_at)

    def candidates(self, resource_id: str) -> list[str]:
        """The items at, above or below this resource (some may have been kept since), in
        the order they were listed (those parked for it indexed first)."""
        self.unpark(resource_id)
        key = scope_key(resource_id)
        found: list[str] = []
        parts = key.split("/")
        for end in range(2, len(parts) + 1):
            found += self.at.get("/".join(parts[:end]), ())
        if self._unsorted:
            self._sorted.sort()
            self._unsorted = False
        below = key + "/"
        for position in range(bisect.bisect_left(self._sorted, below), len(self._sorted)):
            scope = self._sorted[position]
            if not scope.startswith(below):
                break
            found += self.at[scope]
        return sorted(set(found), key=self.order.__getitem__)


Entry = tuple[str, str, str | None, dict[str, Any]]
"""A listed item as _add_listed files it: (its id key, its scope key, the key of the resource
group its scope lies inside, or None, the item)."""


@dataclass(frozen=True)
class _SharedPark:
    """The pending items of a shared listing inside one resource group, parked by reference
    (_PendingIndex.park_shared)."""

    entries: list[Entry]
    """The whole listing's entries (Filing.entries)."""
    positions: list[int]
    """The positions of the group's items among them."""
    first: int
    """The place in the listing order of the listing's first item."""
    removed: list[int]
    """Positions (ascending) of the listing's items kept, not pending: no place of their own
    in the order, as if the listing had been filed item by item."""
    listed_at: str

    def numbered(self) -> list[tuple[str, str, int]]:
        """(id key, scope key, place in the listing order) of each item (add_numbered)."""
        entries, first, removed = self.entries, self.first, self.removed
        return [
            (entries[p][0], entries[p][1], first + p - bisect.bisect_left(removed, p))
            for p in self.positions
        ]


def prepare_listing(items: list[Any]) -> tuple[list[Entry], int]:
    """What each item of a listing is (its entry), and how many are odd (no id, no scope):
    worked out before taking the collection's lock, which every other step waits for (a
    subscription's listing can be tens of thousands of items), or once for every collector
    that reads the same listing (SharedListing)."""
    odd = 0
    entries: list[Entry] = []
    append, key_of = entries.append, scope_key
    for item in items:
        # _scope_of, inline: this loop runs once per item of a subscription's listing
        try:
            item_id, scope = item["id"], item["properties"]["scope"]
        except (KeyError, TypeError):
            odd += 1
            continue
        if (
            isinstance(item_id, str)
            and isinstance(scope, str)
            and scope.startswith("/")
            and isinstance(item, dict)
        ):
            key = key_of(scope)
            parts = key.split("/", 5)
            group = (
                key[: len(key) - len(parts[5]) - 1]
                if len(parts) == 6 and parts[1] == "subscriptions" and parts[3] == "resourcegroups"
                else None
            )
            append((item_id.lower(), key, group, item))
        else:
            odd += 1
    return entries, odd


@dataclass(frozen=True)
class Filing:
    """A shared listing as a collection that holds nothing of it yet files it (SharedListing):
    every item pending, in the listing's order, but for those in resource groups that hold
    something relevant (and those in no resource group), which it decides one by one."""

    entries: list[Entry]
    odd: int
    unique: bool
    """No item id is listed twice (else the item-by-item filing decides)."""
    pending: dict[str, dict[str, Any]]
    """Every entry's item by its id key, in the listing's order."""
    groups: dict[str, list[int]]
    """Resource group key -> the positions of the entries inside it."""
    ungrouped: list[int]
    """Positions of the entries in no resource group (a subscription, a management group)."""


def _filing(items: list[Any]) -> Filing:
    entries, odd = prepare_listing(items)
    groups: dict[str, list[int]] = {}
    ungrouped: list[int] = []
    for position, (_, _, group, _) in enumerate(entries):
        if group is None:
            ungrouped.append(position)
        else:
            groups.setdefault(group, []).append(position)
    pending = {item_key: item for item_key, _, _, item in entries}
    return Filing(
        entries,
        odd,
        len(pending) == len(entries),
        pending,
        groups,
        ungrouped,
    )


class SharedListing(list[Any]):
    """A listing that several collections read as it is (a scan's hubs of one subscription,
    served.py): how it is filed (Filing) is worked out once for all of them, not once per
    collection. A copy (`share()`) shares it; the items must not change meanwhile."""

    def __init__(self, items: Any = ()) -> None:
        super().__init__(items)
        self._filing: list[Filing] = []
        self._lock = threading.Lock()

    def filing(self) -> Filing:
        with self._lock:
            if not self._filing:
                self._filing.append(_filing(self))
            return self._filing[0]

    def __reduce__(self) -> tuple[Any, ...]:
        # Its items only (a lock does not pickle): a scan sends what it read to its worker
        # processes (scanworker.py), which work the filing out again for their own hubs.
        return (SharedListing, (list(self),))

    def share(self) -> SharedListing:
        """A list of its own for one reader, the filing shared."""
        copy = SharedListing(self)
        copy._filing, copy._lock = self._filing, self._lock
        return copy


class AuthorizationReads(ScopeReads):
    per_group = True
    """List at each resource group that matters (one hub's collection), not once per
    subscription (a scan's, where many hubs share one listing): see the module's note."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending_index = {listing.key: _PendingIndex() for listing in LISTINGS}
        self._assigned_to: dict[str, set[str]] = {}
        """Subscription -> the principals whose group grants are listed there (assignedTo)."""
        self._assigned_to_refused: set[str] = set()
        """Subscriptions whose assignedTo listing was refused: listed per resource group."""
        self._assigned_to_groups: set[tuple[str, str]] = set()
        self._groups_that_matter: set[str] = set()
        """Keys of the resource groups that hold something relevant (_relevant)."""
        self._early_errors: dict[str, list[dict[str, Any]]] = {}
        """Resource group key -> the errors entries of its listings made early (a project the
        hub names, list_group_early): recorded only once something there turns relevant. A
        group that never does (the project is another hub's now) held nothing to read."""

    def _leaves(self) -> tuple[Callable[..., Any], ...]:
        return (*super()._leaves(), self.list_assigned_to)

    def _abandoned(self, name: str, args: tuple[Any, ...]) -> Places:
        if name == "list_at_subscription":
            return [(f"/subscriptions/{args[1]}", args[0].operation)]
        if name == "list_at_group":
            if scope_key(args[1]) not in self._groups_that_matter:
                return []  # listed early, and nothing there turned relevant (lock held)
            return [(args[1], args[0].operation)]
        # list_assigned_to is best effort: the membership it stands in for is already unknown
        return super()._abandoned(name, args)

    def _relevant(self, wave: int, resource_id: str) -> None:
        """A resource matters: list its resource group's (or its subscription's)
        authorization data, once, and keep what was already listed that applies to it (lock
        held)."""
        if not self.relevance.add(resource_id):
            return
        parsed = followable(resource_id)
        if parsed is None:
            return
        subscription = parsed.subscription
        if subscription not in self.state.subscriptions:
            self.state.subscriptions[subscription] = None
            self.state.resource_groups[subscription] = {}
            if not self.per_group:
                for listing in LISTINGS:
                    for listing_filter in listing.filters:
                        self._submit(
                            wave + 1,
                            self.list_at_subscription,
                            listing,
                            subscription,
                            listing_filter,
                        )
            self._submit(wave + 1, self.read_subscription, subscription)
            for principal in self.directory.without_membership():
                self._want_assigned_to(wave, subscription, principal)
        groups = self.state.resource_groups[subscription]
        group_key = scope_key(parsed.resource_group_scope)
        if group_key not in groups:
            groups[group_key] = parsed.resource_group_scope
            self._groups_that_matter.add(group_key)
            self.state.errors += self._early_errors.pop(group_key, [])
            if subscription in self._assigned_to_refused:
                for principal in sorted(self._assigned_to.get(subscription, ())):
                    self._assigned_to_group_once(
                        wave, subscription, principal, parsed.resource_group_scope
                    )
            for listing in LISTINGS:
                if self.per_group or (listing.key, subscription) in self.state.refused:
                    self._list_group_once(wave, listing, parsed.resource_group_scope)
        for listing in LISTINGS:
            pending, index = self.state.pending[listing.key], self._pending_index[listing.key]
            odd: dict[str, int] = {}
            for item_id in [
                i
                for i in index.candidates(resource_id)
                if (item := pending.get(i)) is not None
                and (scope := _scope_of(item)) is not None
                and self.relevance.matches(scope, resource_id)
            ]:
                item = pending.pop(item_id)
                if fits(listing.shape, item):  # checked now that it is kept
                    self._keep(wave, listing, item)
                else:
                    odd[index.listed_at[item_id]] = odd.get(index.listed_at[item_id], 0) + 1
            for at, count in odd.items():
                self._odd_items(count, at, listing.operation, "item(s)")

    def list_group_early(self, wave: int, resource_id: Any) -> None:
        """A resource about to matter (a project its hub names, found by the next wave's
        listing): list its resource group's authorization data now (lock held). Nothing
        listed is kept until a resource turns relevant; the principals of what applies to the
        resource are then known a wave sooner, as a subscription-wide listing knew them."""
        parsed = followable(resource_id)
        if self.per_group and parsed is not None:
            for listing in LISTINGS:
                self._list_group_once(wave, listing, parsed.resource_group_scope)

    def _list(self, listing: Listing, scope: str, listing_filter: str | None) -> list[Any]:
        """Every item of one listing at a scope, through azure-mgmt-authorization."""
        sdk = self._sdk()
        operations = getattr(sdk.authorization(listing.api_version), listing.operations)
        return sdk.list_all(operations.list_for_scope, scope, listing_filter)

    def list_at_subscription(
        self, wave: int, listing: Listing, subscription: str, listing_filter: str | None
    ) -> None:
        scope = f"/subscriptions/{subscription}"
        try:
            items = self._list(listing, scope, listing_filter)
        except ApiError as exc:
            if exc.status != 403:  # busy, broken or out of time: asking per group won't help
                self._error(exc, scope, listing.operation)
                return
            # Refused (often: rights on a resource group only): list at each resource group
            # that matters instead; their listings include what applies from above.
            with self._lock:
                self.state.refused[(listing.key, subscription)] = exc.untraced()
                for group_scope in list(self.state.resource_groups[subscription].values()):
                    self._list_group_once(wave, listing, group_scope)
            return
        self._add_listed(wave, listing, items, scope)

    def _list_group_once(self, wave: int, listing: Listing, group_scope: str) -> None:
        marker = (listing.key, scope_key(group_scope))
        if marker not in self.state.group_listings:
            self.state.group_listings.add(marker)
            for listing_filter in listing.filters:
                self._submit(wave + 1, self.list_at_group, listing, group_scope, listing_filter)

    def list_at_group(
        self, wave: int, listing: Listing, group_scope: str, listing_filter: str | None
    ) -> None:
        try:
            items = self._list(listing, group_scope, listing_filter)
        except ApiError as exc:
            entry = exc.untraced().as_entry(group_scope, listing.operation)
            with self._lock:
                key = scope_key(group_scope)
                if key in self._groups_that_matter:
                    self.state.errors.append(entry)
                else:  # listed early: an error once something there matters (_relevant)
                    self._early_errors.setdefault(key, []).append(entry)
            return
        self._add_listed(wave, listing, items, group_scope)

    def _add_listed(self, wave: int, listing: Listing, items: list[Any], at: str) -> None:
        # What each item is (its id and scope keys) is worked out before taking the lock (or
        # once for every collection that reads the same listing). Whether one matters is
        # decided under it, where the relevant resources cannot change meanwhile.
        if not items:
            # Nothing to file or report, and no lock to take: most deny assignment and
            # eligibility listings (four of a scan hub's five listings) are empty.
            return
        shared = items.filing() if isinstance(items, SharedListing) else None
        entries, odd = (shared.entries, shared.odd) if shared else prepare_listing(items)
        with self._lock:
            kept, pending = self.state.kept[listing.key], self.state.pending[listing.key]
            if shared is not None and shared.unique and not kept and not pending:
                odd += self._file_fresh(wave, listing, shared, at)
            else:
                odd += self._file(wave, listing, entries, at)
        self._odd_items(odd, at, listing.operation, "item(s)")

    def _file(self, wave: int, listing: Listing, entries: list[Entry], at: str) -> int:
        """Keep what applies to a relevant resource, the rest pending (lock held). Returns
        how many were kept but odd (a shape the snapshot cannot hold)."""
        kept, pending = self.state.kept[listing.key], self.state.pending[listing.key]
        index = self._pending_index[listing.key]
        odd = 0
        keeps, keeps_key = self.relevance.keeper(), self.relevance.keeps_key
        # Whether a resource group holds nothing relevant, once per group: then no item
        # inside it is kept (most of a subscription's listing is such items), and it is
        # parked in the group, indexed only if something there turns relevant.
        unrelated: dict[str, list[tuple[int, str, str, str]] | None] = {}
        waiting: list[tuple[str, str, int]] = []
        number = index.next_place
        for item_key, key, group, item in entries:
            if item_key in kept or item_key in pending:
                continue
            if group is not None:
                if group in unrelated:
                    parked = unrelated[group]
                else:
                    parked = unrelated[group] = [] if not keeps_key(group) else None
                if parked is not None:
                    pending[item_key] = item  # its shape is checked if it is ever kept
                    parked.append((number, item_key, key, at))
                    number += 1
                    continue
            if not keeps(key):
                pending[item_key] = item
                waiting.append((item_key, key, number))
                number += 1
            elif fits(listing.shape, item):
                self._keep(wave, listing, item)
            else:
                odd += 1
        index.next_place = number
        index.add_numbered(waiting, at)
        for group, parked in unrelated.items():
            if parked:
                index.park(group, parked)
        return odd

    def _file_fresh(self, wave: int, listing: Listing, shared: Filing, at: str) -> int:
        """The loop of _add_listed for a shared listing of which nothing is kept or pending
        yet (lock held), with the same outcome: every item pending in the listing's order,
        then the items in the resource groups that hold something relevant (and those in
        none) decided one by one, in the listing's order. Returns how many were odd."""
        pending = self.state.pending[listing.key]
        pending.update(shared.pending)
        kept_groups = self.relevance.groups_kept(shared.groups)
        decide = list(shared.ungrouped)
        for group in kept_groups:
            decide += shared.groups[group]
        keeps, odd = self.relevance.keeper(), 0
        index = self._pending_index[listing.key]
        first = index.next_place
        # The place of a pending item in the order: after every pending item listed before
        # it (the kept ones have none), as when the listing was filed item by item.
        waiting: list[tuple[str, str, int]] = []
        removed: list[int] = []
        for position in sorted(decide):
            item_key, key, _, item = shared.entries[position]
            if not keeps(key):
                waiting.append((item_key, key, first + position - len(removed)))
                continue
            del pending[item_key]
            removed.append(position)
            if fits(listing.shape, item):
                self._keep(wave, listing, item)
            else:
                odd += 1
        index.add_numbered(waiting, at)
        # The other groups' items stay pending, parked as _file parks them (indexed only if
        # something in their group turns relevant), by reference: most of a scan hub's
        # subscription listing is the other hubs' groups, and going through their items
        # was most of its filing.
        for group, positions in shared.groups.items():
            if group not in kept_groups:
                index.park_shared(group, _SharedPark(shared.entries, positions, first, removed, at))
        index.next_place = first + len(shared.entries) - len(removed)
        return odd

    def _keep(self, wave: int, listing: Listing, item: dict[str, Any]) -> None:
        self.state.kept[listing.key][item["id"].lower()] = item
        properties = json_object(item.get("properties"))
        if listing is DENIES:
            # Whether a deny applies depends on memberships in the groups it names: those
            # groups matter as much as the ones that hold a role (groups.py).
            for field in ("principals", "excludePrincipals"):
                named = properties.get(field)
                for principal in named if isinstance(named, list) else []:
                    principal = json_object(principal)
                    if str(principal.get("type") or "").lower() == "group":
                        self.directory.named_group(wave, principal.get("id"))
            return
        self._want_role(wave, properties.get("roleDefinitionId"))
        self.directory.want(wave, properties.get("principalId"), properties.get("principalType"))

    # -- group grants without directory rights -------------------------------------------
    def list_assigned_to_everywhere(self, wave: int, principal: str) -> None:
        """The directory could not give this principal's groups: list the assignments that
        reach it through any group, in every subscription that matters (lock held)."""
        for subscription in self.state.subscriptions:
            self._want_assigned_to(wave, subscription, principal)

    def _want_assigned_to(self, wave: int, subscription: str, principal: str) -> None:
        """List a principal's group grants in a subscription, or at each of its resource
        groups that matter once the subscription's listing was refused (lock held)."""
        self._assigned_to.setdefault(subscription, set()).add(principal)
        if subscription not in self._assigned_to_refused:
            self._submit(wave + 1, self.list_assigned_to, subscription, principal)
            return
        for group_scope in list(self.state.resource_groups.get(subscription, {}).values()):
            self._assigned_to_group_once(wave, subscription, principal, group_scope)

    def _assigned_to_group_once(
        self, wave: int, subscription: str, principal: str, group_scope: str
    ) -> None:
        marker = (principal, scope_key(group_scope))
        if marker not in self._assigned_to_groups:
            self._assigned_to_groups.add(marker)
            self._submit(wave + 1, self.list_assigned_to, subscription, principal, group_scope)

    def list_assigned_to(
        self, wave: int, subscription: str, principal: str, group_scope: str | None = None
    ) -> None:
        scope = group_scope or f"/subscriptions/{subscription}"
        try:
            items = self._list(ASSIGNMENTS, scope, f"assignedTo('{principal}')")
        except ApiError as exc:
            if group_scope is None and exc.status == 403:
                # Refused (often: Reader on resource groups only, the minimum rights): at
                # each resource group that matters instead, whose listing includes what
                # applies there from above.
                with self._lock:
                    self._assigned_to_refused.add(subscription)
                    known = self.state.resource_groups.get(subscription, {})
                    for group in list(known.values()):
                        self._assigned_to_group_once(wave, subscription, principal, group)
            return  # best effort: the membership is already recorded as unreadable
        groups = {
            str(json_object(i.get("properties")).get("principalId", "")).lower()
            for i in items
            if fits(ROLE_ASSIGNMENT, i)
        } - {principal, ""}
        self.directory.add_assigned_groups(principal, groups)
        self._add_listed(wave, ASSIGNMENTS, items, scope)


def _scope_of(item: Any) -> str | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    properties = item.get("properties")
    scope = properties.get("scope") if isinstance(properties, dict) else None
    return scope if isinstance(scope, str) and scope.startswith("/") else None
