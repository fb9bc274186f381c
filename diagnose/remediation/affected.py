"""What a round of the whole-plan check must compute again, and what it may take from the round
before (diagnose.remediation.whole_plan.converge).

A round applies the plan's steps to a copy of the snapshot and runs every check again. Most of
that work is the checks about people stating every requirement of every person (tens of
thousands in a large hub) when the round's new steps change the roles of a few. So:

- a round whose new steps are all role assignments, PIM activations, removals of assignments
  or Cosmos DB SQL role assignments (`touched`, PRINCIPAL_SCOPED) only changes what depends on
  those assignments; any other step (a setting, an identity, a custom role that replaces one
  of the snapshot's) makes the round a full one;
- the checks of PER_PERSON state what they ask of each person from that person's own roles:
  its persona at the workspaces whose people they enumerate (the assignments at the workspace
  and above it, for a hub project also at its hub) and the operations they test it for with
  `CheckContext.holds` (recorded in `Reads` while they run). A new assignment at a scope none
  of those reaches, or whose role grants none of the operations tested there, changes none of
  their outputs (`relevant`); a person none of whose groups (closure) gets a relevant one
  states exactly what it stated in the round before. Such a check runs with
  `CheckContext.only_principals` set to the affected people, and its outputs about everyone
  else are taken from the round before (`Outputs`); the engine then evaluates them all on the
  new copy, as a full run would (a requirement met before is kept as met only where no new
  assignment reaches its scope: `still_met`);
- what a check says about no principal (an `unknown` Draft, a warning that aggregates people,
  such as checks._people.key_path_warning) can depend on everyone: a check that says such a
  thing in the round before, or in the filtered run, runs in full, unless it works every such
  thing out from unfiltered data (SAID_OF_ALL); with no relevant assignment at all, its
  outputs are the round before's, whole;
- the checks of CONFIGURED ask only what the resources say services need: on a copy with the
  round before's resources, snapshot and directory, what they yielded then is taken whole;
- the engine's `unknown` finding about whom a check is about needs a snapshot with gaps in its
  role assignments: with any gap (Basis) every round is a full one;
- a Need (a requirement stated once for many people) is about each of its users: the round
  before's is kept for its users outside the affected set, the filtered run's for those in it
  (`_Narrowing`); an output of a kind this module does not know (neither a Requirement, a Need
  nor a Draft) counts as about everyone: its check runs in full, in SAID_OF_ALL too;
- the lists of a connection's users a check needs whole (CON002's key path warning, INS002)
  start from the round before's (CheckContext.before) less the affected principals, for the
  workspaces the PER_PERSON checks recorded; and the first run's RBAC answers and met
  requirements are kept wherever no changed assignment reaches them (`Reach`), and so are
  its personas (Personas.derived: a list of people no change is at, a classification no
  change reaches); on a copy with the first run's resources, what the checks worked out from
  the resources alone is the first run's too (CheckContext.share_resources).

Why each check of PER_PERSON qualifies (its output about one principal depends on no other
principal's roles), and why the others run in full:

- CON001, CON002, CON003 (checks._people.connection_requirements): one requirement per user of
  a connection and data need, from the user's persona (the strongest among the connection's
  places, or `sharedUserList` naming it) and the connection's configuration; CON002's key path
  warning aggregates the builders, from every user whatever the filter (SAID_OF_ALL);
- HUB001: per person and hub, its strongest persona among the projects, and for a reader
  whether it holds workspaces/read on the hub or the project (`holds`, recorded);
- HUB002: per builder and resource group;
- HUB003: per person of the hub (`holds` on the hub, recorded), then each eligible principal
  not asked already: whether it was asked is its own persona; eligibilities are not changed
  by any step (an activation adds an active assignment);
- FDY001: per person of a Foundry project, with the hub-era roles its closure holds at the
  project and its account (assignments at the workspace and above: persona scopes);
- FDY002: per builder, and whether it holds the agents data action on the project (`holds`);
- PFL001: per person, its strongest persona among the hub and its projects.

The identities these checks also ask about are found from the configuration, not from the
enumeration of people, so the filtered run states them too; outputs about a principal outside
the affected set are taken from the round before in every case. Every other check runs in
full: either it enumerates no people (services, settings, identities: little work), or its
output about one principal depends on others (INS002 asks the Log Analytics workspace only
when the connection has builders; AGT003 lists the consumers of a published agent; IDN002 looks
at every assignment of the snapshot).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence, Set
from dataclasses import dataclass
from itertools import compress
from typing import Any, overload

from diagnose.arm.scopes import scope_key
from diagnose.byidentity import ByIdentity
from diagnose.engine.api import CheckInfo, Draft, Need, Operation, RemediationKind, Requirement
from diagnose.engine.context import Before, CheckContext, Reads
from diagnose.engine.runner import BulkMet, Met, MetKey, RunResult
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from diagnose.model.roles import RoleDefinition, role_guid
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation.proof import definitions_for

PER_PERSON = frozenset(
    {"CON001", "CON002", "CON003", "HUB001", "HUB002", "HUB003", "FDY001", "FDY002", "PFL001"}
)
"""The checks whose output about one person depends only on that person's roles (see the
module's docstring): run for the affected people only."""

SAID_OF_ALL = frozenset({"CON002"})
"""The PER_PERSON checks whose every output about no principal is worked out from unfiltered
data: CON002's key path warning asks `connection_users_as(..., everyone=True)`, and its other
such outputs (a connection whose target or identity the snapshot lacks) come from the
configuration. Their filtered run states those outputs as a full run would: taken as they
are, in place of the round before's."""

CONFIGURED = frozenset({"NET001", "OYD002", "OYD003", "OYD005"})
"""The checks whose every output is worked out from the snapshot's resources (connections,
their targets, settings, identities), its target and its directory (the names of the
identities) alone: the needs of services' identities, never a role held or a person's
persona. A round on a copy with the same resources, snapshot and directory (every step a
change of role assignments: apply shares them) takes what they yielded in the round before;
the engine evaluates it on the copy as it would the check's. NET001: trusted-service
exceptions and bypasses between connected services; OYD002, OYD003, OYD005: the roles the
Azure OpenAI and Search identities need for On Your Data, vectorization and embeddings, from
the service pairs and the connections' names and metadata (checks._common, checks._services)."""

PRINCIPAL_SCOPED = frozenset(
    {
        RemediationKind.ROLE_ASSIGNMENT,
        RemediationKind.ACTIVATE_ELIGIBLE,
        RemediationKind.REMOVE_ASSIGNMENT,
        RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT,
    }
)
"""The steps whose whole effect is on what one principal holds. A Cosmos DB SQL role
assignment is a child resource of its account that nothing the PER_PERSON checks read looks
at: they ask the ARM evaluator (which knows nothing of Cosmos DB SQL roles), and every scan of
the snapshot's resources they make is for resources of other types, identities, hosts or
client ids, none of which such an assignment has. So it touches no assignment here; the
checks that do read them (AGT002) run in full every round."""

ADDING = (RemediationKind.ROLE_ASSIGNMENT, RemediationKind.ACTIVATE_ELIGIBLE)
"""The steps that add a role assignment once applied (as proof.assignments_for makes them)."""

Touched = dict[str, list[tuple[str, str]]]
"""Principal id (lower-case) -> (scope key, role id) of each assignment steps add to it or
remove from it."""


def touched(model: Model, fixes: Iterable[Any], *, only_roles: bool = True) -> Touched | None:
    """The assignments these steps add or remove, by principal; None when a step creates a
    custom role that replaces a definition the snapshot has, or (`only_roles`) does anything
    else than PRINCIPAL_SCOPED steps (a setting, an identity): what changes then is not a few
    principals'. only_roles=False: the other steps are left out (what the RBAC evaluator
    answers depends on role assignments and definitions only)."""
    fixes = list(fixes)
    if only_roles and any(fix.kind not in PRINCIPAL_SCOPED for fix in fixes):
        return None
    authorization = model.authorization
    for definition in definitions_for(fixes):
        role = RoleDefinition.from_arm(definition, "snapshot")
        known = authorization.role(role.id)
        if known is not None and known != role:
            return None
    found: Touched = {}
    removed = set()
    for fix in fixes:
        if fix.kind in ADDING and fix.role_definition_id and fix.principal_id and fix.scope:
            # what proof.assignments_for makes of it, without the assignment's name
            found.setdefault(fix.principal_id.lower(), []).append(
                (scope_key(fix.scope), role_guid(fix.role_definition_id))
            )
        elif fix.kind == RemediationKind.REMOVE_ASSIGNMENT and fix.resource:
            removed.add(fix.resource.lower())
    if removed:
        for assignment in authorization.assignments:
            if assignment.id.lower() in removed:
                found.setdefault(assignment.principal_id, []).append(
                    (assignment.scope_key, assignment.role_id)
                )
    return found


class Reach:
    """Whether changes to some principals' assignments reach what a principal holds at a scope:
    what it holds there depends only on the assignments of the principal and its groups
    (closure) at that scope and above (and on deny assignments and role definitions, which no
    step changes: a custom role a step creates is new, see `touched`). The scopes the changes reach
    for a principal are found once per principal, those above a scope once per scope."""

    def __init__(self, model: Model, changes: Touched) -> None:
        self._directory = model.authorization.directory
        self._tree = model.tree
        self.changes = changes
        self._scopes = {p: {scope for scope, _ in found} for p, found in changes.items()}
        self.scopes: frozenset[str] = frozenset().union(*self._scopes.values())
        """The scopes (keys) where the changes add or remove an assignment."""
        self.changed = frozenset(changes)
        self.touching = affected(self.changed, model)
        """The principals (lower-case ids) whose closure the changes touch at all."""
        self._reaching: dict[str, set[str]] = {}
        self._above: dict[str, tuple[str, ...]] = {}
        self._at: dict[str, tuple[set[str], list[frozenset[str]]]] | None = None
        """Scope key -> the principals changed there, and the members of each (Directory.
        members_of): who is reached at it."""
        self._reached: dict[str, tuple[Set[str], ...]] = {}

    def reaching(self, principal: str) -> Set[str]:
        """The scopes (keys) where the principal's closure gets or loses an assignment; most
        principals: none."""
        principal = principal.lower()
        if principal not in self.touching:
            return frozenset()
        at = self._reaching.get(principal)
        if at is None:
            via = self._directory.closure(principal).via
            at = self._reaching[principal] = set().union(
                *(self._scopes[g] for g in via if g in self._scopes)
            )
        return at

    def reached(self, scope: str) -> tuple[Set[str], ...]:
        """The principals (lower-case ids) whose answers at the scope the changes reach (those
        `keeps` says no of), as sets whose union they are: for each scope at or above it, the
        principals changed there and the members of each (Directory.members_of, the inverse of
        closure). References to sets the directory keeps anyway, never a union or a set per
        principal: a stripped hub's shared group reaches tens of thousands of people at each
        of thousands of scopes."""
        found = self._reached.get(scope)
        if found is None:
            if self._at is None:
                self._at = {}
                for principal, scopes in self._scopes.items():
                    members = self._directory.members_of(principal)
                    for at in scopes:
                        changed, groups = self._at.setdefault(at, (set(), []))
                        changed.add(principal)
                        if members:
                            groups.append(members)
            found = self._reached[scope] = tuple(
                part
                for key in self.above(scope)
                if key in self._at
                for part in (self._at[key][0], *self._at[key][1])
            )
        return found

    def __call__(self, principal: str, scope: str) -> bool:
        principal = principal.lower()
        if principal not in self.touching:
            return False
        at = self.reaching(principal)
        if not at:
            return False
        return not at.isdisjoint(self.above(scope))

    def above(self, scope: str) -> tuple[str, ...]:
        """The scope's key and those of the scopes above it (once per scope)."""
        found = self._above.get(scope)
        if found is None:
            found = self._above[scope] = self._tree.ancestors(scope_key(scope))
        return found

    def keeps(self, principal: str, scope: str) -> bool:
        """Whether an answer about the principal at the scope still holds."""
        return principal.lower() not in self.touching or not self(principal, scope)


def still_met(met: Iterable[MetKey] | Met, reach: Reach) -> frozenset[MetKey] | Met:
    """The requirements met in the first run that the changes cannot have touched (`reach`):
    one none of whose principal's closure gets (or loses) an assignment reaching its scope
    keeps its answer. A Met (Engine.met) gives a Met: its bulk sets less their ids reached."""
    if isinstance(met, Met):
        return Met(_still_met_keys(met.keys, reach), _still_met_in_bulk(met.bulk, reach))
    return _still_met_keys(met, reach)


def _still_met_keys(met: Iterable[MetKey], reach: Reach) -> frozenset[MetKey]:
    dropped = []
    reaching: dict[str, Set[str]] = {}  # by the id as the key spells it: one lookup a key
    above = reach.above
    for key in met:  # a hundred thousand in a large hub
        at = reaching.get(key[0])
        if at is None:
            at = reaching[key[0]] = reach.reaching(key[0])
        if at and not at.isdisjoint(above(key[1])):
            dropped.append(key)
    # A set less a few keeps the hashes it holds: the keys (with their operations, whose
    # hashes are computed in Python) are not hashed again here, nor by the engine's copy.
    kept = met if isinstance(met, frozenset) else frozenset(met)
    return kept.difference(dropped)


def _still_met_in_bulk(bulk: BulkMet, reach: Reach) -> BulkMet:
    """still_met of the keys of sets of ids met in bulk: a set less those reached at its scope
    (Reach.reached: lower-case ids, as a bulk set spells its ids, Needs._ids_of)."""
    kept: BulkMet = {}
    for key, ids in bulk.items():
        dropped: set[str] = set()
        for reached in reach.reached(key[0]):
            dropped.update(ids.intersection(reached))  # walks the smaller of the two
        kept[key] = ids.difference(dropped) if dropped else ids
    return kept


def relevant(changes: Touched, reads: Reads, model: Model, evaluator: Evaluator) -> frozenset[str]:
    """The principals whose new (or removed) assignments can change what the PER_PERSON checks
    state (see the module's docstring): one at or above a workspace whose people were
    enumerated (its persona there), or at or above a scope `holds` tested with a role that
    grants an operation tested there. An unknown role counts as granting everything."""
    tree = model.tree
    persona_scopes: set[str] = set()
    for key in reads.workspaces:
        persona_scopes.update(tree.ancestors(key))
        workspace = model.resource(key)
        hub = workspace.prop("hubResourceId") if workspace is not None else None
        if isinstance(hub, str) and hub:
            persona_scopes.update(tree.ancestors(scope_key(hub)))
    tested: dict[str, set[Operation]] = {}
    for scope, operation in reads.holds:
        for above in tree.ancestors(scope_key(scope)):
            tested.setdefault(above, set()).add(operation)
    authorization = model.authorization
    found = set()
    for principal, assignments in changes.items():
        for scope, role_id in assignments:
            if scope in persona_scopes:
                found.add(principal)
                break
            operations = tested.get(scope)
            if not operations:
                continue
            role = authorization.role(role_id)
            if role is None or any(
                evaluator.role_match(role, op.name, op.data).granted for op in operations
            ):
                found.add(principal)
                break
    return frozenset(found)


def affected(changed: frozenset[str], model: Model) -> frozenset[str]:
    """The principals at least one of whose closure (itself and its groups) is among `changed`:
    whom a check must be asked about again (lower-case ids). Those are the changed principals
    and their members (Directory.members_of, the inverse of closure, as Needs relies on too):
    found from the few changed, not by expanding the closure of everyone in the directory."""
    if not changed:
        return frozenset()
    changed = frozenset(p.lower() for p in changed)
    directory = model.authorization.directory
    return changed.union(*(directory.members_of(p) for p in changed))


Output = Requirement | Draft


EVERYONE = "*"
"""What an output of a kind this module does not know is taken to be about."""
MANY = "+"
"""What a Need is about: each of its users (see _narrowed)."""


def _about(output: object) -> str | None:
    """The principal an output is about (lower-case); None for one about no principal; MANY
    for a Need; EVERYONE for one of a kind this module does not know."""
    if type(output) is Need:
        return MANY
    if type(output) in _KNOWN:
        principal = output.principal  # type: ignore[attr-defined]
        return principal.id.lower() if principal is not None else None
    return EVERYONE


_KNOWN = (Requirement, Draft)


def _with_users(need: Need, users: Sequence[Any]) -> Need:
    """`dataclasses.replace(need, users=users)`, called thousands of times a round: the
    constructor straight (Need has no __post_init__ or InitVar for replace to honour;
    tests/test_narrowing_copy.py fails if its fields change)."""
    return Need(
        users, need.resource, need.operations, need.state, need.scope, need.builtin_roles_only
    )


class _Narrowing:
    """Needs narrowed to some of their users (by lower-case id). A need with no user left is
    stated for no one: the engine asks nothing of it. The lists are shared as the checks share
    them (every connection of a hub has the same users), so each list is narrowed once per
    filter, and the engine's bulk answer (engine.needs, keyed by list) once per list too.

    Every round narrows every need of every PER_PERSON check (a Foundry resource's hundred
    projects each list hundreds of people) to all but the few principals it affects, and those
    lists again to the few it asks about: so a list is looked at user by user once, where a
    check first lists it (`_Origin`), and a list narrowed from it is known as that list less
    some of its users, whose narrowing again costs the filter's size, not the list's."""

    def __init__(self) -> None:
        self._lists: ByIdentity[Sequence[Any]] = ByIdentity()
        self._origins: ByIdentity[_Origin | None] = ByIdentity()
        self.known: Callable[[Sequence[Any]], tuple[list[str], frozenset[str]] | None] = _unknown
        """A list's lower-case ids in its order, and as a set, when some run has them already
        (the first run's Needs.known_ids: the lists a round narrows first are those it split),
        else None."""

    def __call__(self, need: Need, keep: Set[str], inside: bool) -> Need:
        users = self._lists.get(
            (need.users, keep), lambda: self._narrow(need.users, keep, inside), inside
        )
        return need if len(users) == len(need.users) else _with_users(need, users)

    def _narrow(self, users: Sequence[Any], keep: Set[str], inside: bool) -> Sequence[Any]:
        """Those of `users` whose lower-case id is in `keep` (inside) or not (not inside), in
        their order."""
        origin = self._origins.get((users,), lambda: _Origin.of(users, self.known(users)))
        if origin is None:  # a principal listed twice: each user is looked at
            return [u for u in users if (u.principal.id.lower() in keep) is inside]
        hits = (origin.ids & keep) - origin.removed
        # Most of a round's filters keep a list whole, or none of it: the list itself then,
        # neither sorted again nor copied (each id is once in it, so as many hits as users
        # is every user).
        if not hits:
            return [] if inside else origin.users
        if len(hits) == len(origin.users):
            return origin.users if inside else []
        if inside:
            return [origin.root[i] for i in sorted(map(origin.positions.__getitem__, hits))]
        narrowed = origin.less(hits)
        self._origins.get((narrowed.users,), lambda: narrowed)
        return narrowed.users


FEW_REMOVED = 12
"""Up to this many users left out of a list, the list is copied a slice between each two of
them; more, through a mask (measured: the slices cost twice as much for a hundred)."""


def _unknown(users: Sequence[Any]) -> tuple[list[str], frozenset[str]] | None:
    return None


class _Origin:
    """A list of users as the list a check first gave (`root`) less the users whose ids are
    `removed`. `ids`: its users' lower-case ids, each there once; `order`: the same in the
    list's order, from which their positions are worked out only when users are picked out
    of it (most narrowings keep a list whole, or none of it)."""

    __slots__ = ("_positions", "ids", "order", "removed", "root", "users")

    def __init__(
        self,
        root: Sequence[Any],
        ids: frozenset[str],
        order: list[str],
        removed: frozenset[str],
        users: Sequence[Any],
        positions: list[dict[str, int]],
    ) -> None:
        self.root = root
        self.ids = ids
        self.order = order
        self.removed = removed
        self.users = users
        """The list itself (a _Less put together only when read, for a list less some users)."""
        self._positions = positions  # shared by every origin of the same root, once made

    @classmethod
    def of(
        cls, users: Sequence[Any], known: tuple[list[str], frozenset[str]] | None = None
    ) -> _Origin | None:
        """None when an id is in `users` twice. `known`: the users' ids in their order, each
        lower-case already, and as a set, when known (not looked at user by user again)."""
        if known is not None:
            order, ids = known
        else:
            order = [user.principal.id for user in users]
            spelled = "".join(order)
            if spelled != spelled.lower():  # not every id is lower-case (the directory's are)
                order = [i.lower() for i in order]
            ids = frozenset(order)
        if len(ids) != len(order):
            return None
        listed = users if type(users) is list else list(users)
        return cls(users, ids, order, frozenset(), listed, [])

    @property
    def positions(self) -> dict[str, int]:
        """Each user's lower-case id -> its position in `root`."""
        if not self._positions:
            self._positions.append(dict(zip(self.order, range(len(self.order)), strict=True)))
        return self._positions[0]

    def less(self, ids: Set[str]) -> _Origin:
        """This list less the users with these ids (each one of its users)."""
        removed = self.removed | ids
        users = _Less(self, removed)
        return _Origin(self.root, self.ids, self.order, removed, users, self._positions)


class _Less(Sequence[Any]):
    """A list less some of its users, put together only when read. Most lists a round leaves
    its affected principals out of are read by no one: the engine gets them narrowed to whom
    it asks (from their root, by _Narrowing), and the next round narrows them again by their
    _Origin, without their users."""

    __slots__ = ("_items", "_origin", "_removed")

    def __init__(self, origin: _Origin, removed: Set[str]) -> None:
        self._origin = origin
        self._removed = removed  # lower-case ids, each of one of root's users
        self._items: list[Any] | None = None

    def __len__(self) -> int:
        return len(self._origin.root) - len(self._removed)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        return self._list()[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._list())

    def _list(self) -> list[Any]:
        items = self._items
        if items is not None:
            return items
        root = self._origin.root
        if len(self._removed) <= FEW_REMOVED:  # the runs between them, a slice each
            items = []
            start = 0
            for i in sorted(map(self._origin.positions.__getitem__, self._removed)):
                items += root[start:i]
                start = i + 1
            items += root[start:]
        else:  # a round's hundred affected: one pass over the list, at C speed
            kept = bytearray(b"\x01") * len(root)
            for i in map(self._origin.positions.__getitem__, self._removed):
                kept[i] = 0
            items = list(compress(root, kept))
        self._items = items
        return items


@dataclass
class _Said:
    """What a check yielded in the last round it ran, with whom each output is about."""

    outputs: list[Any]
    about: list[str | None]
    anonymous: bool
    """Whether any output is about no principal."""
    unknown: bool = False
    """Whether any output is of a kind this module does not know: its check runs in full."""

    @classmethod
    def of(cls, outputs: list[Any]) -> _Said:
        about = [_about(o) for o in outputs]
        return cls(outputs, about, None in about, EVERYONE in about)


class Outputs:
    """What each PER_PERSON check yielded in the last round it ran, and what the runs of those
    checks read (`Reads`): the round before, for the next one. `wrap` gives the checks to run
    in one engine: a PER_PERSON check run in that engine's context (not in a proof's) yields
    the round before's outputs about everyone `affected` leaves out and its own about the
    rest, or runs in full when it must (see the module's docstring)."""

    def __init__(self) -> None:
        self.by_check: dict[str, _Said] = {}
        self.reads = Reads()
        self.full_runs: list[str] = []
        """The PER_PERSON checks that ran in full in a round that could have filtered them."""
        self._last: CheckContext | None = None
        """The context of the last round: where the next one may start from."""
        self._flagged: dict[str, set[str]] = {}
        """Check id -> whom its findings of the last round (observe) are about."""
        self.filtered: list[str] = []
        self._configured_outputs: dict[
            str, tuple[tuple[object, ...], list[Any], dict[str, Resource], bool]
        ] = {}
        """Check id (CONFIGURED) -> the resources, snapshot and directory it ran on, what it
        yielded, the resources it consulted and whether it asked about the creator."""
        self._narrowed = _Narrowing()
        """The PER_PERSON checks run for the affected principals only (or not at all)."""

    def wrap(
        self,
        checks: Iterable[CheckInfo],
        context: CheckContext,
        affected: frozenset[str] | None = None,
        touching: frozenset[str] | None = None,
    ) -> tuple[CheckInfo, ...]:
        """The checks to run in the engine whose context is `context`; `affected`: whom the
        round must ask again (lower-case ids; None: everyone, a full round); `touching`: the
        principals whose closure the round's new steps touch at all (whose requirements may
        be met or not as they were not; None: anyone's)."""
        if affected is not None and self._last is not None:
            context.before = Before(self._last, frozenset(self.reads.workspaces), affected)
        self._last = context
        plain = [getattr(info.run, "check", info) for info in checks]  # not wrapped twice
        return tuple(
            dataclasses.replace(info, run=self._runner(info, context, affected, touching))
            if info.id in PER_PERSON
            else dataclasses.replace(info, run=self._configured(info, context))
            if info.id in CONFIGURED
            else info
            for info in plain
        )

    def _configured(
        self, info: CheckInfo, context: CheckContext
    ) -> Callable[[CheckContext], Iterator[Any]]:
        """A check of CONFIGURED run in `context`: what it yielded on the same resources,
        snapshot and directory (and what it consulted, for the engine), else run and kept."""

        def run(ctx: CheckContext) -> Iterator[Any]:
            if ctx is not context:  # a proof runs the check on a patched copy: as it is
                return iter(info.run(ctx))
            basis = (ctx.model.resources, ctx.model.snapshot, ctx.directory)
            kept = self._configured_outputs.get(info.id)
            if kept is not None and all(a is b for a, b in zip(kept[0], basis, strict=True)):
                ctx.consulted.update(kept[2])
                ctx.asked_about_creator = kept[3]
                return iter(kept[1])
            outputs = list(info.run(ctx))
            self._configured_outputs[info.id] = (
                basis,
                outputs,
                dict(ctx.consulted),
                ctx.asked_about_creator,
            )
            return iter(outputs)

        run.check = info  # type: ignore[attr-defined]
        return run

    def lists_known(
        self, known: Callable[[Sequence[Any]], tuple[list[str], frozenset[str]] | None]
    ) -> None:
        """Where the lower-case ids of a list the checks gave may be found already, in its
        order and as a set (Needs.known_ids of the run whose outputs were recorded): the first
        round narrows those lists without looking at them user by user again."""
        self._narrowed.known = known

    @property
    def last(self) -> CheckContext | None:
        """The context of the last run wrapped (before any round: the first run's)."""
        return self._last

    def observe(self, result: RunResult) -> None:
        """Remember whom each check's findings of a round are about: a principal about whom a
        check said nothing (all its requirements met) and whose closure the next round's steps
        do not touch has every requirement met again; the engine need not be given them."""
        failed = {e.check_id for e in result.check_errors}
        found: dict[str, set[str]] = {c.id: set() for c in result.checks if c.id not in failed}
        for finding in result.findings:
            about = found.get(finding.check_id)
            if about is None:
                continue
            if finding.principal is not None:
                about.add(finding.principal.id.lower())
            about.update(a.id.lower() for a in finding.affected_principals)
        self._flagged = found

    def _runner(
        self,
        info: CheckInfo,
        context: CheckContext,
        affected: frozenset[str] | None,
        touching: frozenset[str] | None,
    ) -> Callable[[CheckContext], Iterator[Any]]:
        def run(ctx: CheckContext) -> Iterator[Any]:
            if ctx is not context:  # a proof runs the check on a patched copy: as it is
                return iter(info.run(ctx))
            said = self._outputs(info, ctx, affected)
            self.by_check[info.id] = said
            flagged = self._flagged.get(info.id)
            if flagged is None or touching is None:
                return iter(said.outputs)
            # what the engine would find met again, as in the round before, is left out
            asked = flagged | touching
            return iter(
                [
                    self._narrowed(o, asked, True) if p == MANY else o
                    for o, p in zip(said.outputs, said.about, strict=True)
                    if p is None or p in (EVERYONE, MANY) or p in asked
                ]
            )

        run.check = info  # type: ignore[attr-defined]
        return run

    def _outputs(
        self, info: CheckInfo, ctx: CheckContext, affected: frozenset[str] | None
    ) -> _Said:
        before = self.by_check.get(info.id)
        if affected is None or before is None:
            return self._full(info, ctx)
        if not affected:
            self.filtered.append(info.id)
            return before  # nothing any of them read has changed
        said_of_all = info.id in SAID_OF_ALL
        if before.unknown or (before.anonymous and not said_of_all):
            self.full_runs.append(info.id)
            return self._full(info, ctx)
        ctx.only_principals, ctx.reads = affected, self.reads
        try:
            found = _Said.of(list(info.run(ctx)))
        finally:
            ctx.only_principals = ctx.reads = None
        if found.unknown or (found.anonymous and not said_of_all):
            self.full_runs.append(info.id)
            return self._full(info, ctx)
        self.filtered.append(info.id)
        kept: list[tuple[Any, str | None]] = [
            (self._narrowed(o, affected, False) if p == MANY else o, p)
            for o, p in zip(before.outputs, before.about, strict=True)
            if p is not None and p not in affected
        ]
        kept += [
            (self._narrowed(o, affected, True) if p == MANY else o, p)
            for o, p in zip(found.outputs, found.about, strict=True)
            if p is None or p == MANY or p in affected
        ]
        about = [p for _, p in kept]
        return _Said([o for o, _ in kept], about, None in about)  # known kinds only

    def _full(self, info: CheckInfo, ctx: CheckContext) -> _Said:
        ctx.reads = self.reads
        try:
            return _Said.of(list(info.run(ctx)))
        finally:
            ctx.reads = None
