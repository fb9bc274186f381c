"""diagnose.engine.personas on its own: who is a reader, a builder, an administrator or a
service identity to a workspace, from the roles held there and above (GUIDE section 4, "people
are not all builders"), and what declarations (`--personas`) and focus (`--principal`) change.

Scenarios are the fixture generator's healthy hub (scripts/make_check_fixtures.py `base`) with
one principal added; the personas are computed from the model the engine builds.
"""

from __future__ import annotations

from typing import Any

from diagnose.engine.api import PrincipalRef
from diagnose.engine.personas import Declarations, Persona, Personas
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from diagnose.rbac.evaluator import Evaluator
from tests import arm
from tests.checks_support import fixture_generator, snapshot_of

G = fixture_generator()
FOUNDRY_AGENT_CONSUMER = "eed3b665-ab3a-47b6-8f48-c9382fb1dad6"
DEV = G.pid("test:dev")
OTHER = G.pid("test:other")
GRP_OUTER, GRP_INNER = G.pid("test:grp-outer"), G.pid("test:grp-inner")


def personas(fixture: Any, declarations: Declarations | None = None) -> Personas:
    model = Model(snapshot_of(fixture))
    return Personas(model, Evaluator(model.authorization), declarations)


def resource(found: Personas, resource_id: str) -> Resource:
    item = found.model.resource(resource_id)
    assert item is not None, resource_id
    return item


def with_user(fixture: Any, object_id: str, name: str, member_of: tuple[str, ...] = ()) -> None:
    fixture.principals[object_id] = arm.principal(object_id, "User", name, list(member_of))


def with_group(fixture: Any, object_id: str, name: str, member_of: tuple[str, ...] = ()) -> None:
    fixture.principals[object_id] = arm.principal(object_id, "Group", name, list(member_of))


def persona_of(fixture: Any, object_id: str, workspace: str, **kw: Any) -> Persona:
    found = personas(fixture, **kw)
    ref = PrincipalRef(object_id, str(fixture.principals[object_id]["type"]))
    return found.classify(ref, resource(found, workspace)).persona


def people_ids(found: Personas, workspace: str) -> dict[str, Persona]:
    return {c.principal.id: c.persona for c in found.people(resource(found, workspace))}


# -- hub workspaces ------------------------------------------------------------------------------
def test_a_custom_role_that_builds_makes_a_builder() -> None:
    f = G.base()
    with_user(f, DEV, "Dev")
    role = f.define(
        arm.custom_role(
            "Contoso Prompt Engineer",
            actions=[
                "Microsoft.MachineLearningServices/workspaces/*/read",
                "Microsoft.MachineLearningServices/workspaces/jobs/*",
            ],
        )
    )
    f.grant("dev/project/custom", G.PROJECT, DEV, role)
    assert persona_of(f, DEV, G.PROJECT) is Persona.BUILDER
    # judged from what the role grants, not from its name: a custom role that only reads is not
    reader = f.define(
        arm.custom_role(
            "Contoso AI Developer",  # a builder's name, a reader's actions
            actions=["Microsoft.MachineLearningServices/workspaces/*/read"],
        )
    )
    with_user(f, OTHER, "Other")
    f.grant("other/project/custom", G.PROJECT, OTHER, reader)
    assert persona_of(f, OTHER, G.PROJECT) is Persona.READER


def test_owner_on_the_project_builds_owner_at_the_resource_group_administers() -> None:
    f = G.base()
    with_user(f, DEV, "Dev")
    with_user(f, OTHER, "Other")
    f.grant("dev/project/owner", G.PROJECT, DEV, arm.OWNER)
    f.grant("other/rg/owner", G.RG, OTHER, arm.OWNER)
    found = personas(f)
    people = people_ids(found, G.PROJECT)
    assert people[DEV] is Persona.BUILDER
    assert people[OTHER] is Persona.ADMINISTRATOR
    evidence = next(
        c for c in found.people(resource(found, G.PROJECT)) if c.principal.id == OTHER
    ).evidence
    assert evidence[0].role_name == "Owner" and evidence[0].scope.lower() == G.RG.lower()


def test_owner_on_the_hub_administers_the_hub_and_its_projects() -> None:
    """No one builds in a hub itself: Owner there manages (its users are the projects'
    builders), while Azure AI Developer on the hub builds in the hub and its projects."""
    f = G.base()
    with_user(f, DEV, "Dev")
    with_user(f, OTHER, "Other")
    f.grant("dev/hub/owner", G.HUB, DEV, arm.OWNER)
    f.grant("other/hub/developer", G.HUB, OTHER, arm.AZURE_AI_DEVELOPER)
    found = personas(f)
    for workspace in (G.HUB, G.PROJECT):
        people = people_ids(found, workspace)
        assert people[DEV] is Persona.ADMINISTRATOR, workspace
        assert people[OTHER] is Persona.BUILDER, workspace


def test_azure_ai_developer_at_the_resource_group_builds() -> None:
    f = G.base()
    with_user(f, DEV, "Dev")
    f.grant("dev/rg/ai-developer", G.RG, DEV, arm.AZURE_AI_DEVELOPER)
    assert people_ids(personas(f), G.PROJECT)[DEV] is Persona.BUILDER


def test_reader_and_the_portal_hub_reader_are_readers() -> None:
    f = G.base()
    with_user(f, DEV, "Dev")
    f.grant("dev/project/reader", G.PROJECT, DEV, arm.READER)
    with_user(f, OTHER, "Other")
    f.grant("other/hub/reader", G.HUB, OTHER, arm.READER)
    found = personas(f)
    assert people_ids(found, G.PROJECT)[DEV] is Persona.READER
    assert people_ids(found, G.PROJECT)[OTHER] is Persona.READER
    assert people_ids(found, G.HUB)[OTHER] is Persona.READER


def test_nested_groups_carry_the_role_to_their_members() -> None:
    f = G.base()
    with_group(f, GRP_OUTER, "grp-outer")
    with_group(f, GRP_INNER, "grp-inner", (GRP_OUTER,))
    with_user(f, DEV, "Dev", (GRP_INNER, GRP_OUTER))
    f.grant("outer/project/ai-developer", G.PROJECT, GRP_OUTER, arm.AZURE_AI_DEVELOPER)
    f.grant("dev/hub/reader", G.HUB, DEV, arm.READER)  # the portal's, for project members
    found = personas(f)
    dev = next(c for c in found.people(resource(found, G.PROJECT)) if c.principal.id == DEV)
    assert dev.persona is Persona.BUILDER
    assert dev.evidence[0].role_name == "Azure AI Developer"
    assert GRP_OUTER in dev.evidence[0].via
    assert "through a group" in dev.reason


def test_a_managed_identity_is_a_service_identity_not_a_person() -> None:
    f = G.base()
    f.grant("project-mi/project/ai-developer", G.PROJECT, G.PROJECT_MI, arm.AZURE_AI_DEVELOPER)
    found = personas(f)
    assert G.PROJECT_MI not in people_ids(found, G.PROJECT)
    assert G.HUB_MI not in people_ids(found, G.HUB)
    assert found.service_identity(G.PROJECT_MI) is not None
    assert found.service_identity(G.ML_APP) == "the Azure Machine Learning first-party app"
    assert found.service_identity(G.ANA) is None


# -- Foundry -------------------------------------------------------------------------------------
def foundry_agent_consumer() -> dict[str, Any]:
    """Foundry Agent Consumer as the tenant lists it (the tool's catalog predates it): it only
    calls published agent endpoints."""
    role = arm.custom_role(
        "Foundry Agent Consumer",
        data_actions=["Microsoft.CognitiveServices/accounts/AIServices/endpoints/interact/action"],
        role_id=FOUNDRY_AGENT_CONSUMER,
        scopes=["/"],
    )
    role["properties"]["type"] = "BuiltInRole"
    return role


def test_foundry_roles() -> None:
    f = G.base(foundry=True)
    f.define(foundry_agent_consumer())
    who = {
        "owner": (G.pid("test:f-owner"), arm.FOUNDRY_ACCOUNT_OWNER, Persona.ADMINISTRATOR),
        "consumer": (G.pid("test:f-consumer"), FOUNDRY_AGENT_CONSUMER, Persona.READER),
        "reader": (G.pid("test:f-reader"), arm.READER, Persona.READER),
        "user": (G.pid("test:f-user"), arm.FOUNDRY_USER, Persona.BUILDER),
    }
    for name, (object_id, role, _) in who.items():
        with_user(f, object_id, name)
        f.grant(f"{name}/foundry", G.FOUNDRY, object_id, role)
    found = personas(f)
    people = people_ids(found, G.FOUNDRY_PROJECT)
    assert {name: people[object_id] for name, (object_id, _, _) in who.items()} == {
        name: expected for name, (_, _, expected) in who.items()
    }


# -- declarations and focus ----------------------------------------------------------------------
def test_a_group_declared_builder_makes_its_members_builders_an_own_declaration_wins() -> None:
    f = G.base()
    with_group(f, GRP_OUTER, "grp-outer")
    with_user(f, DEV, "Dev", (GRP_OUTER,))
    with_user(f, OTHER, "Other", (GRP_OUTER,))
    f.grant("dev/project/reader", G.PROJECT, DEV, arm.READER)
    f.grant("other/project/reader", G.PROJECT, OTHER, arm.READER)
    declared = Declarations(
        {GRP_OUTER: Persona.BUILDER, OTHER: Persona.READER}, source="--personas p.yaml"
    )
    found = personas(f, declared)
    people = {c.principal.id: c for c in found.people(resource(found, G.PROJECT))}
    assert people[DEV].persona is Persona.BUILDER
    assert people[DEV].declared == "--personas p.yaml"
    assert "declared by --personas p.yaml" in people[DEV].reason
    assert people[OTHER].persona is Persona.READER  # its own declaration beats its group's
    # Without the declarations both are readers: it is the declaration that made Dev a builder.
    assert people_ids(personas(f), G.PROJECT)[DEV] is Persona.READER


def test_focus_is_only_that_principal_as_a_builder_everywhere() -> None:
    f = G.base(foundry=True)
    with_user(f, DEV, "Dev")
    f.grant("dev/project/reader", G.PROJECT, DEV, arm.READER)
    focus = (PrincipalRef(DEV, "User", "Dev"),)
    found = personas(f, Declarations(focus=focus))
    assert found.focused
    for workspace in (G.HUB, G.PROJECT, G.FOUNDRY_PROJECT):
        people = found.people(resource(found, workspace))
        assert [(c.principal.id, c.persona, c.declared) for c in people] == [
            (DEV, Persona.BUILDER, "--principal")
        ], workspace


def test_the_sort_key_of_a_person_is_remembered_per_id_and_type() -> None:
    """Personas.order remembers each principal's key: the same id named with another type (a
    holder the snapshot's principals lack is a User by default) gets its own key, and every
    id its own place, as principal_order gives them."""
    from diagnose.engine.personas import Classification, principal_order

    f = G.base()
    with_user(f, DEV, "Dev")
    with_group(f, GRP_OUTER, "Outer")
    found = personas(f)
    directory = found.model.authorization.directory
    refs = [
        PrincipalRef(DEV, "User", "Dev"),
        PrincipalRef(DEV, "Group", "Dev"),
        PrincipalRef(GRP_OUTER, "Group", "Outer"),
        PrincipalRef(OTHER, "User"),
        PrincipalRef(DEV, "User", "Dev"),
    ]
    for ref in refs:
        item = Classification(ref, Persona.READER, ())
        assert found.order(item) == principal_order(ref, directory), ref
    keys = {found.order(Classification(r, Persona.READER, ())) for r in refs}
    assert len(keys) == 4


def test_a_workspaces_people_are_the_shared_people_with_its_own_put_in_their_places() -> None:
    """people() takes the people of the scopes a workspace shares with others (sorted once) and
    puts those the workspace itself may change (its holders, their groups' members) in their
    places: the list is exactly what sorting everyone again gives, each principal once, with
    the workspace's persona."""
    from diagnose.engine.personas import principal_order

    f = G.base()
    with_group(f, GRP_OUTER, "grp-outer")
    with_user(f, DEV, "Dev", (GRP_OUTER,))
    with_user(f, OTHER, "Other")
    extra = [G.pid(f"test:people-{i}") for i in range(6)]
    for index, object_id in enumerate(extra):
        with_user(f, object_id, f"User {index}", (GRP_OUTER,) if index % 2 else ())
        f.grant(f"extra-{index}/rg/reader", G.RG, object_id, arm.READER)
    f.grant("dev/rg/reader", G.RG, DEV, arm.READER)
    f.grant("other/rg/owner", G.RG, OTHER, arm.OWNER)
    f.grant("outer/project/ai-developer", G.PROJECT, GRP_OUTER, arm.AZURE_AI_DEVELOPER)
    f.grant("other/project/owner", G.PROJECT, OTHER, arm.OWNER)
    found = personas(f)
    directory = found.model.authorization.directory
    for workspace in (G.HUB, G.PROJECT):
        people = found.people(resource(found, workspace))
        ids = [c.principal.id for c in people]
        assert len(ids) == len(set(ids)), workspace
        assert people == sorted(people, key=lambda c: principal_order(c.principal, directory))
    project = people_ids(found, G.PROJECT)
    hub = people_ids(found, G.HUB)
    assert project[DEV] is project[OTHER] is Persona.BUILDER
    assert hub[DEV] is Persona.READER and hub[OTHER] is Persona.ADMINISTRATOR
    assert all(
        project[e] is (Persona.BUILDER if i % 2 else Persona.READER) for i, e in enumerate(extra)
    )
    assert GRP_OUTER in project and set(extra) <= set(hub)
