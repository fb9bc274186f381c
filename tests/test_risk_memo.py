"""risk.measured remembers a role's risk at a provider per permission blocks (shared by the
plan of a run, the whole-plan check's rounds, each with its own RiskTable, and later runs of
the process): the same answer as measuring it, and never another definition's answer, not
even one with the same id (another snapshot may define the same role otherwise)."""

from __future__ import annotations

from diagnose.model.roles import RoleDefinition
from diagnose.remediation import risk
from diagnose.remediation.risk import RiskTable, _measure, measured

GUID = "22222222-0000-0000-0000-000000000001"


def _role(*actions: str) -> RoleDefinition:
    return RoleDefinition.from_arm(
        {
            "id": f"/providers/Microsoft.Authorization/roleDefinitions/{GUID}",
            "name": GUID,
            "properties": {
                "roleName": "memo test",
                "type": "CustomRole",
                "permissions": [{"actions": list(actions)}],
            },
        },
        "snapshot",
    )


def test_a_remembered_risk_is_the_measured_one_of_that_very_definition():
    reads = _role("Microsoft.Storage/storageAccounts/read")
    keys = _role("Microsoft.Storage/storageAccounts/listKeys/action")
    assert reads.id == keys.id and reads != keys
    for role in (reads, keys, reads, keys):
        assert measured(role, "microsoft.storage") == _measure(role, "microsoft.storage")
    assert measured(reads, "microsoft.storage") != measured(keys, "microsoft.storage")
    # two tables (a run's plan, a whole-plan round) agree, each for its own definition
    assert RiskTable().of(keys, frozenset({"microsoft.storage"})) == _measure(
        keys, "microsoft.storage"
    )
    assert RiskTable().of(reads, frozenset({"microsoft.storage"})) == _measure(
        reads, "microsoft.storage"
    )


def test_the_memo_forgets_when_full_and_still_answers(monkeypatch):
    monkeypatch.setattr(risk, "KEEP_MEASURED", 2)
    monkeypatch.setattr(risk, "_MEASURED", {})
    roles = [_role(f"Microsoft.Storage/storageAccounts/{verb}") for verb in ("read", "write")]
    roles.append(_role("Microsoft.Storage/storageAccounts/listKeys/action"))
    for role in roles * 2:
        assert measured(role, "microsoft.storage") == _measure(role, "microsoft.storage")
        assert len(risk._MEASURED) <= 2


def test_equal_definitions_share_one_measurement(monkeypatch):
    """A model built again (a later run in the process) makes new definition objects with the
    same permissions: they are measured once."""
    monkeypatch.setattr(risk, "_MEASURED", {})
    calls: list[RoleDefinition] = []

    def counted(role: RoleDefinition, provider: str) -> risk.Risk:
        calls.append(role)
        return _measure(role, provider)

    monkeypatch.setattr(risk, "_measure", counted)
    first = _role("Microsoft.Storage/storageAccounts/listKeys/action")
    again = _role("Microsoft.Storage/storageAccounts/listKeys/action")
    assert first is not again
    assert measured(first, "microsoft.storage") == measured(again, "microsoft.storage")
    assert calls == [first]
    # another provider, or other permissions under the same id, are measured on their own
    measured(again, "microsoft.keyvault")
    other = _role("Microsoft.Storage/storageAccounts/read")
    assert measured(other, "microsoft.storage") == _measure(other, "microsoft.storage")
    assert calls == [first, again, other]


def test_a_risk_words_itself_once_and_stays_equal_to_a_fresh_one():
    keys = _role("Microsoft.Storage/storageAccounts/listKeys/action", "*/read")
    risk_of = RiskTable().of(keys, frozenset({"microsoft.storage", "microsoft.keyvault"}))
    fresh = risk.Risk(risk_of.counts, risk_of.notable, risk_of.patterns)
    assert risk_of.adds() and risk_of.describe()
    assert risk_of.adds() is risk_of.adds() and risk_of.describe() is risk_of.describe()
    assert (risk_of.adds(), risk_of.describe()) == (fresh._adds(), fresh._describe())
    assert risk_of == fresh and hash(risk_of) == hash(fresh)  # the words are no field
