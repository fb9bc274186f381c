from checks._common import DOCS_TROUBLESHOOT
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


@check(id="IDN002", title="No role assignments to principals that no longer exist",
       severity=Severity.LOW, scenario="Identity hygiene: deleted principals",
       docs=(DOCS_TROUBLESHOOT,))
def orphaned_assignments(ctx: CheckContext):
    """
    What it checks: role assignments in the snapshot whose principal the directory reports as
    deleted (the portal shows them as "Identity not found").

    Why it matters: they grant nothing, but they hide the real picture: a team may believe a
    group or identity still has access, and a re-created identity with the same name gets a new
    object id and none of the old roles.

    How to fix: remove the orphaned assignment, and grant the role again to the identity that
    replaced the deleted one.
    """
    directory = ctx.model.authorization.directory
    for assignment in ctx.model.authorization.assignments:
        entry = directory.get(assignment.principal_id)
        if entry is None or not entry.deleted:
            continue
        role = ctx.model.authorization.role(assignment.role_id)
        role_name = role.name if role else assignment.role_id
        principal = PrincipalRef(entry.id, entry.type, entry.display_name)
        yield Draft(
            status=Status.WARN, resource=assignment.scope, cause=Cause.ORPHANED,
            principal=principal,
            message=f"The {role_name} assignment at {assignment.scope} belongs to "
                    f"{principal.label}, which no longer exists in the directory: it grants "
                    "nothing.",
            remediations=(Remediation(
                kind=RemediationKind.REMOVE_ASSIGNMENT,
                summary=f"Remove the orphaned {role_name} assignment.",
                principal_id=entry.id, principal_type=entry.type,
                role_definition_id=assignment.role_id, role_name=role_name,
                scope=assignment.scope, resource=assignment.id,
                verification="not verified: removing an assignment does not change access"),),
            details={"roleAssignmentId": assignment.id})
