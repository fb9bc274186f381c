"""diagnose.arm.ids: one grammar for every ARM id, checked against the parsers it replaced.

tests/old_arm_parsers.py keeps the collector's, the fix languages' and the scope checker's old
parsers verbatim: on every id of the fixtures, and on generated ids and garbage, the new module
reads what they read, except where a test below names the difference and why it is a fix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from diagnose.arm import types
from diagnose.arm.ids import (
    GUID,
    Level,
    ProviderPart,
    ResourceId,
    build,
    followable,
    last_segment,
    leading_scope,
    management_group_id,
    parse,
)
from diagnose.remediation.targets import target_of
from tests import arm
from tests import old_arm_parsers as old

ROOT_DIR = Path(__file__).resolve().parent.parent
SUB = arm.SUB
RG = arm.RG
SA = f"{RG}/providers/Microsoft.Storage/storageAccounts/sthub"
USAGES = f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/eastus/usages"


def _strings(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _strings(key, found)
            _strings(item, found)
    elif isinstance(value, list):
        for item in value:
            _strings(item, found)
    elif isinstance(value, str) and value.startswith("/"):
        found.add(value)


def fixture_ids() -> list[str]:
    """Every string starting with '/' in the fixtures and the demo: ids of resources,
    assignments, role definitions, scopes, collections, and Graph paths that are no ids."""
    found: set[str] = set()
    for path in [
        *sorted((ROOT_DIR / "fixtures").rglob("*.json")),
        ROOT_DIR / "diagnose" / "demo" / "demo_hub.json",
    ]:
        _strings(json.loads(path.read_text(encoding="utf-8")), found)
    return sorted(found)


FIXTURE_IDS = fixture_ids()


def parsed_id(text: str) -> ResourceId:
    found = parse(text)
    assert found is not None, text
    return found


def test_the_fixtures_hold_every_shape_of_id() -> None:
    levels = {parsed.level for parsed in map(parse, FIXTURE_IDS) if parsed is not None}
    assert levels == set(Level)
    assert len(FIXTURE_IDS) > 300
    assert any(parse(i) is None for i in FIXTURE_IDS)  # Graph paths are no ARM ids


# -- reading ids ------------------------------------------------------------------------------


def test_a_nested_resource_keeps_its_case_and_parts() -> None:
    parsed = parse(
        f"/subscriptions/{SUB}/resourcegroups/RG-AI/providers/"
        "microsoft.cognitiveservices/accounts/A/projects/P/"
    )
    assert parsed == ResourceId(
        SUB,
        "RG-AI",
        (ProviderPart("microsoft.cognitiveservices", ("accounts", "projects"), ("A", "P")),),
    )
    assert (parsed.level, parsed.type, parsed.type_key, parsed.name) == (
        Level.RESOURCE,
        "microsoft.cognitiveservices/accounts/projects",
        types.COGNITIVE_PROJECT,
        "P",
    )
    assert build(parsed) == (
        f"/subscriptions/{SUB}/resourceGroups/RG-AI/providers/"
        "microsoft.cognitiveservices/accounts/A/projects/P"
    )
    assert parsed.parent == parse(
        f"{RG.replace('rg-ai', 'RG-AI')}/providers/microsoft.cognitiveservices/accounts/A"
    )


def test_an_extension_resource_is_two_parts() -> None:
    assignment = parse(f"{SA}/providers/Microsoft.Authorization/roleAssignments/ra1")
    assert assignment is not None and assignment.level is Level.EXTENSION
    assert assignment.type == "Microsoft.Authorization/roleAssignments"
    assert assignment.parent == parse(SA)
    assert assignment == parsed_id(SA).under("Microsoft.Authorization", "roleAssignments", "ra1")


def test_provider_level_paths_and_collections() -> None:
    usages = parse(USAGES)
    assert usages is not None and usages.level is Level.PROVIDER
    assert (usages.subscription, usages.provider, usages.types, usages.names) == (
        SUB,
        "Microsoft.CognitiveServices",
        ("locations", "usages"),
        ("eastus",),
    )
    assert build(usages) == USAGES
    assert usages.parent == parse(USAGES.rsplit("/", 1)[0])
    listing = parse(f"{RG}/providers/Microsoft.Authorization/roleAssignments")
    assert listing is not None and listing.level is Level.PROVIDER and listing.name == ""
    assert listing.parent == parse(RG)
    namespace = parse(f"/subscriptions/{SUB}/providers/Microsoft.Web")
    assert (
        namespace is not None
        and namespace.types == ()
        and namespace.parent == parse(f"/subscriptions/{SUB}")
    )


def test_scopes_above_resources() -> None:
    assert parse("/") == ResourceId() and ResourceId().level is Level.ROOT
    assert ResourceId().parent is None
    group = parse(arm.management_group_scope("Mg-Corp"))
    assert group == management_group_id("Mg-Corp")
    assert (group.level, group.management_group, group.parent) == (
        Level.MANAGEMENT_GROUP,
        "Mg-Corp",
        ResourceId(),
    )
    assert parsed_id(f"/subscriptions/{SUB}").parent == ResourceId()
    assert parsed_id(RG).level is Level.RESOURCE_GROUP
    assert parsed_id(RG).parent == ResourceId(SUB)
    tenant_role = parse("/providers/Microsoft.Authorization/roleDefinitions/r")
    assert tenant_role is not None and tenant_role.level is Level.RESOURCE
    assert tenant_role.management_group is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "subscriptions/x",
        " /subscriptions/x",
        f"{RG}//providers/A/t/n",
        "//",
        f"{RG}//",
        "/subscriptions",
        f"/subscriptions/{SUB}/resourceGroups",
        f"{RG}/Microsoft.Storage/x/y",
        f"{RG}/providers",
        f"{RG}/providers/A/t/n/providers",
        "/tenants/x",
        f"{RG}/providers/A/providers/B/t/n",
    ],
)
def test_texts_that_are_no_id(text: str) -> None:
    assert parse(text) is None


def test_providers_is_a_name_where_a_name_stands() -> None:
    """A storage account may be called 'providers': the old scope checker refused its id and
    called it a child resource; ARM, and now every reader here, take it for a name."""
    named = f"{RG}/providers/Microsoft.Storage/storageAccounts/providers"
    parsed = parse(named)
    assert parsed is not None and parsed.level is Level.RESOURCE and parsed.name == "providers"
    assert old.scope_problem(named) is not None
    assert old.level_of(old.scope_key(named)) == "child resource"


def test_builders_refuse_what_no_text_could_spell() -> None:
    with pytest.raises(ValueError):
        ResourceId(resource_group="rg")
    with pytest.raises(ValueError):
        ResourceId("a/b")
    with pytest.raises(ValueError):
        ProviderPart("A", ("t",), ("n", "m"))
    with pytest.raises(ValueError):
        ProviderPart("A", ("providers",), ("n",))
    with pytest.raises(ValueError):
        ResourceId(SUB, parts=(ProviderPart("A", ("t",)), ProviderPart("B", ("u",), ("n",))))
    with pytest.raises(ValueError):
        parsed_id(USAGES).child("x", "y")


def test_small_helpers() -> None:
    assert last_segment(f"{SA}/") == "sthub"
    assert leading_scope(f"{RG}/whatever//else") == ResourceId(SUB, "rg-ai")
    assert leading_scope(f"/Subscriptions/{SUB}/x") == ResourceId(SUB)
    assert leading_scope("/providers/A/t/n") == ResourceId()
    assert parsed_id(SA).read_operation == "Microsoft.Storage/storageAccounts/read"
    assert parsed_id(SA).child("blobServices", "default").type_key == (
        "microsoft.storage/storageaccounts/blobservices"
    )


def test_every_type_key_has_its_canonical_name() -> None:
    keys = {
        value for name, value in vars(types).items() if name.isupper() and isinstance(value, str)
    }
    assert keys == set(types.CANONICAL)
    assert all(key == key.lower() for key in keys)
    assert types.canonical("MICROSOFT.SEARCH/SEARCHSERVICES") == "Microsoft.Search/searchServices"


# -- generated ids ------------------------------------------------------------------------------

WORDS = [
    "a",
    "B",
    "rg-ai",
    "Microsoft.Storage",
    "x.y",
    "providers",
    "subscriptions",
    "resourceGroups",
    "ProViders",
    "eastus",
    " ",
    "a b",
    "..",
    ".",
    "%2F",
    "?q",
    SUB,
    "a\n",
    f"{SUB}\n",
]
NO_SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
segment = st.one_of(
    st.sampled_from(WORDS),
    st.text(
        st.characters(exclude_categories=NO_SURROGATES, exclude_characters="/"),
        min_size=1,
        max_size=4,
    ),
)
type_segment = segment.filter(lambda s: s.lower() != "providers")


@st.composite
def parts(draw: st.DrawFn, last: bool) -> ProviderPart:
    count = draw(st.integers(1, 3))
    type_names = tuple(draw(type_segment) for _ in range(count))
    names = tuple(draw(segment) for _ in range(count))
    if last:
        cut = draw(st.sampled_from(["resource", "collection", "namespace"]))
        if cut == "collection":
            names = names[:-1]
        elif cut == "namespace":
            type_names, names = (), ()
    return ProviderPart(draw(segment), type_names, names)


@st.composite
def resource_ids(draw: st.DrawFn, complete: bool = False) -> ResourceId:
    subscription = draw(st.one_of(st.none(), segment))
    group = draw(st.one_of(st.none(), segment)) if subscription is not None else None
    count = draw(st.integers(0, 3))
    found = [draw(parts(last=False)) for _ in range(count - 1)]
    if count:
        found.append(draw(parts(last=not complete)))
    return ResourceId(subscription, group, tuple(found))


def _spelled(resource_id: ResourceId, cases: st.DataObject) -> str:
    """The id's text with its keywords in any case, sometimes with a trailing '/'."""
    text = build(resource_id)
    for keyword in ("subscriptions", "resourceGroups", "providers"):
        spelling = cases.draw(st.sampled_from([keyword, keyword.upper(), keyword.lower()]))
        text = text.replace(f"/{keyword}/", f"/{spelling}/")
    return text


@settings(max_examples=300)
@given(resource_ids())
def test_parse_of_build_is_the_id(resource_id: ResourceId) -> None:
    assert parse(build(resource_id)) == resource_id
    if resource_id != ResourceId():
        assert parse(build(resource_id) + "/") == resource_id


@settings(max_examples=200)
@given(resource_ids(), st.data())
def test_keywords_are_read_in_any_case(resource_id: ResourceId, data: st.DataObject) -> None:
    assume(
        not any(
            s.lower() in ("subscriptions", "resourcegroups", "providers")
            for s in _plain_segments(resource_id)
        )
    )
    assert parse(_spelled(resource_id, data)) == resource_id


def _plain_segments(resource_id: ResourceId) -> list[str]:
    found = [s for s in (resource_id.subscription, resource_id.resource_group) if s]
    for part in resource_id.parts:
        found += [part.namespace, *part.types, *part.names]
    return found


# -- the old parsers, on every fixture id and on generated texts --------------------------------


def assert_target_reads_as_before(text: str) -> None:
    new, was = target_of(text), old.parse_arm_id(text)
    assert (
        new.raw,
        new.level,
        new.management_group,
        new.subscription,
        new.resource_group,
        new.namespace,
        new.types,
        new.names,
        new.type,
        new.name,
        new.leaf,
    ) == (
        was.raw,
        was.level,
        was.management_group,
        was.subscription,
        was.resource_group,
        was.namespace,
        was.types,
        was.names,
        was.type,
        was.name,
        was.leaf,
    ), text


def _namespace_alone(was: old.ResourceId) -> bool:
    """The old collector read an extension id as one part whose types include 'providers':
    a 'providers' type with no name pair after it stood for a provider part with no
    type/name pair, which names no resource."""
    lowered = [t.lower() for t in was.types]
    return any(
        t == "providers" and (i == 0 or i + 1 == len(lowered) or lowered[i + 1] == "providers")
        for i, t in enumerate(lowered)
    )


def assert_followable_as_before(value: str) -> None:
    new, was = followable(value), old.parse_resource_id(value)
    if was is None:
        assert new is None, value
        return
    if new is None:
        # The one id the old collector took and this one refuses: an extension id whose last
        # provider part is a namespace alone (.../providers/Microsoft.Web), no resource.
        assert _namespace_alone(was), value
        return
    assert (new.id, new.subscription, new.resource_group, new.name, new.resource_group_scope) == (
        was.id,
        was.subscription,
        was.resource_group,
        was.name,
        was.resource_group_scope,
    ), value
    first = new.parsed.parts[0]
    if not new.is_extension:
        assert (first.namespace, first.types, new.names, new.type, new.read_operation) == (
            was.namespace,
            was.types,
            was.names,
            was.type,
            was.read_operation,
        ), value
    else:
        # The old collector read '.../providers/Microsoft.Authorization/roleAssignments/x' on
        # a resource as more types of that resource (a type no API version knows, so it was
        # never fetched); the type is now the extension's own. The collector still follows
        # no extension id (collector._want).
        assert (was.namespace, was.types[: len(first.types)]) == (first.namespace, first.types)
        assert "providers" in [t.lower() for t in was.types]


@pytest.mark.parametrize("text", FIXTURE_IDS)
def test_every_fixture_id_reads_as_the_old_parsers_read_it(text: str) -> None:
    assert_target_reads_as_before(text)
    assert_followable_as_before(text)
    assert leading_scope(text).subscription == (
        old.hints_subscription(text).removeprefix("/subscriptions/")
        if old.hints_subscription(text).startswith("/subscriptions/")
        else None
    )


def test_fixture_extension_ids_are_read_as_extensions() -> None:
    extensions = [i for i in FIXTURE_IDS if (p := followable(i)) is not None and p.is_extension]
    assert len(extensions) > 20


garbage = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "",
                "subscriptions",
                "SUBSCRIPTIONS",
                "resourceGroups",
                "resourcegroups",
                "providers",
                "Providers",
                "Microsoft.Management",
                "managementGroups",
                "Microsoft.Storage",
                "t",
                "n",
                SUB,
                " ",
                "..",
                "a b",
                "x",
            ]
        ),
        segment,
    ),
    max_size=12,
).map(lambda segments: "/".join(segments))


@settings(max_examples=600)
@given(
    st.one_of(
        garbage,
        garbage.map(lambda text: "/" + text),
        resource_ids().map(build),
        resource_ids().map(lambda r: build(r) + "/"),
    )
)
def test_generated_texts_read_as_the_old_parsers_read_them(text: str) -> None:
    assert_target_reads_as_before(text)
    assert_followable_as_before(text)


@settings(max_examples=300)
@given(
    resource_ids(complete=True),
    st.sampled_from([SUB, SUB.upper(), "not-a-guid"]),
    st.sampled_from(["rg-ai", "RG", "..", "a b"]),
)
def test_generated_resource_ids_follow_as_before(
    resource_id: ResourceId, subscription: str, group: str
) -> None:
    assume(resource_id.parts)
    assert_followable_as_before(build(ResourceId(subscription, group, resource_id.parts)))


def test_followable_wants_a_guid_and_safe_segments() -> None:
    assert followable(f"  {SA}/ ").id == SA  # type: ignore[union-attr]
    assert followable(SA).subscription == SUB  # type: ignore[union-attr]
    assert followable(SA.replace(SUB, SUB.upper())).subscription == SUB  # type: ignore[union-attr]
    for bad in (
        RG,
        SA.replace("sthub", ".."),
        SA.replace("sthub", "a%2Fb"),
        SA.replace(SUB, "sub"),
        f"{SA}/blobServices",
        42,
        None,
        USAGES,
        # a line break ends a regex's '$' but is no part of a safe segment or a GUID
        SA.replace("rg-ai", "rg-ai\n"),
        SA.replace(SUB, f"{SUB}\n"),
    ):
        assert followable(bad) is None, bad
    assert GUID.match(SUB)


def test_followable_is_remembered_per_text():
    """followable() is memoised (a collection asks about the same ids again and again): the
    same text gives the same immutable answer, a text that differs only by white space or a
    trailing '/' gives an equal one, and what is not a text is never followed."""
    text = (
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/"
        "Microsoft.Storage/storageAccounts/st"
    )
    first = followable(text)
    assert first is not None and followable(text) is first
    assert followable(f" {text}/ ") == first
    assert followable(text.replace("/rg/", "/../")) is None
    assert followable(None) is None and followable(["x"]) is None
