from diagnose.checks._common import CONTRIBUTOR, DOCS_HUB_RBAC
from diagnose.engine.api import Operation, Requirement, Severity, check
from diagnose.engine.context import CheckContext
from diagnose.model.scopes import resource_group_key

APP_INSIGHTS_WRITES = (
    Operation.action("Microsoft.Insights/Components/Write"),
    Operation.action("Microsoft.OperationalInsights/workspaces/write"),
)


@check(
    id="INS001",
    title="The hub creator can create Application Insights",
    severity=Severity.MEDIUM,
    scenario="Create a hub with Application Insights",
    docs=(DOCS_HUB_RBAC,),
)
def creator_app_insights(ctx: CheckContext):
    """
    What it checks: with --creator, for hubs that use Application Insights, that principal holds
    Microsoft.Insights/Components/Write and Microsoft.OperationalInsights/workspaces/write on the
    hub's resource group.

    Who needs it: only the principal named with --creator (the person or pipeline that
    creates hubs), and only for hubs that use Application Insights; without --creator nobody is
    asked anything. A creator without either write, through a built-in role, is a failure:
    Azure AI Administrator, for instance, grants the Application Insights write but not the
    Log Analytics one. The other writes of hub creation are HUB004's.

    Why it matters: a hub with Application Insights creates or links a component and a Log
    Analytics workspace when it is created; without these writes, creation fails part-way.

    How to fix: assign Contributor on the resource group (or a role with both writes) to the
    creator.
    """
    creator = ctx.creator
    if creator is None:
        return
    for hub in ctx.hubs:
        group = resource_group_key(hub.key)
        if group is None or not hub.prop("applicationInsights"):
            continue
        yield Requirement(
            principal=creator,
            resource=hub,
            operations=APP_INSIGHTS_WRITES,
            scope=hub.id[: len(group)],
            because="creates hubs that use Application Insights (--creator)",
            roles=(CONTRIBUTOR,),
            builtin_roles_only=True,
        )
