"""Assignments listed before the resource they apply to wait in `pending`; when a resource
turns relevant, the ones at it, above it or below it are found through an index by scope,
exactly those the scope comparison keeps, without going through every pending item."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from diagnose.collect.authorization import _PendingIndex
from diagnose.collect.relevance import Relevance

SUB = "/subscriptions/00000000-1111-2222-3333-444444444444"
SEGMENTS = st.sampled_from(["rg-a", "RG-A", "rg-b", "providers", "Microsoft.Storage", "x", "y"])
SCOPES = st.lists(SEGMENTS, min_size=0, max_size=6).map(lambda s: "/".join([SUB, *s]))


@settings(max_examples=300, deadline=None)
@given(scopes=st.lists(SCOPES, min_size=0, max_size=30), resource=SCOPES)
def test_the_index_finds_exactly_what_the_scan_found(scopes, resource):
    index = _PendingIndex()
    for number, scope in enumerate(scopes):
        index.add(f"item-{number}", scope)
    scan = [f"item-{n}" for n, s in enumerate(scopes) if Relevance().matches(s, resource)]
    assert index.candidates(resource) == scan  # same items, in the order they were listed


@settings(max_examples=200, deadline=None)
@given(scopes=st.lists(SCOPES, min_size=0, max_size=30), resource=SCOPES, cut=st.integers(0, 30))
def test_items_added_in_bulk_are_found_as_if_added_one_by_one(scopes, resource, cut):
    """_add_listed files a listing's unrelated items in one add_keyed call per listing."""
    from diagnose.arm.scopes import scope_key

    one, bulk = _PendingIndex(), _PendingIndex()
    keyed = [(f"item-{n}", scope_key(s)) for n, s in enumerate(scopes)]
    for item_key, scope in zip((k for k, _ in keyed), scopes, strict=True):
        one.add(item_key, scope, "first" if int(item_key[5:]) < cut else "second")
    bulk.add_keyed(keyed[:cut], "first")
    bulk.add_keyed(keyed[cut:], "second")
    assert bulk.candidates(resource) == one.candidates(resource)
    assert bulk.listed_at == one.listed_at and bulk.order == one.order


def test_a_new_resource_looks_at_its_own_items_not_at_every_pending_one():
    index = _PendingIndex()
    machines = f"{SUB}/resourceGroups/rg-vm/providers/Microsoft.Compute/virtualMachines"
    for n in range(20_000):  # unrelated assignments, at virtual machines elsewhere
        index.add(f"vm-{n}", f"{machines}/vm{n}")
    index.add("at-project", f"{SUB}/resourceGroups/rg-ai/providers/X/accounts/a/projects/p1")
    index.add("at-group", f"{SUB}/resourceGroups/rg-ai")
    index.add("at-subscription", SUB)
    index.add("below", f"{SUB}/resourceGroups/rg-ai/providers/X/accounts/a/projects/p1/things/t")
    project = f"{SUB}/resourceGroups/RG-AI/providers/X/accounts/a/projects/p1"
    assert index.candidates(project) == ["at-project", "at-group", "at-subscription", "below"]
    other = f"{SUB}/resourceGroups/rg-ai/providers/X/accounts/a/projects/p2"
    assert index.candidates(other) == ["at-group", "at-subscription"]


class _Recorder:
    """A scheduler that only records what would run."""

    def __init__(self) -> None:
        self.submitted: list[tuple[int, str]] = []

    def submit(self, wave, step, *args, priority=0) -> None:
        self.submitted.append((wave, step.__name__))


def _collector():
    from diagnose.collect.collector import Collector
    from diagnose.collect.directory import DirectoryReader

    return Collector(object(), DirectoryReader(None), _Recorder())  # type: ignore[arg-type]


def test_a_pending_assignment_is_checked_for_shape_when_kept_and_reported_there():
    """Unrelated assignments are not validated (most are never kept); one that turns out to
    apply to a collected resource is, and an odd one is reported at the scope it was listed
    at, not dropped without a trace."""
    from diagnose.collect.listings import ASSIGNMENTS
    from diagnose.testing.scenarios import _assignment

    collector = _collector()
    account = f"{SUB}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/a"
    machine = f"{SUB}/resourceGroups/rg-vm/providers/Microsoft.Compute/virtualMachines/vm"
    user = "11111111-2222-3333-4444-555555555555"
    good = _assignment(account, user, "a97b65f3-24c7-4388-baec-2e87135dc908", "User")
    odd = _assignment(account + "/deployments/d", user, "r", "User")
    odd["properties"]["principalId"] = 12345  # not a string: the snapshot cannot hold it
    elsewhere = _assignment(machine, user, "r", "User")
    elsewhere["properties"]["principalId"] = 678  # odd too, but never relevant
    with collector.locked():
        collector._add_listed(1, ASSIGNMENTS, [good, odd, elsewhere], SUB)
    assert collector.state.errors == []  # nothing relevant yet
    with collector.locked():
        collector._relevant(2, account)
    kept = collector.state.kept[ASSIGNMENTS.key]
    assert list(kept) == [good["id"].lower()]
    (error,) = collector.state.errors
    assert (error["scope"], error["code"], error["operation"]) == (
        SUB,
        "UnexpectedShape",
        ASSIGNMENTS.operation,
    )
    assert error["message"].startswith("1 item(s)")
    assert list(collector.state.pending[ASSIGNMENTS.key]) == [elsewhere["id"].lower()]


def _add_listed_before(collector, wave, listing, items, at) -> None:
    """_add_listed as it was before its entries were worked out once per shared listing and
    unrelated resource groups answered once per group: the oracle of the test below."""
    from diagnose.arm.scopes import scope_key
    from diagnose.collect.shapes import fits

    odd = 0
    entries = []
    for item in items:
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
            entries.append((item_id.lower(), scope_key(scope), item))
        else:
            odd += 1
    with collector.locked():
        kept = collector.state.kept[listing.key]
        pending = collector.state.pending[listing.key]
        keeps = collector.relevance.keeper()
        waiting = []
        for item_key, key, item in entries:
            if item_key in kept or item_key in pending:
                continue
            if not keeps(key):
                pending[item_key] = item
                waiting.append((item_key, key))
            elif fits(listing.shape, item):
                collector._keep(wave, listing, item)
            else:
                odd += 1
        collector._pending_index[listing.key].add_keyed(waiting, at)
    collector._odd_items(odd, at, listing.operation, "item(s)")


IN_GROUPS = st.lists(
    st.sampled_from(
        ["resourceGroups", "rg-a", "RG-A", "rg-b", "providers", "Microsoft.Storage", "x"]
    ),
    min_size=0,
    max_size=6,
).map(lambda s: "/".join([SUB, *s]))
"""Scopes inside resource groups, at them and elsewhere (some not even ids)."""
LISTED_SCOPES = st.one_of(
    IN_GROUPS,
    st.just(f"{SUB}/resourceGroups/rg-a/providers/Microsoft.Storage/storageAccounts/s"),
    st.just("/providers/Microsoft.Management/managementGroups/mg"),
    st.just("/"),
    st.just("not-a-scope"),
    # texts whose key is not their lower case, or whose group is spelt otherwise
    st.just(f"{SUB}//resourceGroups/rg-a/x"),
    st.just(f"{SUB}/resourceGroups//rg-a/x"),
    st.just(f"{SUB}/resourceGroups/rg-a/x/"),
    st.just(f"{SUB}/resourceGroups/rg-a/"),
    st.just(f"{SUB}/resourceGroups/rg-a/ "),
    st.just(f"{SUB}/resourceGroups/RG-A/x\u3000"),
    st.just(f"{SUB}/RESOURCEGROUPS/rg-b/x"),
    st.just(f"{SUB}/resourceGroupsX/rg-b/x"),
)


@settings(max_examples=300, deadline=None)
@given(
    relevant=st.lists(IN_GROUPS, max_size=3),
    later=st.lists(IN_GROUPS, max_size=2),
    listings=st.lists(
        st.lists(st.tuples(LISTED_SCOPES, st.integers(0, 5), st.booleans()), max_size=12),
        min_size=1,
        max_size=3,
    ),
    shared=st.booleans(),
)
def test_a_listing_is_filed_as_it_was_item_by_item(relevant, later, listings, shared):
    """_add_listed (its entries worked out once, for a scan's shared listing; a resource group
    that holds nothing relevant answered once for all its items) keeps, files and reports
    exactly what it did item by item: the same kept and pending items in the same order, the
    same index, steps and errors, also once more resources turn relevant."""
    from diagnose.collect.authorization import SharedListing
    from diagnose.collect.listings import ASSIGNMENTS
    from diagnose.testing.scenarios import _assignment

    user = "11111111-2222-3333-4444-555555555555"
    role = "a97b65f3-24c7-4388-baec-2e87135dc908"
    now, before = _collector(), _collector()
    for collector in (now, before):
        with collector.locked():
            for resource in relevant:
                collector._relevant(0, resource)
    for number, listing in enumerate(listings):
        items = []
        for scope, name, odd in listing:
            item = _assignment(scope, user, role, "User")
            item["id"] = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
            if odd:
                item["properties"]["principalId"] = 12345  # a shape the snapshot cannot hold
            items.append(item)
        at = f"{SUB}/listing-{number}"
        given_items = SharedListing(items).share() if shared else list(items)
        now._add_listed(1, ASSIGNMENTS, given_items, at)
        _add_listed_before(before, 1, ASSIGNMENTS, list(items), at)
    for collector in (now, before):
        with collector.locked():
            for resource in later:
                collector._relevant(2, resource)
    for name in ("kept", "pending"):
        assert list(getattr(now.state, name)[ASSIGNMENTS.key].items()) == list(
            getattr(before.state, name)[ASSIGNMENTS.key].items()
        )
    index, oracle = now._pending_index[ASSIGNMENTS.key], before._pending_index[ASSIGNMENTS.key]
    # What waits in a resource group that held nothing relevant is parked, indexed when
    # something there (or above every group) turns relevant: so indexed, it is the oracle's.
    index.unpark(SUB)
    assert (index.at, index.order, index.listed_at) == (oracle.at, oracle.order, oracle.listed_at)
    assert now.state.errors == before.state.errors
    assert now.scheduler.submitted == before.scheduler.submitted


def test_a_shared_listing_works_its_filing_out_once_for_every_reader():
    """A scan's hubs of one subscription read the same listing: how it is filed, worked out
    once (not once per hub), and a worker process given it works it out again."""
    import pickle

    from diagnose.collect import authorization
    from diagnose.collect.authorization import SharedListing
    from diagnose.testing.scenarios import _assignment

    items = [_assignment(f"{SUB}/resourceGroups/rg-{n}", "u", "r", "User") for n in range(3)]
    listing = SharedListing(items)
    calls: list[int] = []
    original = authorization.prepare_listing

    def counted(given):
        calls.append(len(given))
        return original(given)

    authorization.prepare_listing = counted
    try:
        first, second = listing.share(), listing.share()
        assert first is not second and first == second == items
        assert first.filing() is second.filing() is listing.filing()
        assert calls == [3]
        sent = pickle.loads(pickle.dumps(second))
        assert sent == items and sent.filing() == listing.filing()
        assert calls == [3, 3]
    finally:
        authorization.prepare_listing = original


GROUP_KEYS = st.sampled_from(
    [
        f"{SUB}/resourcegroups/rg-a",
        f"{SUB}/resourcegroups/rg-b",
        f"{SUB}/resourcegroups/x",
        "/subscriptions/other/resourcegroups/rg-a",
    ]
)
RELEVANT = st.one_of(
    IN_GROUPS,
    st.just(SUB),
    st.just(f"{SUB}/resourceGroups"),
    st.just("/subscriptions/other/resourceGroups/rg-a/providers/Microsoft.Storage/s/x"),
)


@settings(max_examples=300, deadline=None)
@given(relevant=st.lists(RELEVANT, max_size=4), groups=st.sets(GROUP_KEYS))
def test_the_groups_kept_are_those_keeps_key_keeps(relevant, groups):
    """groups_kept finds from the relevant resources the resource groups keeps_key keeps."""
    relevance = Relevance()
    for resource in relevant:
        relevance.add(resource)
    assert relevance.groups_kept(groups) == {g for g in groups if relevance.keeps_key(g)}


def test_an_unrelated_group_is_parked_and_indexed_when_it_turns_relevant():
    """Items in a resource group that holds nothing relevant are not indexed one by one
    (most of a subscription's listing); once something there is relevant they are found."""
    from diagnose.collect.listings import ASSIGNMENTS
    from diagnose.testing.scenarios import _assignment

    collector = _collector()
    machine = f"{SUB}/resourceGroups/rg-vm/providers/Microsoft.Compute/virtualMachines/vm"
    user, role = "11111111-2222-3333-4444-555555555555", "a97b65f3-24c7-4388-baec-2e87135dc908"
    items = [_assignment(f"{machine}{n}", user, role, "User") for n in range(3)]
    with collector.locked():
        collector._add_listed(1, ASSIGNMENTS, items, SUB)
    index = collector._pending_index[ASSIGNMENTS.key]
    assert index.order == {} and len(collector.state.pending[ASSIGNMENTS.key]) == 3
    with collector.locked():
        collector._relevant(
            2, f"{SUB}/resourceGroups/RG-VM/providers/Microsoft.Compute/virtualMachines/vm1"
        )
    assert list(collector.state.kept[ASSIGNMENTS.key]) == [items[1]["id"].lower()]
    assert index.order == {item["id"].lower(): n for n, item in enumerate(items)}
    assert list(collector.state.pending[ASSIGNMENTS.key]) == [
        items[0]["id"].lower(),
        items[2]["id"].lower(),
    ]
