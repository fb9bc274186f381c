"""What the collector tells a person to retry with, per kind of read error."""

from __future__ import annotations

import pytest

from diagnose.collect.hints import retry_hint

RG = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-search"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            {
                "scope": RG,
                "operation": "Microsoft.Authorization/roleAssignments/read",
                "status": 403,
                "code": "AuthorizationFailed",
            },
            f"retry with Reader (it includes Microsoft.Authorization/roleAssignments/read) on {RG}",
        ),
        (
            {
                "scope": "11111111-2222-3333-4444-555555555555",
                "operation": "Microsoft.Graph/directoryObjects/getMemberGroups",
                "status": 403,
                "code": "Authorization_RequestDenied",
            },
            "Directory.Read.All",
        ),
        (
            {
                "scope": "x",
                "operation": "Microsoft.Graph/directoryObjects/getMemberGroups",
                "status": 404,
                "code": "Request_ResourceNotFound",
            },
            "no longer exists",
        ),
        (
            {
                "scope": "x",
                "operation": "Microsoft.Graph/directoryObjects/getMemberGroups",
                "status": None,
                "code": "GraphUnavailable",
            },
            "DIAGNOSE_GRAPH_TOKEN",
        ),
        (
            {
                "scope": f"{RG}/providers/Microsoft.Search/searchServices/s",
                "operation": "Microsoft.Search/searchServices/read",
                "status": 429,
                "code": "TooManyRequests",
            },
            "retry later",
        ),
        (
            {
                "scope": "/subscriptions/00000000-1111-2222-3333-444444444444",
                "operation": "Microsoft.Resources/subscriptions/read",
                "status": None,
                "code": "NoResourceGraphRow",
            },
            "Reader on /subscriptions/00000000-1111-2222-3333-444444444444",
        ),
        (
            {
                "scope": f"{RG}/providers/Microsoft.Search/searchServices/s",
                "operation": "Microsoft.Search/searchServices/read",
                "status": 404,
                "code": "ResourceNotFound",
            },
            "does not exist",
        ),
        (
            {
                "scope": RG,
                "operation": "Microsoft.Authorization/denyAssignments/read",
                "status": 200,
                "code": "UnexpectedShape",
            },
            "please report it",
        ),
    ],
)
def test_retry_hints(error, expected):
    assert expected in retry_hint(error)
