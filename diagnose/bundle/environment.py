"""environment.json: what ran, on what, for a support engineer reproducing a result.

Recorded: the tool's name and version, the Python implementation and version, the operating
system's name, release and machine architecture, the installed versions of the libraries the
tool's behaviour depends on, the creation time of the bundle (UTC; SOURCE_DATE_EPOCH, when
set, fixes it for reproducible bundles), and, of the environment variables that change how
the tool authenticates or redacts, the names of those that are set.

Never recorded: the host name, the user name, paths, the working directory, or the value of
any environment variable.
"""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from diagnose import TOOL_NAME, __version__

PACKAGES = (
    "azure-core",
    "azure-identity",
    "azure-mgmt-core",
    "azure-mgmt-authorization",
    "azure-mgmt-cognitiveservices",
    "azure-mgmt-search",
    "azure-mgmt-cosmosdb",
    "requests",
    "certifi",
    "textual",
    "rich",
    "fastjsonschema",
    "jsonschema",
    "orjson",
    "pyyaml",
    "mcp",
    "azure-mgmt-resourcegraph",
)
"""The runtime dependencies pyproject.toml declares (tests/test_dependencies.py keeps the two
lists equal), whose versions a support bundle records."""
VARIABLES = (
    "DIAGNOSE_ARM_TOKEN",
    "DIAGNOSE_REDACTION_KEY",
    "DIAGNOSE_DEBUG",
    "DIAGNOSE_HTTP_CLIENT",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "MSI_ENDPOINT",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)


def created_at() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    return {
        "tool": {"name": TOOL_NAME, "version": __version__},
        "python": {
            "implementation": platform.python_implementation(),
            "version": platform.python_version(),
        },
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
            "byteorder": sys.byteorder,
        },
        "packages": {name: _version(name) for name in PACKAGES},
        "environmentVariablesSet": [name for name in VARIABLES if os.environ.get(name)],
        "createdAt": created_at(),
    }
