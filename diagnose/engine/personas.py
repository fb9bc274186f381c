"""Who a principal is to a workspace: a reader, a builder, an administrator or a service
identity, from the roles it holds there and above, and what that makes of a missing role.

Azure does not record what a person means to do; the roles held are the best evidence (the
seed's role tables are personas). A diagnosis that demands data roles of everyone near a hub
is noise, so the checks about people ask this module who the builders are:

- builder: holds, on the workspace or above (for a hub project also on its hub), a role that
  lets it work inside a project: one that grants the build operations without the right to
  manage the workspace itself (Azure AI Developer, AzureML Data Scientist), one that grants
  the Foundry data actions (Foundry User, Foundry Project Manager, Cognitive Services User), or
  a management role (Owner, Contributor, Azure AI Administrator) on the workspace itself (on a
  Foundry project itself also the hub-era Azure AI Developer, the wrong role for agents but a
  builder's intent);
- administrator: a management role above the workspace (resource group, subscription,
  management group, the hub of a project) or a role that manages without building (Foundry
  Account Owner): it can manage, and often does not call the services;
- reader: every other role (Reader, Foundry Agent Consumer, a data role alone, the portal's
  deployment role): nothing it lacks is a failure;
- service identity: the managed identity of a resource in the snapshot, or the Azure Machine
  Learning first-party app: what it needs is the business of the checks about services.

Personas are judged from what role definitions grant (the evaluator's matching), never from
their names, so custom roles are classified like built-in ones. An organisation may declare
its own personas (`--personas FILE`), which win over the inference, and a question about one
principal (`--principal P`) makes that principal a builder of every workspace in scope and
leaves everyone else out.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, Literal, Protocol

from diagnose.arm import types
from diagnose.arm.scopes import scope_key
from diagnose.bulk import fast_init
from diagnose.engine.api import PrincipalRef
from diagnose.model.authorization import Assignment
from diagnose.model.model import Model
from diagnose.model.principals import Directory
from diagnose.model.resources import Resource
from diagnose.rbac.evaluator import Evaluator

AZURE_ML_APP_ID = "0736f41a-0425-4b46-bdb5-1563eff02385"

# What working inside a workspace takes: hub-era workspaces are worked in with control-plane
# actions (jobs, flows, endpoints), Foundry projects with data actions.
_BUILD_HUB = ("Microsoft.MachineLearningServices/workspaces/jobs/write", False)
_BUILD_FOUNDRY = ("Microsoft.CognitiveServices/accounts/AIServices/agents/write", True)
# What managing it takes: writing the workspace (or account) itself, or granting access.
_MANAGE_HUB = ("Microsoft.MachineLearningServices/workspaces/write", False)
_MANAGE_FOUNDRY = ("Microsoft.CognitiveServices/accounts/write", False)
_GRANT_ACCESS = ("Microsoft.Authorization/roleAssignments/write", False)
# Foundry Account Owner: the docs' role to manage a Foundry resource (its condition lets it hand
# out only Foundry User, Agent Consumer and a few more): an administrator wherever assigned,
# unlike Owner or Contributor on a project itself, which the docs count as building there.
_FOUNDRY_ACCOUNT_OWNER = "e47c6f54-e4a2-4754-9501-8e0985b135e1"


FEW_AMONG = 8
"""Personas.people_among classifies this many principals or fewer itself at a workspace
whose people the personas it is derived from classified but the changes reach (a whole-plan
round asking a hundred projects about the one principal its new step names), rather than
classifying all the workspace's people again to pick them out."""


class Persona(StrEnum):
    """What a principal is to a workspace (the report's `persona`)."""

    READER = "reader"
    ADMINISTRATOR = "administrator"
    BUILDER = "builder"
    SERVICE_IDENTITY = "serviceIdentity"

    @property
    def rank(self) -> int:
        """Strength among the personas of people: a builder's needs include the others'."""
        return _RANK[self]

    @property
    def article(self) -> str:
        return "an" if self.value[0] in "ai" else "a"


_RANK = {
    Persona.SERVICE_IDENTITY: -1,
    Persona.READER: 0,
    Persona.ADMINISTRATOR: 1,
    Persona.BUILDER: 2,
}


@fast_init
@dataclass(frozen=True)
class PersonaEvidence:
    """A role assignment that made the persona (or the declaration that set it)."""

    role_name: str
    role_id: str
    scope: str
    via: tuple[str, ...] = ()
    """Group ids crossed from the principal to the group holding the role, outermost last."""
    declared: str | None = field(default=None, metadata={"omit_none": True})
    """Where the persona was declared instead (`--principal`, or the personas file)."""
    where: str = field(default="", compare=False, metadata={"json": False})
    """The scope in words ("project 'p1'"), for messages."""


@fast_init
@dataclass(frozen=True)
class Classification:
    """One principal's persona for one workspace, with its evidence."""

    principal: PrincipalRef = field(metadata={"json": False})
    persona: Persona
    evidence: tuple[PersonaEvidence, ...]
    declared: str | None = field(default=None, metadata={"omit_none": True})
    """Where the persona was declared (`--principal`, `--personas FILE`); None: inferred."""

    @cached_property
    def reason(self) -> str:
        """Why, in a phrase: "a builder (Azure AI Developer on project 'p1')"."""
        if self.declared:
            return f"{self.persona.article} {self.persona.value} (declared by {self.declared})"
        if not self.evidence:
            return f"{self.persona.article} {self.persona.value}"
        first = self.evidence[0]
        through = " through a group" if first.via else ""
        return (
            f"{self.persona.article} {self.persona.value} ({first.role_name} at "
            f"{first.where or _described(first.scope)}{through})"
        )

    @cached_property
    def subject(self) -> str:
        """How a requirement on this principal names who it is about: "user Ann, a builder
        (...),". Once per classification: thousands of requirements share it."""
        return f"{self.principal.label}, {self.reason},"


@dataclass(frozen=True)
class Declarations:
    """What the user said about personas, resolved to object ids."""

    personas: Mapping[str, Persona] = field(default_factory=dict)
    """Principal or group object id (lower-case) -> persona, from the personas file."""
    source: str = "the personas file"
    """How to name where they come from, e.g. "--personas personas.yaml"."""
    focus: tuple[PrincipalRef, ...] = ()
    """The principals of `--principal`: only their requirements, each as a builder."""


DECLARABLE = (Persona.READER, Persona.BUILDER, Persona.ADMINISTRATOR)


def parse_persona(value: object) -> Persona | None:
    """The persona a declaration names (case-insensitive), or None when it names none."""
    text = str(value).strip().lower() if isinstance(value, str) else ""
    return next((p for p in DECLARABLE if p.value == text), None)


class Personas:
    """The personas of one run. What a principal holds on a hub, or above a workspace, is the
    same for every workspace that shares that scope, so it is judged once per (principal,
    scopes); a workspace adds only the few principals holding a role on it directly or through
    a group."""

    def __init__(
        self, model: Model, evaluator: Evaluator, declarations: Declarations | None = None
    ) -> None:
        self.model = model
        self.evaluator = evaluator
        self.declarations = declarations or Declarations()
        self._people: dict[str, list[Classification]] = {}
        self._role_persona: dict[tuple[str, bool, bool], Persona] = {}
        self._services: dict[str, str] | None = None
        self._shared: dict[tuple[str, str, bool], tuple[Persona, tuple[PersonaEvidence, ...]]] = {}
        self._shared_holders: dict[str, dict[str, str | None]] = {}
        self._shared_people: dict[tuple[Any, ...], _SharedPeople] = {}
        self._orders: dict[str, tuple[str, int, str]] = {}
        self._lists: dict[int, str] = {}
        """id of a list people() gave -> its workspace's key (only() finds its split)."""
        self._only: dict[tuple[int, object], tuple[_SharedPeople, object, _Picked]] = {}
        self._splits: dict[str, _Split] = {}
        """Workspace key -> how people() made its list: the shared people, and the candidates
        it classified itself (Personas.strongest merges from these)."""
        self._scopes: dict[str, tuple[str, ...]] = {}
        """Workspace key -> _scopes_of it."""
        self._before: _Before | None = None
        """The personas of the model this one's is a copy of, with what changed (derived)."""
        self._where: dict[str, str] = {}
        """Scope (as an assignment states it) -> describe_scope of it on this model: evidence
        names the same few hundred scopes for thousands of people."""

    def derived(self, model: Model, evaluator: Evaluator, changes: Changes) -> Personas:
        """The personas of a copy of this model whose only changes are role assignments added
        or removed (`changes`), and perhaps new role definitions: the same answers as
        Personas(model, evaluator, declarations), with what the changes cannot reach taken
        from this one rather than judged again (a whole-plan round).

        A principal's persona at a workspace comes from the assignments of its closure at the
        workspace's scopes (the workspace, the scopes above it, for a hub project its hub),
        from the declarations, from what the roles of those assignments grant, and from
        whether it is a service identity or deleted (the resources and the directory); the
        people of a workspace are the holders at those scopes. So a list of people is this
        one's when no change is at its scopes, and a classification this one's when no change
        of its closure is (no Cosmos DB SQL role assignment is read: a copy that adds some has
        the same Model.resources_basis). A copy whose resources or directory differ, or that
        defines a role this one judged without its definition (or with another:
        affected.touched makes no Changes then), gets a fresh start."""
        fresh = Personas(model, evaluator, self.declarations)
        if (
            model.resources_basis is not self.model.resources_basis
            or model.tree is not self.model.tree
            or model.authorization.directory is not self.model.authorization.directory
            or self._redefined(model)
        ):
            return fresh
        fresh._before = _Before(self, changes)
        fresh._services = self._services
        fresh._orders = dict(self._orders)
        return fresh

    def _redefined(self, model: Model) -> bool:
        """Whether the copy defines a role this one judged (a role is judged by its
        definition: an assignment of a role the snapshot lacks makes a reader)."""
        now, before = model.authorization, self.model.authorization
        if now.roles is before.roles:
            return False
        judged = {key[0] for key in self._role_persona}
        return any(now.role(r) != before.role(r) for r in judged)

    @property
    def carried(self) -> bool:
        """Whether it starts from the personas of the model before some changes (derived):
        its lists of people are mostly those, and cost little."""
        return self._before is not None

    @property
    def focused(self) -> bool:
        return bool(self.declarations.focus)

    # -- who -------------------------------------------------------------------------------
    def people(self, workspace: Resource) -> list[Classification]:
        """Every principal other than a service identity that holds a role on the workspace or
        above it, with its persona there; with `--principal`, only the principals in focus,
        each a builder. Sorted by type, then as the snapshot lists them (Directory.rank)."""
        found = self._people.get(workspace.key)
        if found is None:
            self._make(workspace)
            found = self._people.get(workspace.key)
            if found is None:  # classified as a split: the list is put together once asked
                found = self._list_of(self._splits[workspace.key])
                self._keep(workspace.key, found)
        return found

    def _keep(self, key: str, people: list[Classification]) -> None:
        self._people[key] = people
        self._lists[id(people)] = key

    def _made(self, key: str) -> bool:
        """Whether the people of the workspace (by key) are classified: as a split (_Split),
        or in focus as a list."""
        return key in self._splits or key in self._people

    def _make(self, workspace: Resource) -> None:
        """Classify the people of a workspace unless done: their split, from which their list
        (people()), those of them with some personas (only, among), or a merge of several
        workspaces' (strongest, first) are made; in focus their list. Most workspaces' lists
        are never asked for whole (a project of a large hub lists thousands of people, most
        of them its hub's: hundreds of projects)."""
        key = workspace.key
        if self._made(key) or self._kept_people(workspace):
            return
        if self.declarations.focus:
            self._keep(key, self._in_focus(workspace))
        else:
            self._classify_all(workspace)

    def _kept_people(self, workspace: Resource) -> bool:
        """Whether the people the model before the changes had for the workspace are kept (their
        split, and their list when it was put together), because no change is at its scopes
        (see derived)."""
        before = self._before
        if before is None:
            return False
        key = workspace.key
        if not before.personas._made(key) or not before.untouched(self._scopes_of(workspace)):
            return False
        split = before.personas._splits.get(key)
        if split is not None:
            self._splits[key] = split
        old = before.personas._people.get(key)
        if old is not None:
            self._keep(key, old)
        return True

    def _list_of(self, split: _Split) -> list[Classification]:
        """The people of a workspace from its split: the shared people less those it classified
        itself, with its own put in their places (see _placed); the shared people's own list
        when it classified none (no role is held at the workspace itself)."""
        base = split.shared
        if not split.mine:
            return base.people
        # The shared people, sorted once, less the candidates, with those classified here put
        # in their places: as sorting them all again would order them (each key names its
        # principal, so the order is total), without a key per person per workspace.
        drop = sorted(base.places[c] for c in split.mine if c in base.places)
        return _placed(base.people, base.keys, drop, [(self.order(p), p) for p in split.own])

    def only(
        self, people: list[Classification], personas: frozenset[Persona]
    ) -> list[Classification]:
        """Those of a list of people who have one of these personas, in order. For a list
        people() gave, made from its shared people's (filtered once per set of shared scopes)
        and the few its workspace classified itself, not by walking it: each project of a
        large hub lists every reader of the hub."""
        return self._select(
            people, personas, None, lambda items: [p for p in items if p.persona in personas]
        )

    def only_of(self, workspace: Resource, personas: frozenset[Persona]) -> list[Classification]:
        """only(people(workspace), personas), without putting that list together."""
        self._make(workspace)
        split = self._splits.get(workspace.key)
        if split is None:
            return self.only(self.people(workspace), personas)
        return self._select_split(
            split, personas, None, lambda items: [p for p in items if p.persona in personas]
        )

    def among(
        self, people: list[Classification], principals: frozenset[str]
    ) -> list[Classification]:
        """Those of a list of people whose (lower-case) id is among these principals, in order,
        made as only() makes its lists: a whole-plan round asks about the same few in every
        project."""
        return self._select(
            people,
            id(principals),
            principals,
            lambda items: [p for p in items if p.principal.id.lower() in principals],
        )

    def _select(
        self,
        people: list[Classification],
        key: object,
        pinned: object,
        pick: Callable[[Iterable[Classification]], list[Classification]],
    ) -> list[Classification]:
        """pick(people), for a list people() gave from its shared people's pick (once per set
        of shared scopes and `key`; `pinned`: an object the memo keeps and checks, when `key`
        is its id) and its own."""
        workspace = self._lists.get(id(people))
        split = self._splits.get(workspace) if workspace is not None else None
        if split is None or self._people.get(workspace or "") is not people:
            return pick(people)
        return self._select_split(split, key, pinned, pick)

    def _select_split(
        self,
        split: _Split,
        key: object,
        pinned: object,
        pick: Callable[[Iterable[Classification]], list[Classification]],
    ) -> list[Classification]:
        """_select of the list a split makes, without that list."""
        memo = (id(split.shared), key)
        kept = self._only.get(memo)
        if kept is None or kept[0] is not split.shared or kept[1] is not pinned:
            kept = self._only[memo] = (
                split.shared,
                pinned,
                _Picked.of(pick(split.shared.people), self.order),
            )
        picked = kept[2]
        # the picked shared people less the workspace's own candidates, cut out by position
        # (a few of hundreds), each with its sort key
        found, keys = picked.less(split.mine)
        own = pick(split.own)
        if own:
            for person in own:
                index = bisect.bisect_left(keys, self.order(person))
                keys.insert(index, self.order(person))
                found.insert(index, person)
        return found

    def people_among(self, workspace: Resource, among: frozenset[str]) -> list[Classification]:
        """people(workspace) less every principal not in `among` (lower-case ids), each the
        same classification, without classifying the others when people() has not: a person
        of a workspace is one holding a role at the workspace or at a scope it shares (above
        it; for a hub project its hub) that is neither a service identity nor deleted, and its
        persona there is classify()'s. A holder the directory lacks takes its type from the
        assignments as people() finds it: for one of those, people() is asked."""
        if self._made(workspace.key) or self.declarations.focus:
            return self._among(workspace, among)
        before = self._before
        if (
            before is not None
            and before.personas._made(workspace.key)
            and (len(among) > FEW_AMONG or before.untouched(self._scopes_of(workspace)))
        ):
            return self._among(workspace, among)  # made from the list before: cheaper
        _, shared = self._split(workspace)
        scopes = {workspace.key, *(key for group in shared for key in group)}
        held = self.model.authorization.assignments_by_principal
        directory = self.model.authorization.directory
        people = []
        for principal_id in among:
            at = held.get(principal_id)
            if not at or scopes.isdisjoint(at) or self.service_identity(principal_id) is not None:
                continue
            entry = directory.get(principal_id)
            if entry is None:
                return self._among(workspace, among)
            if not entry.deleted:
                ref = PrincipalRef(entry.id, entry.type, entry.display_name)
                people.append(self.classify(ref, workspace))
        people.sort(key=self.order)
        return people

    def _among(self, workspace: Resource, among: frozenset[str]) -> list[Classification]:
        """among(people(workspace), among), without putting that list together."""
        self._make(workspace)
        split = self._splits.get(workspace.key)
        if split is None:
            return self.among(self.people(workspace), among)
        return self._select_split(
            split,
            id(among),
            among,
            lambda items: [p for p in items if p.principal.id.lower() in among],
        )

    def service_identity(self, principal_id: str) -> str | None:
        """How to name a principal that is a service identity ("the managed identity of ..."),
        or None for a person, group or application of the tenant."""
        if self._services is None:
            self._services = self._service_identities()
        return self._services.get(principal_id.lower())

    def classify(self, principal: PrincipalRef, workspace: Resource) -> Classification:
        """One principal's persona for a workspace (reader when it holds nothing there)."""
        declared = self._declared(principal.id)
        if declared is not None:
            return self._declared_as(principal, *declared)
        kept = self._kept_classification(principal, workspace)
        if kept is not None:
            return kept
        foundry = _is_foundry(workspace)
        own, shared = self._split(workspace)
        # A management role on a project itself makes a builder; on a hub or a Foundry account
        # (where no one builds) it makes an administrator, as anywhere above a project.
        project = (
            workspace.key
            if workspace.is_hub_project or (workspace.type == types.COGNITIVE_PROJECT)
            else None
        )
        persona, items = self._best(principal.id, own, foundry, project)
        return self._with_shared(principal, persona, self._evidence(items), shared, foundry)

    def _kept_classification(
        self, principal: PrincipalRef, workspace: Resource
    ) -> Classification | None:
        """The principal's classification at the workspace before the changes, when they do
        not reach it there and the list before holds it (see derived)."""
        before = self._before
        if before is None or not before.personas._made(workspace.key):
            return None
        if not before.reaches_none(principal.id, self._scopes_of(workspace)):
            return None
        found = before.personas.of(workspace, principal.id)
        return found if found is not None and found.principal == principal else None

    def _kept_own(
        self, workspace: Resource
    ) -> Callable[[str], Classification | Literal[False] | None] | None:
        """For a workspace the personas before the changes classified, a candidate's
        classification there before when the changes do not reach it there and the directory
        names it (so that its reference is the same): False when it was no person (a service
        identity, or deleted), None when it must be classified again."""
        before = self._before
        split = before.personas._splits.get(workspace.key) if before is not None else None
        if before is None or split is None:  # a split is made (_made)
            return None
        scopes = self._scopes_of(workspace)
        directory = self.model.authorization.directory

        def kept(principal_id: str) -> Classification | Literal[False] | None:
            if principal_id not in split.mine or directory.get(principal_id) is None:
                return None
            if not before.reaches_none(principal_id, scopes):
                return None
            return split.own_by_id.get(principal_id, False)

        return kept

    def _scopes_of(self, workspace: Resource) -> tuple[str, ...]:
        """Every scope whose assignments make a workspace's people (see _split)."""
        found = self._scopes.get(workspace.key)
        if found is None:
            own, shared = self._split(workspace)
            found = self._scopes[workspace.key] = (*own, *(s for group in shared for s in group))
        return found

    def strongest_of(self, lists: Iterable[Iterable[Classification]]) -> list[Classification]:
        """Each person of these lists once, with its strongest persona among them (of equals,
        the first list's), sorted as people() sorts: lists of a few people each."""
        best: dict[str, Classification] = {}
        for people in lists:
            for person in people:
                known = best.get(person.principal.id)
                if known is None or _RANK[person.persona] > _RANK[known.persona]:
                    best[person.principal.id] = person
        return sorted(best.values(), key=self.order)

    def strongest(self, workspaces: list[Resource]) -> list[Classification]:
        """Each person of these workspaces once, with its strongest persona among them (of
        equals, the first workspace's), sorted as people() sorts: who uses a hub connection
        shared with every project. Merged from what the workspaces share (their people at the
        shared scopes, classified once per set of those) and the few people each classifies
        itself, rather than person by person in every workspace: a large hub has thousands of
        people in each of hundreds of projects."""
        for workspace in workspaces:
            self._make(workspace)
        splits = [self._splits.get(w.key) for w in workspaces]
        best: dict[str, tuple[int, int, Classification]] = {}  # id -> (rank, index, persona)

        def offer(person: Classification, index: int) -> None:
            known = best.get(person.principal.id)
            rank = _RANK[person.persona]
            if known is None or rank > known[0] or (rank == known[0] and index < known[1]):
                best[person.principal.id] = (rank, index, person)

        made = [split for split in splits if split is not None]
        if len(made) < len(splits):  # in focus: a few people each, merged as listed
            return self.strongest_of([self.people(w) for w in workspaces])
        shared: dict[int, tuple[_SharedPeople, list[int]]] = {}
        for index, split in enumerate(made):
            shared.setdefault(id(split.shared), (split.shared, []))[1].append(index)
        for base, indexes in shared.values():
            # Where a person first appears as the shared scopes make it: the first of these
            # workspaces that does not classify it itself (almost always the first of them).
            first, mine = indexes[0], made[indexes[0]].mine
            for person in base.people:
                principal = person.principal.id
                if principal not in mine:
                    offer(person, first)
                    continue
                later = [i for i in indexes if principal not in made[i].mine]
                if later:
                    offer(person, later[0])
        for index, split in enumerate(made):
            for person in split.own:
                offer(person, index)
        return sorted((entry[2] for entry in best.values()), key=self.order)

    def first(
        self, workspaces: list[Resource], personas: frozenset[Persona]
    ) -> dict[str, tuple[int, Classification]]:
        """Each person who has one of these personas in one of the workspaces: the index of
        the first workspace where it has, with its classification there. As walking every
        workspace's people in order would find it, but from what they share and what each
        classifies itself (see strongest)."""
        for workspace in workspaces:
            self._make(workspace)
        splits = [self._splits.get(w.key) for w in workspaces]
        found: dict[str, tuple[int, Classification]] = {}
        made = [split for split in splits if split is not None]
        if len(made) < len(splits):  # in focus: a few people each
            for index, people in enumerate([self.people(w) for w in workspaces]):
                for person in people:
                    if person.persona in personas:
                        found.setdefault(person.principal.id, (index, person))
            return found
        shared: dict[int, tuple[_SharedPeople, list[int]]] = {}
        for index, split in enumerate(made):
            shared.setdefault(id(split.shared), (split.shared, []))[1].append(index)
        for base, indexes in shared.values():
            for person in base.people:
                if person.persona not in personas:
                    continue
                principal = person.principal.id
                where = next((i for i in indexes if principal not in made[i].mine), None)
                known = found.get(principal)
                if where is not None and (known is None or where < known[0]):
                    found[principal] = (where, person)
        for index, split in enumerate(made):
            for person in split.own:
                known = found.get(person.principal.id)
                if person.persona in personas and (known is None or index < known[0]):
                    found[person.principal.id] = (index, person)
        return found

    def of(self, workspace: Resource, principal_id: str) -> Classification | None:
        """A principal's classification among the people of a workspace (None when it is not
        one of them), without walking the list."""
        self._make(workspace)
        split = self._splits.get(workspace.key)
        if split is None:
            people = self.people(workspace)
            return next((p for p in people if p.principal.id == principal_id), None)
        if principal_id in split.mine:
            return split.own_by_id.get(principal_id)
        index = split.shared.places.get(principal_id)
        return None if index is None else split.shared.people[index]

    def order(self, item: Classification) -> tuple[str, int, str]:
        """How people are sorted: by type, then as the snapshot lists them (not by name or id,
        which redaction changes: see Directory.rank). Remembered per principal id and type:
        the people of every workspace are sorted, a quarter of a million keys in a large hub."""
        principal = item.principal
        found = self._orders.get(principal.id)
        if found is None or found[0] != principal.type:
            found = self._orders[principal.id] = principal_order(
                principal, self.model.authorization.directory
            )
        return found

    # -- internals -------------------------------------------------------------------------
    def _in_focus(self, workspace: Resource) -> list[Classification]:
        """The people of a workspace in focus: the principals in focus, each a builder."""
        return [
            Classification(
                ref,
                Persona.BUILDER,
                (PersonaEvidence("", "", workspace.id, declared="--principal"),),
                "--principal",
            )
            for ref in self.declarations.focus
        ]

    def _classify_all(self, workspace: Resource) -> None:
        """The split of a workspace's people (_Split): who it shares, who it classifies."""
        _, shared = self._split(workspace)
        base = self._people_of_shared(shared, _is_foundry(workspace))
        own_holders = {
            a.principal_id: a.principal_type
            for a in self.model.authorization.assignments_by_scope.get(workspace.key, ())
        }
        if not own_holders:
            self._splits[workspace.key] = _Split(base, frozenset(), ())
            return
        # Those whose persona the workspace may change: its holders and their groups' members.
        candidates = dict(own_holders)
        for holder in own_holders:
            for member in base.members_of.get(holder, ()):
                candidates.setdefault(member, None)
        own = []
        kept = self._kept_own(workspace)
        for principal_id, kind in candidates.items():
            item = kept(principal_id) if kept is not None else None
            if item is None:
                ref = self._person(principal_id, kind)
                item = self.classify(ref, workspace) if ref is not None else None
            if item is not False and item is not None:
                own.append(item)
        self._splits[workspace.key] = _Split(base, frozenset(candidates), tuple(own))

    def _people_of_shared(
        self, shared: tuple[tuple[str, ...], ...], foundry: bool
    ) -> _SharedPeople:
        """The people holding a role at the shared scopes, each with the persona those give,
        and which of them belong to which group: once per set of shared scopes."""
        key = (tuple(scopes[0] for scopes in shared), foundry)
        found = self._shared_people.get(key)
        if found is not None:
            return found
        before = self._before
        if before is not None and before.untouched(scope for group in shared for scope in group):
            found = before.personas._shared_people.get(key)
            if found is not None:
                self._shared_people[key] = found
                return found
        holders: dict[str, str | None] = {}
        for scopes in shared:
            for principal_id, kind in self._holders(scopes).items():
                holders.setdefault(principal_id, kind)
        people = []
        members_of: dict[str, list[str]] = {}
        directory = self.model.authorization.directory
        for principal_id, kind in holders.items():
            ref = self._person(principal_id, kind)
            if ref is None:
                continue
            declared = self._declared(principal_id)
            if declared is not None:
                people.append(self._declared_as(ref, *declared))
            else:
                people.append(self._with_shared(ref, Persona.READER, (), shared, foundry))
            for group in directory.closure(principal_id).via:
                if group != principal_id:
                    members_of.setdefault(group, []).append(principal_id)
        people.sort(key=self.order)
        found = _SharedPeople(
            people,
            members_of,
            [self.order(c) for c in people],
            {c.principal.id: index for index, c in enumerate(people)},
        )
        self._shared_people[key] = found
        return found

    def _person(self, principal_id: str, kind: str | None) -> PrincipalRef | None:
        """A holder as a person to classify; None for a service identity or a principal
        confirmed deleted."""
        if self.service_identity(principal_id) is not None:
            return None
        entry = self.model.authorization.directory.get(principal_id)
        if entry is None:
            return PrincipalRef(principal_id, kind or "User")
        if entry.deleted:
            return None
        return PrincipalRef(entry.id, entry.type, entry.display_name)

    def _with_shared(
        self,
        principal: PrincipalRef,
        persona: Persona,
        evidence: tuple[PersonaEvidence, ...],
        shared: tuple[tuple[str, ...], ...],
        foundry: bool,
    ) -> Classification:
        for scopes in shared:
            key = (principal.id, scopes[0], foundry)
            found = self._shared.get(key)
            if found is None and self._before is not None:
                found = self._before.shared(key, scopes)
                if found is not None:
                    self._shared[key] = found
            if found is None:
                best, items = self._best(principal.id, scopes, foundry, None)
                found = self._shared[key] = (best, self._evidence(items))
            if not found[1]:
                continue
            if not evidence or _RANK[found[0]] > _RANK[persona]:
                persona, evidence = found
            elif found[0] is persona:
                evidence = (evidence + found[1])[:3]
        return Classification(principal, persona, evidence)

    def _declared_as(self, principal: PrincipalRef, persona: Persona, where: str) -> Classification:
        return Classification(
            principal, persona, (PersonaEvidence("", "", "", declared=where),), where
        )

    def _holders(self, scopes: tuple[str, ...]) -> dict[str, str | None]:
        """Who holds a role at these scopes, once per group of scopes."""
        found = self._shared_holders.get(scopes[0])
        if found is None and self._before is not None and self._before.untouched(scopes):
            found = self._before.personas._shared_holders.get(scopes[0])
            if found is not None:
                self._shared_holders[scopes[0]] = found
        if found is None:
            found = {}
            for scope in scopes:
                for assignment in self.model.authorization.assignments_by_scope.get(scope, ()):
                    found.setdefault(assignment.principal_id, assignment.principal_type)
            self._shared_holders[scopes[0]] = found
        return found

    def _split(self, workspace: Resource) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
        """(the workspace itself; the groups of scopes other workspaces share: for a hub
        project its hub, then every scope above the workspace)."""
        chain = self.model.tree.ancestors(workspace.key)
        shared: list[tuple[str, ...]] = []
        if workspace.is_hub_project:
            hub = scope_key(str(workspace.prop("hubResourceId") or ""))
            if hub and hub not in chain:
                shared.append((hub,))
        if len(chain) > 1:
            shared.append(chain[1:])
        return (workspace.key,), tuple(shared)

    def _best(
        self, principal_id: str, scopes: tuple[str, ...], foundry: bool, workspace: str | None
    ) -> tuple[Persona, list[tuple[Assignment, tuple[str, ...]]]]:
        """The strongest persona the principal's roles at these scopes give (directly and
        through its groups), and the assignments that give it."""
        best = Persona.READER
        items: list[tuple[Assignment, tuple[str, ...]]] = []
        for assignment, via in self.model.authorization.held_at(principal_id, scopes):
            persona = self._persona_of_role(
                assignment.role_id, foundry, on_workspace=assignment.scope_key == workspace
            )
            if _RANK[persona] > _RANK[best]:
                best, items = persona, [(assignment, via)]
            elif persona is best:
                items.append((assignment, via))
        return best, items

    def _evidence(
        self, items: list[tuple[Assignment, tuple[str, ...]]]
    ) -> tuple[PersonaEvidence, ...]:
        """The first three assignments that made a persona, as evidence."""
        from diagnose.engine.context import describe_scope  # context builds on this module

        found = []
        for assignment, via in items[:3]:
            role = self.model.authorization.role(assignment.role_id)
            where = self._where.get(assignment.scope)
            if where is None:
                where = self._where[assignment.scope] = describe_scope(
                    assignment.scope, self.model.resource(assignment.scope)
                )
            found.append(
                PersonaEvidence(
                    role.name if role is not None else assignment.role_id,
                    assignment.role_id,
                    assignment.scope,
                    via,
                    where=where,
                )
            )
        return tuple(found)

    def _persona_of_role(self, role_id: str, foundry: bool, *, on_workspace: bool) -> Persona:
        key = (role_id, foundry, on_workspace)
        found = self._role_persona.get(key)
        if found is None:
            found = self._role_persona[key] = self._judge_role(role_id, foundry, on_workspace)
        return found

    def _judge_role(self, role_id: str, foundry: bool, on_workspace: bool) -> Persona:
        def grants(operation: tuple[str, bool]) -> bool:
            role = self.model.authorization.role(role_id)
            if role is None:
                return False
            match = self.evaluator.role_match(role, operation[0], operation[1])
            return match.granted and not match.condition

        if foundry:
            if grants(_BUILD_FOUNDRY):
                return Persona.BUILDER  # data actions are granted to use them
            manages = grants(_MANAGE_FOUNDRY) or grants(_GRANT_ACCESS)
            if (
                on_workspace
                and (manages or grants(_BUILD_HUB))
                and role_id != _FOUNDRY_ACCOUNT_OWNER
            ):
                # Owner or Contributor on the project itself, or the hub-era Azure AI Developer
                # there: meant to build in it, whether or not the role lets them (FDY001).
                return Persona.BUILDER
            return Persona.ADMINISTRATOR if manages else Persona.READER
        builds = grants(_BUILD_HUB)
        manages = grants(_MANAGE_HUB) or grants(_GRANT_ACCESS)
        if builds and not manages:
            return Persona.BUILDER
        if builds:
            return Persona.BUILDER if on_workspace else Persona.ADMINISTRATOR
        return Persona.ADMINISTRATOR if manages else Persona.READER

    def _declared(self, principal_id: str) -> tuple[Persona, str] | None:
        """The declared persona of a principal: its own, else the strongest declared for a
        group it belongs to (a declared builder group makes its members builders)."""
        declared = self.declarations.personas
        if not declared:
            return None
        own = declared.get(principal_id)
        if own is not None:
            return own, self.declarations.source
        closure = self.model.authorization.directory.closure(principal_id)
        groups = [declared[g] for g in closure.via if g in declared]
        if not groups:
            return None
        return max(groups, key=lambda p: p.rank), self.declarations.source

    def _service_identities(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for resource in self.model.resources.values():
            # Most resources have no identity: system_principal_id (None without a principal
            # id) is worked out only for those that name one.
            system = (
                resource.identity.system_principal_id if resource.identity.principal_id else None
            )
            if system:
                found.setdefault(system, f"the managed identity of {resource.type} {resource.name}")
            for resource_id, principal_id in resource.identity.user_assigned.items():
                if principal_id:
                    found.setdefault(
                        principal_id.lower(),
                        f"the user-assigned identity {resource_id.rsplit('/', 1)[-1]}",
                    )
            if resource.type == types.USER_ASSIGNED_IDENTITY and resource.prop("principalId"):
                found.setdefault(
                    str(resource.prop("principalId")).lower(),
                    f"the user-assigned identity {resource.name}",
                )
        for entry in self.model.authorization.directory.principals.values():
            kind = str(entry.raw.get("servicePrincipalType") or "").lower()
            if kind == "managedidentity":
                found.setdefault(entry.id, f"the managed identity {entry.display_name or entry.id}")
            elif str(entry.raw.get("appId") or "").lower() == AZURE_ML_APP_ID:
                found.setdefault(entry.id, "the Azure Machine Learning first-party app")
        return found


class Changes(Protocol):
    """Role assignments added to a model or removed from it, for Personas.derived
    (diagnose.remediation.affected.Reach)."""

    @property
    def scopes(self) -> frozenset[str]:
        """The scopes (keys) where an assignment was added or removed."""

    def reaching(self, principal: str) -> Set[str]:
        """The scopes (keys) where the principal's closure (itself and its groups) gets or
        loses an assignment."""


@dataclass(frozen=True)
class _Before:
    """The personas of the model a copy was made from, and what changed (Personas.derived)."""

    personas: Personas
    changes: Changes

    def untouched(self, scopes: Iterable[str]) -> bool:
        """Whether no assignment was added or removed at any of these scopes."""
        return self.changes.scopes.isdisjoint(scopes)

    def reaches_none(self, principal: str, scopes: Iterable[str]) -> bool:
        """Whether the changes reach what the principal holds at none of these scopes."""
        return self.changes.reaching(principal).isdisjoint(scopes)

    def shared(
        self, key: tuple[str, str, bool], scopes: tuple[str, ...]
    ) -> tuple[Persona, tuple[PersonaEvidence, ...]] | None:
        """What the principal's roles at a group of shared scopes (key: principal, the first
        of them, foundry) gave before, when the changes reach it at none of them."""
        found = self.personas._shared.get(key)
        return found if found is not None and self.reaches_none(key[0], scopes) else None


@dataclass(frozen=True)
class _SharedPeople:
    people: list[Classification]
    """Sorted as people() sorts."""
    members_of: dict[str, list[str]]
    """Group id -> the holders in `people` that belong to it (directly or nested)."""
    keys: list[tuple[str, int, str]]
    """The sort key (Personas.order) of each of `people`, in the same order."""
    places: dict[str, int]
    """Principal id -> its index in `people`."""


@dataclass(frozen=True)
class _Picked:
    """Some of a _SharedPeople's people (Personas.only, among), in its order, with their sort
    keys and where each principal is among them: the people of each workspace sharing them
    are these less a few, with a few of its own put in their places (Personas._select)."""

    people: list[Classification]
    keys: list[tuple[str, int, str]]
    places: dict[str, list[int]]
    """Principal id -> its indexes in `people`."""

    @classmethod
    def of(
        cls,
        people: list[Classification],
        order: Callable[[Classification], tuple[str, int, str]],
    ) -> _Picked:
        places: dict[str, list[int]] = {}
        for index, person in enumerate(people):
            places.setdefault(person.principal.id, []).append(index)
        return cls(people, [order(p) for p in people], places)

    def less(self, principals: Set[str]) -> tuple[list[Classification], list[tuple[str, int, str]]]:
        """The people (new list) whose principal is not among these ids, and their keys."""
        drop = sorted(i for p in principals for i in self.places.get(p, ()))
        if not drop:
            return list(self.people), list(self.keys)
        people: list[Classification] = []
        keys: list[tuple[str, int, str]] = []
        start = 0
        for i in drop:
            people += self.people[start:i]
            keys += self.keys[start:i]
            start = i + 1
        people += self.people[start:]
        keys += self.keys[start:]
        return people, keys


@dataclass(frozen=True)
class _Split:
    """How people() made a workspace's list: the people of its shared scopes, less those it
    classified itself (`mine`, whether or not they are people), plus those (`own`)."""

    shared: _SharedPeople
    mine: frozenset[str]
    own: tuple[Classification, ...]

    @cached_property
    def own_by_id(self) -> dict[str, Classification]:
        """`own` by principal id (a hub's own people are thousands)."""
        return {p.principal.id: p for p in self.own}


def _placed(
    people: list[Classification],
    keys: list[tuple[str, int, str]],
    drop: list[int],
    own: list[tuple[tuple[str, int, str], Classification]],
) -> list[Classification]:
    """A new list: `people` (sorted, `keys` their sort keys) less the positions `drop`
    (ascending), with each of `own` (its sort key, the person) put in its place, as deleting
    those positions and then inserting each of `own` in turn at bisect_left of its key would
    (a later one before an earlier one of an equal key): in one pass of slices, not a move of
    the whole list per person (a project of a large hub lists thousands of people and
    classifies a few dozen itself; hundreds of projects)."""
    # -number: of equal places and keys, the later first; each number differs, so the
    # persons themselves are never compared
    placed = sorted(
        (bisect.bisect_left(keys, key), key, -number, person)
        for number, (key, person) in enumerate(own)
    )
    found: list[Classification] = []
    start = 0
    cuts = iter(drop)
    cut = next(cuts, None)
    for index, _, _, person in placed:
        while cut is not None and cut < index:
            found += people[start:cut]
            start = cut + 1
            cut = next(cuts, None)
        found += people[start:index]
        start = max(start, index)
        found.append(person)
    while cut is not None:
        found += people[start:cut]
        start = cut + 1
        cut = next(cuts, None)
    found += people[start:]
    return found


def _is_foundry(workspace: Resource) -> bool:
    return workspace.type in (types.COGNITIVE_PROJECT, types.COGNITIVE_ACCOUNT)


def _described(scope: str) -> str:
    from diagnose.engine.context import describe_scope  # context builds on this module

    return describe_scope(scope)


def principal_order(principal: PrincipalRef, directory: Directory) -> tuple[str, int, str]:
    """The order of principals wherever one is picked over another or they are listed: by type,
    then by their place in the snapshot (Directory.rank), which redaction keeps."""
    return (principal.type, directory.rank(principal.id), principal.id)
