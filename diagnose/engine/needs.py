"""Needs (engine.api.Need) answered in bulk: who plainly holds an operation at a target, as a
set, so a need stated for thousands of people costs a few set operations, and a Requirement is
built and evaluated (Engine.shortfall) only for the people who may fall short.

A person is plainly met where requirements.evaluate would say MET without evidence:

- no deny assignment, nor a deny list that could not be read, reaches the target, and its
  management groups are known (Evaluator.plain_grants: then any unconditional grant makes
  decide() say ALLOWED);
- the person or one of its groups (Directory.members_of, the inverse of closure) holds an
  unconditional grant of every operation at the target or above;
- for every operation one such grant is old enough that _young_grants would not warn: ten
  minutes, twelve hours for a data action at a management group, and through a group 24 hours
  for a service principal (a grant between the two windows counts for the others only);
  a grant whose age cannot be compared with the snapshot's time sends everyone to the exact
  path;
- for a need of built-in roles only, the grant is a built-in role's.

Everyone else takes the exact path, so "plainly met" is never a guess, and a finding is always
the exact path's. The sets are kept per scope (a resource group's serves every target below
it) and per target, for one run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta

from diagnose.arm.scopes import level_of
from diagnose.byidentity import ByIdentity
from diagnose.engine.api import Need, Operation, Requirement
from diagnose.engine.personas import Classification
from diagnose.engine.requirements import (
    DATA_PROPAGATION_AT_MANAGEMENT_GROUP,
    GROUP_PROPAGATION_FOR_IDENTITIES,
    PROPAGATION,
    _parse,
)
from diagnose.model.authorization import Assignment
from diagnose.rbac.evaluator import Evaluator

Holders = tuple[frozenset[str], ...]
"""A set of principals kept as the union of its parts, never copied into one: a group of
thousands granted at each of hundreds of scopes is then its one cached members_of frozenset,
shared by every level and target, rather than thousands of insertions per level."""

Plain = tuple[Holders, Holders]
"""(who plainly holds the operation, who holds it only through a group grant too young for a
service principal: plainly met unless the principal is one). The second may name principals of
the first too: plainly_met asks the first before it."""

APART = 256
"""A group with at least this many members is kept as its own part of a level's holders; the
members of smaller ones are copied into the level's one part of its own (a few parts per target
keep plainly_met's intersections few)."""

Raw = tuple[frozenset[str], tuple[frozenset[str], ...], frozenset[str], tuple[frozenset[str], ...]]
"""A level's holders before they are made a Plain: (the principals and members of small groups
with an old enough grant, the members of big such groups, the members of small groups whose
grant is too young for a service principal, those of big ones). Each is a union over the
level's grants, so the grants of a level plus some more are the union of both's (Needs.derived)."""

MetNeed = tuple[frozenset[str], str, tuple[Operation, ...], bool]
"""Principals found met in bulk, with the scope, operations and built-in-only of their need:
the Engine's met keys (principal, scope, operations, built-in only) of many principals."""

FEW = 16
"""Up to this many users who may fall short are found by searching the list for each; more,
by one pass over it."""

_NOBODY: frozenset[str] = frozenset()


class _Incomparable(Exception):
    """A grant's creation time cannot be compared with the snapshot's (one is naive)."""


class Needs:
    """The needs of one run, answered in bulk over one evaluator's data."""

    def __init__(
        self, evaluator: Evaluator, collected_at: datetime | None, *, apart: int = APART
    ) -> None:
        self._evaluator = evaluator
        self._apart = apart
        self._collected_at = collected_at
        self._targets: dict[tuple[str, str, bool, bool], Plain | None] = {}
        self._levels: dict[tuple[str, str, bool, bool], Plain | None] = {}
        self._ages: dict[str | None, timedelta | None] = {}
        self._groups: dict[str, frozenset[str]] = {}
        # Checks state many needs with the same list (every connection of a hub shares its
        # users): what is worked out of a list is kept per list.
        self._ids: ByIdentity[tuple[frozenset[str], frozenset[str], list[str]]] = ByIdentity()
        self._interned: dict[frozenset[str], frozenset[str]] = {}
        self._spelled: set[str] = set()
        """Ids found spelled as the evaluator asks about them."""
        self._people: ByIdentity[frozenset[str]] = ByIdentity()
        self._met: dict[tuple[str, tuple[Operation, ...], bool], list[frozenset[str]]] = {}
        self._raw: dict[tuple[str, str, bool, bool], tuple[tuple[Assignment, ...], Raw]] = {}
        """Each level's grants and what _holders made of them (for a derived Needs)."""
        self._before: Needs | None = None

    def derived(self, evaluator: Evaluator, collected_at: datetime | None) -> Needs:
        """The Needs of a run on a copy of this one's data with role assignments added
        (a whole-plan round: Evaluator.derived): the same answers as Needs(evaluator,
        collected_at), with a level whose grants are this one's plus some more worked out
        from those more alone. What a level's holders are depends on its grants, the role
        definitions (built-in or not), the directory (members_of) and the snapshot's time: a
        copy with another directory, time, or a role of this one's defined otherwise gets a
        fresh start."""
        fresh = Needs(evaluator, collected_at, apart=self._apart)
        now, before = evaluator.authz, self._evaluator.authz
        if (
            collected_at != self._collected_at
            or now.directory is not before.directory
            or (
                now.roles is not before.roles
                and any(now.roles.get(k) is not v for k, v in before.roles.items())
            )
        ):
            return fresh
        fresh._before = self
        # pure functions of a creation time and of a group (same time, same directory)
        fresh._ages = self._ages
        fresh._groups = self._groups
        fresh._interned = self._interned  # a set -> the one kept of its equals
        return fresh

    def split(self, need: Need) -> tuple[int, list[Requirement]]:
        """How many of the need's users plainly hold it, and the Requirements of the others,
        in the users' order."""
        ids, every, order = self._ids_of(need.users)
        met = self.plainly_met(need, ids)
        if met:
            key = (need.target_scope, need.operations, need.builtin_roles_only)
            self._met.setdefault(key, []).append(met)
        if len(met) == len(every):
            return len(need.users), []
        users = need.users
        missing = every.difference(met)
        if len(missing) <= FEW:
            # Usually one or two of hundreds fall short: their places are found by the list's
            # own search (every place of each: a list may name a principal twice).
            places = sorted(_places(order, missing))
            rest = [stated(need, users[i]) for i in places]
        else:
            rest = [stated(need, u) for u, i in zip(users, order, strict=True) if i in missing]
        return len(users) - len(rest), rest

    @property
    def met(self) -> list[MetNeed]:
        """Who was found met in bulk (Engine.met_keys): one entry per scope, operations and
        built-in only, the ids of every need alike in one set (a hundred projects' builders
        asked the same of their account are one set, each id in it once)."""
        return [
            (sets[0] if len(sets) == 1 else frozenset().union(*sets), scope, operations, builtin)
            for (scope, operations, builtin), sets in self._met.items()
        ]

    def plainly_met(self, need: Need, ids: frozenset[str] | None = None) -> frozenset[str]:
        """The ids of the need's users who plainly hold every one of its operations."""
        met = self._ids_of(need.users)[0] if ids is None else ids
        applied: list[Holders] = []
        for operation in need.operations:
            if not met:
                break
            plain = self._target(need.target_scope, operation, need.builtin_roles_only)
            if plain is None:
                return _NOBODY
            anyone, not_services = plain
            if not not_services and any(_same(anyone, done) for done in applied):
                # The same holders as an operation already met (one role grants both): who
                # is left is among them already.
                continue
            found = _meet(met, anyone)
            if not_services:
                found |= _meet(met, not_services) & self._not_services(need.users)
            else:
                applied.append(anyone)
            met = found
        return met

    def _ids_of(
        self, users: Sequence[Classification]
    ) -> tuple[frozenset[str], frozenset[str], list[str]]:
        """The users' principal ids, less any not spelled as the evaluator asks about them
        (lower case, no spaces around: it normalises what it is asked, so a set would not
        speak of the same principal); all of them; and each user's id, in the users'
        order."""

        def ids() -> tuple[frozenset[str], frozenset[str], list[str]]:
            order = [user.principal.id for user in users]
            every = frozenset(order)
            # The same people recur in list after list: each id's spelling is judged once.
            fresh = every.difference(self._spelled)
            odd = [i for i in fresh if i != i.strip().lower()]
            self._spelled.update(fresh.difference(odd))
            return (every.difference(odd) if odd else every), every, order

        return self._ids.get((users,), ids)

    def known_ids(self, users: Sequence[Classification]) -> tuple[list[str], frozenset[str]] | None:
        """The users' principal ids in their order, and as a set (fewer when one is there
        twice), when this Needs has listed them (split, plainly_met) and every one is spelled as
        the evaluator asks about it (lower case, no spaces around); None otherwise. Nothing is
        worked out: a whole-plan round narrows the lists of the run before
        (diagnose.remediation.affected) from what that run read."""
        found = self._ids.peek((users,))
        if found is None or found[0] is not found[1]:
            return None
        return found[2], found[1]

    def _not_services(self, users: Sequence[Classification]) -> frozenset[str]:
        """The users whose principal is not a service principal (whose group grants apply
        within the ordinary window)."""
        return self._people.get(
            (users,),
            lambda: frozenset(
                u.principal.id for u in users if u.principal.type != "ServicePrincipal"
            ),
        )

    def _target(self, scope: str, operation: Operation, builtin_only: bool) -> Plain | None:
        """Who plainly holds the operation at a target (as a scope, as asked), None when no
        one can be told plainly."""
        key = (scope, operation.name, operation.data, builtin_only)
        if key in self._targets:
            return self._targets[key]
        found: Plain | None = None
        levels = self._evaluator.plain_grants(scope, operation.name, operation.data)
        if levels is not None:
            plains = [self._level(at, grants, operation, builtin_only) for at, grants in levels]
            if all(p is not None for p in plains):
                anyone = _parts(part for p in plains if p is not None for part in p[0])
                others = _parts(part for p in plains if p is not None for part in p[1])
                found = (anyone, others)
        self._targets[key] = found
        return found

    def _level(
        self, at: str, grants: tuple[Assignment, ...], operation: Operation, builtin_only: bool
    ) -> Plain | None:
        """Who plainly holds the operation through the grants made at one scope (at)."""
        key = (at, operation.name, operation.data, builtin_only)
        if key in self._levels:
            return self._levels[key]
        found: Plain | None
        try:
            raw = self._carried(key, grants, operation, builtin_only)
            if raw is None:
                raw = self._holders(at, grants, operation, builtin_only)
            self._raw[key] = (grants, raw)
            own, big_anyone, not_services, big_not_services = raw
            found = (
                _parts([own, *big_anyone]),
                _parts([not_services - own, *big_not_services]),
            )
        except _Incomparable:
            found = None
        self._levels[key] = found
        return found

    def _carried(
        self,
        key: tuple[str, str, bool, bool],
        grants: tuple[Assignment, ...],
        operation: Operation,
        builtin_only: bool,
    ) -> Raw | None:
        """The level's holders from those of the Needs this one is derived from, when the
        level's grants are all that one's and some more: only the more are looked at (a
        whole-plan round adds a few grants to levels of thousands). None: work them out."""
        before = self._before._raw.get(key) if self._before is not None else None
        if before is None:
            return None
        old = before[0]
        if grants is old:
            return before[1]
        assert self._before is not None
        added = self._evaluator.added_grants(
            self._before._evaluator, key[0], operation.name, operation.data, grants
        )
        if added is not None:  # the level's grants are the old ones and these
            if not added:
                return before[1]
            return self._joined(key, before[1], added, operation, builtin_only)
        # By identity: the copy shares the snapshot's assignments (with_assignments), and both
        # tuples are alive, so an id is one assignment. (Set operations on ids: a level has
        # thousands of grants; the order of the few more does not matter, as a union.)
        index = dict(zip(map(id, grants), grants, strict=True))
        known = set(map(id, old))
        if not index.keys() >= known:
            return None  # one is gone: work them out
        extra = tuple(index[i] for i in index.keys() - known)
        if not extra:
            return before[1]
        return self._joined(key, before[1], extra, operation, builtin_only)

    def _joined(
        self,
        key: tuple[str, str, bool, bool],
        raw: Raw,
        extra: tuple[Assignment, ...],
        operation: Operation,
        builtin_only: bool,
    ) -> Raw:
        """A level's holders (raw) with those of more grants (extra) at it."""
        own, big_anyone, not_services, big_not_services = raw
        more = self._holders(key[0], extra, operation, builtin_only)
        # The more's holders are parts of their own, not copied into the level's: a level's
        # own part holds thousands, a round adds a few (and the same few for each operation
        # the same roles grant: _holders interns them, so plainly_met still tells those apart).
        return (
            own,
            (*big_anyone, *((more[0],) if more[0] else ()), *more[1]),
            not_services,
            (*big_not_services, *((more[2],) if more[2] else ()), *more[3]),
        )

    def _holders(
        self, at: str, grants: tuple[Assignment, ...], operation: Operation, builtin_only: bool
    ) -> Raw:
        authz = self._evaluator.authz
        directory = authz.directory
        window = (
            DATA_PROPAGATION_AT_MANAGEMENT_GROUP
            if operation.data and level_of(at) == "management group"
            else PROPAGATION
        )
        anyone: set[str] = set()
        not_services: set[str] = set()
        big_anyone: list[frozenset[str]] = []
        big_not_services: list[frozenset[str]] = []
        # The same creation times and principals recur across levels and operations: each is
        # parsed, or looked up in the directory, once per run.
        ages = self._ages
        groups = self._groups
        for grant in grants:
            if builtin_only:
                role = authz.role(grant.role_id)
                if role is None or not role.builtin:
                    continue
            principal = grant.principal_id
            created = grant.created_on
            if created in ages:
                age = ages[created]
            else:
                age = ages[created] = self._age(created)
            if age is not None and age < window:
                continue  # too young for anyone: the exact path warns about it
            anyone.add(principal)
            members = groups.get(principal)
            if members is None:
                members = groups[principal] = directory.members_of(principal)
            if not members:
                continue
            old = age is None or age >= GROUP_PROPAGATION_FOR_IDENTITIES
            if len(members) >= self._apart:
                (big_anyone if old else big_not_services).append(members)
            elif old:
                anyone |= members
            else:
                not_services |= members
        # The same holders recur for each operation one role grants: kept as one set, so
        # plainly_met can tell they are the same.
        own = frozenset(anyone)
        own = self._interned.setdefault(own, own)
        return own, tuple(big_anyone), frozenset(not_services), tuple(big_not_services)

    def _age(self, created_on: str | None) -> timedelta | None:
        """How old a grant was when the snapshot was taken; None when that cannot be told
        (no snapshot time, no or an unreadable creation time), which _young_grants takes as
        old enough."""
        if self._collected_at is None:
            return None
        created = _parse(created_on)
        if created is None:
            return None
        try:
            return self._collected_at - created
        except TypeError as exc:  # the exact path would fail the same way: leave it to it
            raise _Incomparable from exc


def _parts(parts: Iterable[frozenset[str]]) -> Holders:
    """The non-empty parts, each once (a group's members_of is one cached frozenset)."""
    seen: dict[int, frozenset[str]] = {}
    for part in parts:
        if part:
            seen.setdefault(id(part), part)
    return tuple(seen.values())


def _same(one: Holders, other: Holders) -> bool:
    """Whether two holders are made of the very same parts."""
    return len(one) == len(other) and all(a is b for a, b in zip(one, other, strict=True))


def _meet(ids: frozenset[str], holders: Holders) -> frozenset[str]:
    """The ids among the holders: each part met on its own (a set intersection walks the
    smaller side, so a few users against a big group costs a few look-ups)."""
    if len(holders) == 1:
        return ids & holders[0]
    found: set[str] = set()
    for part in holders:
        found.update(ids & part)
    return frozenset(found)


def _places(order: list[str], ids: Iterable[str]) -> Iterator[int]:
    """Every place in `order` of each of the ids."""
    for found in ids:
        at = order.index(found)
        while True:
            yield at
            try:
                at = order.index(found, at + 1)
            except ValueError:
                break


def stated(need: Need, user: Classification) -> Requirement:
    """A user's Requirement, checked against its need: what was answered in bulk for the
    others must be what is evaluated for this one."""
    requirement = need.state(user)
    if (
        not isinstance(requirement, Requirement)
        or requirement.principal.id != user.principal.id
        or requirement.principal.type != user.principal.type
        or requirement.operations != need.operations
        or requirement.target_scope != need.target_scope
        or requirement.builtin_roles_only != need.builtin_roles_only
    ):
        raise TypeError(
            f"the state of a Need on {need.target_scope} gave {requirement!r} for "
            f"{user.principal.id}, not a Requirement of that principal with the need's scope, "
            "operations and built-in roles only"
        )
    return requirement
