from diagnose.checks._common import DOCS_TROUBLESHOOT
from diagnose.engine.api import (
    Cause,
    Draft,
    PrincipalRef,
    Remediation,
    RemediationKind,
    Severity,
    Status,
    check,
)
from diagnose.engine.context import CheckContext


@check(
    id="IDN002",
    title="No role assignments to principals that no longer exist",
    severity=Severity.LOW,
    scenario="Identity hygiene: deleted principals",
    docs=(DOCS_TROUBLESHOOT,),
)
def orphaned_assignments(ctx: CheckContext):
    """
    What it checks: role assignments in the snapshot whose principal the directory confirms
    as deleted (the portal shows them as "Identity not found"). Confirmed means a direct
    Microsoft Graph read of the object id answered 404 while the same credential could read
    other directory objects; a principal Graph merely left out of an answer is unknown, never
    deleted, and a snapshot that says `deleted` without saying how it knows gets an `unknown`
    finding, never advice to remove the assignment.

    Who needs it: nobody holds anything here: this is hygiene for whoever manages the role
    assignments. An assignment whose principal's deletion was confirmed is a warning (it grants
    nothing and hides the real picture), never a failure; a deletion the snapshot reports
    without saying how it was confirmed is unknown.

    Why it matters: they grant nothing, but they hide the real picture: a team may believe a
    group or identity still has access, and a re-created identity with the same name gets a new
    object id and none of the old roles.

    How to fix: remove the orphaned assignment, and grant the role again to the identity that
    replaced the deleted one.
    """
    # The few principals reported deleted, found first: a tenant's 100,000 assignments are
    # then each one look-up, and none when no principal is reported deleted.
    reported = {
        key: entry
        for key, entry in ctx.model.authorization.directory.principals.items()
        if entry.deleted or entry.deletion_unconfirmed
    }
    if not reported:
        return
    for assignment in ctx.model.authorization.assignments:
        entry = reported.get(assignment.principal_id)  # both lower case
        if entry is None:
            continue
        role = ctx.model.authorization.role(assignment.role_id)
        role_name = role.name if role else assignment.role_id
        principal = PrincipalRef(entry.id, entry.type, entry.display_name)
        if not entry.deleted:
            # Reported deleted, but not how: older snapshots took an object Graph left out
            # of an answer for deleted. Removing access on that guess could lock people out.
            yield Draft(
                status=Status.UNKNOWN,
                resource=assignment.scope,
                cause=Cause.UNREADABLE,
                principal=principal,
                message=f"The {role_name} assignment at {assignment.scope} belongs to "
                f"{principal.label}, which the snapshot reports as deleted without "
                "saying how that was confirmed: it may still exist. Collect again to "
                "confirm before removing anything.",
                details={"roleAssignmentId": assignment.id},
            )
            continue
        yield Draft(
            status=Status.WARN,
            resource=assignment.scope,
            cause=Cause.ORPHANED,
            principal=principal,
            message=f"The {role_name} assignment at {assignment.scope} belongs to "
            f"{principal.label}, which no longer exists in the directory: it grants "
            f"nothing. Confirmed: {entry.deleted_evidence}.",
            remediations=(
                Remediation(
                    kind=RemediationKind.REMOVE_ASSIGNMENT,
                    summary=f"Remove the orphaned {role_name} assignment: the deletion was "
                    f"confirmed ({entry.deleted_evidence}).",
                    principal_id=entry.id,
                    principal_type=entry.type,
                    role_definition_id=assignment.role_id,
                    role_name=role_name,
                    scope=assignment.scope,
                    resource=assignment.id,
                    verification="not verified: removing an assignment does not change access",
                ),
            ),
            details={"roleAssignmentId": assignment.id},
        )
