"""The three kinds of authorization object listed per resource group (or subscription):
role assignments, deny assignments and PIM eligibilities, with the API and shape of each."""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.collect import apiversions
from diagnose.collect.shapes import DENY_ASSIGNMENT, ROLE_ASSIGNMENT


@dataclass(frozen=True)
class Listing:
    """One kind of authorization object listed per resource group (or subscription)."""

    key: str
    """The snapshot list it fills."""
    collection: str
    operations: str
    """The AuthorizationManagementClient operation group that lists it (`list_for_scope`)."""
    api_version: str
    operation: str
    shape: str
    """The snapshot schema definition its items must fit."""
    filters: tuple[str | None, ...]
    """One listing per filter: role assignments listed without a filter come at, above and
    below the scope; deny assignments and eligibilities are documented only for atScope()
    (at and above), so they are listed both ways."""


ASSIGNMENTS = Listing(
    "roleAssignments",
    "roleAssignments",
    "role_assignments",
    apiversions.ROLE_ASSIGNMENTS,
    "Microsoft.Authorization/roleAssignments/read",
    ROLE_ASSIGNMENT,
    (None,),
)
DENIES = Listing(
    "denyAssignments",
    "denyAssignments",
    "deny_assignments",
    apiversions.DENY_ASSIGNMENTS,
    "Microsoft.Authorization/denyAssignments/read",
    DENY_ASSIGNMENT,
    (None, "atScope()"),
)
ELIGIBILITIES = Listing(
    "roleEligibilities",
    "roleEligibilityScheduleInstances",
    "role_eligibility_schedule_instances",
    apiversions.ROLE_ELIGIBILITY,
    "Microsoft.Authorization/roleEligibilityScheduleInstances/read",
    ROLE_ASSIGNMENT,
    (None, "atScope()"),
)
LISTINGS = (ASSIGNMENTS, DENIES, ELIGIBILITIES)
