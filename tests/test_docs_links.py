"""Every Microsoft Learn link the tool prints or documents is a page that Learn serves today.

Azure AI Studio became Azure AI Foundry and then Microsoft Foundry, and its pages moved twice:
/azure/ai-studio/... -> /azure/ai-foundry/... -> /azure/foundry/... (the current portal) and
/azure/foundry-classic/... (hub-based projects, the "classic" portal this tool diagnoses);
the Azure OpenAI pages moved from /azure/ai-services/openai/... the same way. Old addresses
still redirect for a while, but a finding should send people to the page itself.

VERIFIED is the evidence: each link with the title of the page found at that address when it
was checked (issue 11), and where that was seen. Every learn.microsoft.com link in diagnose/,
README.md and CONTRIBUTING.md (string literals in code, text anywhere else) and every check's
`docs` must be one of them, over https, without a locale segment (/en-us/) and without a query
string (tracking such as ?WT.mc_id=..., or a ?view= pivot). A new link fails here until someone
has opened the page and added it, with its title, to VERIFIED.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from diagnose.engine.registry import load_checks

ROOT = Path(__file__).resolve().parent.parent

# url -> (page title, where the page was found). Checked 2026-12-03 against the Microsoft Learn
# sources (MicrosoftDocs/azure-ai-docs, MicrosoftDocs/azure-docs) and the pages Learn serves.
VERIFIED: dict[str, tuple[str, str]] = {
    "https://learn.microsoft.com/azure/foundry-classic/concepts/hub-rbac-foundry": (
        "Role-based access control for Microsoft Foundry (Hubs and Projects) (classic)",
        "azure-ai-docs articles/foundry-classic/concepts/hub-rbac-foundry.md (hub-only, "
        "2025-12-31); listed under /azure/foundry-classic in Learn's Foundry Classic index",
    ),
    "https://learn.microsoft.com/azure/foundry/concepts/rbac-foundry": (
        "Role-based access control for Microsoft Foundry",
        "azure-ai-docs articles/foundry/concepts/rbac-foundry.md (2026-04-13); the Foundry "
        "service's own agents/write permission error links this address",
    ),
    "https://learn.microsoft.com/azure/foundry/agents/concepts/standard-agent-setup": (
        "Set up standard agent resources for Foundry Agent Service",
        "azure-ai-docs articles/foundry/agents/concepts/standard-agent-setup.md (2026-02-13): "
        "the project identity's roles (Cosmos DB Operator, Storage Account Contributor, the "
        "Search roles, the blob roles on the two containers; its Phase 5 names Cosmos DB "
        "Built-in Data Contributor on the enterprise_memory database)",
    ),
    "https://learn.microsoft.com/azure/foundry/agents/how-to/agent-applications": (
        "Agent applications in Microsoft Foundry",
        "azure-ai-docs articles/foundry/agents/how-to/agent-applications.md (2026-06-19): "
        "Default (RBAC) callers need applications/invoke/action (Foundry User); Foundry Agent "
        "Consumer does not grant it; permissions don't transfer to the agent identity",
    ),
    "https://learn.microsoft.com/azure/foundry-classic/openai/how-to/role-based-access-control": (
        "Role-based access control for Azure OpenAI in Microsoft Foundry Models (classic)",
        "azure-ai-docs articles/foundry-classic/openai/how-to/role-based-access-control.md "
        "(2026-01-31); linked by other Learn articles (Cosmos DB vector search)",
    ),
    "https://learn.microsoft.com/azure/search/search-security-rbac": (
        "Connect to Azure AI Search using roles",
        "served by Learn (search-security-rbac, all locales)",
    ),
    "https://learn.microsoft.com/azure/search/search-security-enable-roles": (
        "Enable or disable role-based access control in Azure AI Search",
        "served by Learn (search-security-enable-roles)",
    ),
    "https://learn.microsoft.com/azure/storage/blobs/assign-azure-role-data-access": (
        "Assign an Azure role for access to blob data",
        "served by Learn; azure-docs articles/storage/blobs/assign-azure-role-data-access.md",
    ),
    "https://learn.microsoft.com/azure/foundry-classic/openai/how-to/on-your-data-configuration": (
        "Network and access configuration for Azure OpenAI On Your Data (classic)",
        "azure-ai-docs articles/foundry-classic/openai/how-to/on-your-data-configuration.md "
        "(2026-02-06); successor of use-your-data-securely, has the 'Role assignments' table",
    ),
    "https://learn.microsoft.com/azure/foundry-classic/how-to/disable-local-auth": (
        "Disable shared-key access for your hub's storage account (preview) (classic)",
        "azure-ai-docs articles/foundry-classic/how-to/disable-local-auth.md (2026-02-02)",
    ),
    "https://learn.microsoft.com/azure/foundry-classic/concepts/hub-encryption-keys-portal": (
        "Customer-managed keys for hub projects (classic)",
        "azure-ai-docs articles/foundry-classic/concepts/hub-encryption-keys-portal.md",
    ),
    "https://learn.microsoft.com/azure/role-based-access-control/troubleshooting": (
        "Troubleshoot Azure RBAC",
        "served by Learn (role-based-access-control/troubleshooting)",
    ),
    "https://learn.microsoft.com/azure/ai-services/cognitive-services-custom-subdomains": (
        "Custom subdomain names for Azure AI services",
        "azure-ai-docs articles/ai-services/cognitive-services-custom-subdomains.md; still "
        "linked by the 2026 foundry-classic On Your Data article",
    ),
    "https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks"
    "#grant-access-to-trusted-azure-services-for-azure-openai": (
        "Configure Azure AI services virtual networks: Grant access to trusted Azure services "
        "for Azure OpenAI",
        "azure-ai-docs articles/ai-services/cognitive-services-virtual-networks.md (section "
        "present); still linked by the 2026 foundry-classic On Your Data article",
    ),
    "https://learn.microsoft.com/azure/foundry-classic/how-to/secure-data-playground": (
        "Use your data securely with the Microsoft Foundry portal playground (classic)",
        "azure-ai-docs articles/foundry-classic/how-to/secure-data-playground.md (hub-only, "
        "2026-02-02; 'Assign roles to developers' names Storage File Data Privileged "
        "Contributor for prompt flow); the /azure/ai-foundry/ address it replaces is the "
        "pre-classic location",
    ),
    "https://learn.microsoft.com/azure/search/search-indexer-howto-access-private": (
        "Make outbound connections through a shared private link (Azure AI Search)",
        "azure-ai-docs articles/search/search-indexer-howto-access-private.md (2025-09-26); "
        "served by Learn (search-indexer-howto-access-private, all locales)",
    ),
    "https://learn.microsoft.com/azure/search/search-howto-managed-identities-data-sources": (
        "Configure a search service to connect using a managed identity in Azure AI Search",
        "azure-ai-docs articles/search/search-howto-managed-identities-data-sources.md; "
        "served by Learn; linked by the 2026 foundry-classic secure-data-playground article",
    ),
    "https://learn.microsoft.com/azure/foundry-classic/how-to/configure-managed-network": (
        "How to set up a managed network for Microsoft Foundry hubs (classic)",
        "azure-ai-docs articles/foundry-classic/how-to/configure-managed-network.md (hub-only, "
        "2026-02-02; its prerequisites name Azure AI Enterprise Network Connection Approver "
        "for the hub's managed identity to approve private endpoint connections)",
    ),
    "https://learn.microsoft.com/azure/foundry-classic/how-to/develop/trace-application": (
        "View trace results for AI applications using OpenAI SDK (classic)",
        "azure-ai-docs articles/foundry-classic/how-to/develop/trace-application.md "
        "(2025-11-18; 'Make sure you have the Log Analytics Reader role assigned in your "
        "Application Insights resource'); served by Learn in every locale",
    ),
    "https://learn.microsoft.com/azure/storage/common/"
    "storage-network-security-resource-instances": (
        "Configure Azure Storage to accept requests from resource instances",
        "azure-docs articles/storage/common/storage-network-security-resource-instances.md "
        "(2025-06-18; split out of storage-network-security, which now links it as 'Create a "
        "resource instance network rule for Azure Storage')",
    ),
    "https://learn.microsoft.com/azure/cosmos-db/nosql/security/"
    "how-to-grant-data-plane-role-based-access": (
        "Use data plane role-based access control with Azure Cosmos DB for NoSQL",
        "azure-databases-docs articles/cosmos-db/nosql/security/"
        "how-to-grant-data-plane-role-based-access.md; served by Learn",
    ),
}

# Any mention of a Microsoft Learn (or its retired docs.microsoft.com) address, scheme or not.
LEARN = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.-]*:)?//(?:learn|docs)\.microsoft\.com[^\s\"'<>()\[\]`|\\]*"
    r"|\b(?:learn|docs)\.microsoft\.com/[^\s\"'<>()\[\]`|\\]*",
    re.IGNORECASE,
)
LOCALE = re.compile(r"^/[a-z]{2}(?:-[a-z0-9]{2,4}){1,2}(?:/|$)", re.IGNORECASE)


def problems(url: str) -> list[str]:
    """What is wrong with one link (empty when it is a verified, clean Learn address)."""
    found = []
    if not url.startswith("https://"):
        found.append("not https")
    if "docs.microsoft.com" in url.lower():
        found.append("docs.microsoft.com is retired: link the learn.microsoft.com page")
    rest = url.split("learn.microsoft.com", 1)[-1]
    if LOCALE.match(rest):
        found.append("has a locale segment (drop /en-us/ and the like)")
    if "?" in url:
        found.append("has a query string (tracking or view pivot)")
    if url not in VERIFIED:
        found.append("not in VERIFIED: open the page and add it with its title")
    return found


def links_in_python(source: str) -> list[str]:
    """Learn links in a module's string literals (adjacent literals are joined by the parser,
    so a URL split over two lines is seen whole)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += LEARN.findall(node.value)
    return found


def scanned_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
    for path in sorted((ROOT / "diagnose").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            files.append(path)
    return [f for f in files if f.exists()]


def links_in(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return []
    if path.suffix == ".py":
        return links_in_python(text)
    return LEARN.findall(text)


def all_links() -> dict[str, set[str]]:
    where: dict[str, set[str]] = {}
    for path in scanned_files():
        for url in links_in(path):
            where.setdefault(url, set()).add(str(path.relative_to(ROOT)))
    return where


# -- the repository's links ----------------------------------------------------------------------
def test_every_learn_link_in_code_and_docs_is_verified_and_clean() -> None:
    where = all_links()
    assert where, "no Microsoft Learn link found: the scan is broken"
    bad = {url: (problems(url), sorted(files)) for url, files in where.items() if problems(url)}
    assert not bad, bad


def test_every_check_links_only_verified_learn_pages() -> None:
    checks, errors = load_checks()
    assert not errors, errors
    bad = {
        (c.id, link): problems(link)
        for c in checks
        for link in c.docs
        if "microsoft.com" in link.lower() and problems(link)
    }
    assert not bad, bad


def test_every_verified_link_is_still_used() -> None:
    """The table is evidence for links in use, not a list of bookmarks."""
    assert set(VERIFIED) == set(all_links())


def test_verified_table_is_clean_and_titled() -> None:
    for url, (title, evidence) in VERIFIED.items():
        assert problems(url) == [], url
        assert title.strip() and evidence.strip(), url
        assert "/ai-studio/" not in url and "/ai-services/openai/" not in url, url


# -- the guard itself: it refuses what it should --------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('X = "https://learn.microsoft.com/azure/ai-studio/concepts/rbac-ai-studio"', "VERIFIED"),
        ('X = "https://learn.microsoft.com/en-us/azure/search/search-security-rbac"', "locale"),
        ('X = "http://learn.microsoft.com/azure/search/search-security-rbac"', "https"),
        (
            'X = "https://learn.microsoft.com/azure/search/search-security-rbac?WT.mc_id=x"',
            "query",
        ),
        ('X = "https://docs.microsoft.com/azure/search/search-security-rbac"', "retired"),
        (
            'X = ("https://learn.microsoft.com/azure/search/"\n     "search-security-rbac-new")',
            "VERIFIED",
        ),
    ],
)
def test_guard_refuses_a_bad_link_in_code(text: str, expected: str) -> None:
    (url,) = links_in_python(text)
    assert any(expected in p for p in problems(url)), problems(url)


def test_guard_finds_links_in_markdown_and_json() -> None:
    text = (
        "See [roles](https://learn.microsoft.com/de-de/azure/x) and "
        '{"docs": "https://learn.microsoft.com/azure/y"} and <learn.microsoft.com/azure/z>.'
    )
    found = LEARN.findall(text)
    assert found == [
        "https://learn.microsoft.com/de-de/azure/x",
        "https://learn.microsoft.com/azure/y",
        "learn.microsoft.com/azure/z",
    ]
    assert all(problems(u) for u in found)


def test_guard_accepts_every_verified_link_written_in_code() -> None:
    for url in VERIFIED:
        assert links_in_python(f"X = {url!r}") == [url]
