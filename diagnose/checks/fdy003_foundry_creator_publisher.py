from diagnose.checks._common import FOUNDRY_ACCOUNT_OWNER, FOUNDRY_PROJECT_MANAGER, OWNER
from diagnose.checks._error_texts import AUTHORIZATION_FAILED, REQUEST_DISALLOWED_BY_POLICY
from diagnose.engine.api import Operation, Requirement, Severity, check
from diagnose.engine.context import CheckContext, describe

DOCS_FOUNDRY = "https://learn.microsoft.com/azure/foundry/concepts/rbac-foundry"
PROJECTS_WRITE = Operation.action("Microsoft.CognitiveServices/accounts/projects/write")
APPLICATIONS_WRITE = Operation.action(
    "Microsoft.CognitiveServices/accounts/projects/applications/write"
)


@check(
    id="FDY003",
    title="The Foundry project creator can create projects and publish agents",
    severity=Severity.HIGH,
    scenario="Foundry project, create a project and publish an agent",
    docs=(DOCS_FOUNDRY,),
    explains=(AUTHORIZATION_FAILED, REQUEST_DISALLOWED_BY_POLICY),
)
def foundry_creator_publisher(ctx: CheckContext):
    """
    What it checks: with --creator, that principal holds, on each Foundry resource (account) in
    scope, Microsoft.CognitiveServices/accounts/projects/write (to create projects in it) and
    Microsoft.CognitiveServices/accounts/projects/applications/write at the account scope (to
    publish agents of its projects as agent applications). Role conditions are evaluated from
    the role definitions (an ABAC condition that targets these actions makes the answer
    `unknown`), never from role descriptions.

    Who needs it: only the principal named with --creator (the person or pipeline that creates
    Foundry projects and publishes their agents); nobody is asked anything without it. A
    missing action is a failure. Foundry Project Manager grants both (it creates projects and
    may assign Foundry User and Foundry Agent Consumer), as do Foundry Account Owner and Owner;
    Foundry User does not.

    Why it matters: creating a project is a control-plane write on the account, and publishing
    an agent needs Foundry Project Manager at the account scope: held only on a project, it
    lets one build there but not publish. Creation or publishing then fails with
    AuthorizationFailed on Microsoft.CognitiveServices/accounts/projects/write (or
    .../applications/write).

    How to fix: assign Foundry Project Manager on the Foundry resource (Foundry Account Owner
    or Owner also cover it, with more management rights).
    """
    creator = ctx.creator
    if creator is None:
        return
    for account in ctx.foundry_accounts:
        yield Requirement(
            principal=creator,
            resource=account,
            operations=(PROJECTS_WRITE,),
            because=f"creates projects in {describe(account)} (--creator)",
            roles=(FOUNDRY_PROJECT_MANAGER, FOUNDRY_ACCOUNT_OWNER, OWNER),
        )
        yield Requirement(
            principal=creator,
            resource=account,
            operations=(APPLICATIONS_WRITE,),
            because=f"publishes the agents of the projects of {describe(account)}, which "
            "takes the role at the account scope (--creator)",
            roles=(FOUNDRY_PROJECT_MANAGER, FOUNDRY_ACCOUNT_OWNER, OWNER),
        )
