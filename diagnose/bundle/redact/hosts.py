"""Host names and URLs: customer names in host labels and storage paths replaced.

Part of diagnose.bundle.redact (see its package docstring for the policy). Under a Microsoft
suffix whose first labels are customer names (`{account}.blob.core.windows.net`), those labels
get the alias of the name (the same one they get in ARM ids); other hosts under Microsoft's
domains keep every label that names nothing known; hosts outside them become
`host-<hex>.example.invalid`. Path segments of storage and OneLake URLs become `ctr-<hex>`.
Builds on arm.py (a URL may embed an ARM path).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from diagnose.bundle.redact.arm import ArmIds, is_arm_path
from diagnose.bundle.redact.identifiers import FULL_GUID, IPV4, LOCAL_HOSTS
from diagnose.bundle.redact.vocabulary import KEEP_SEGMENTS, STOPWORDS

# Hosts whose first labels are customer names, by DNS suffix, with the kind of those names.
CUSTOMER_SUFFIXES = (
    ("openai.azure.com", "ai"),
    ("cognitiveservices.azure.com", "ai"),
    ("services.ai.azure.com", "ai"),
    ("search.windows.net", "srch"),
    ("blob.core.windows.net", "st"),
    ("dfs.core.windows.net", "st"),
    ("file.core.windows.net", "st"),
    ("queue.core.windows.net", "st"),
    ("table.core.windows.net", "st"),
    ("web.core.windows.net", "st"),
    ("vault.azure.net", "kv"),
    ("azurecr.io", "cr"),
    ("azurewebsites.net", "res"),
    ("documents.azure.com", "res"),
    ("database.windows.net", "res"),
    ("servicebus.windows.net", "res"),
    ("azure-api.net", "res"),
    ("openai.azure.us", "ai"),
    ("cognitiveservices.azure.us", "ai"),
    ("search.azure.us", "srch"),
    ("blob.core.usgovcloudapi.net", "st"),
    ("dfs.core.usgovcloudapi.net", "st"),
    ("vault.usgovcloudapi.net", "kv"),
    ("azurecr.us", "cr"),
    ("openai.azure.cn", "ai"),
    ("cognitiveservices.azure.cn", "ai"),
    ("search.azure.cn", "srch"),
    ("blob.core.chinacloudapi.cn", "st"),
    ("dfs.core.chinacloudapi.cn", "st"),
    ("vault.azure.cn", "kv"),
    ("azurecr.cn", "cr"),
)
STORAGE_HOST_SUFFIXES = (
    "core.windows.net",
    "core.usgovcloudapi.net",
    "core.chinacloudapi.cn",
    "fabric.microsoft.com",
)
STORAGE_PATH_KEEP = frozenset({"files", "tables", "$root", "$web", "$logs"})
MICROSOFT_DOMAINS = (
    "azure.com",
    "azure.net",
    "windows.net",
    "microsoft.com",
    "microsoftonline.com",
    "azureml.ms",
    "azurecr.io",
    "azure.us",
    "usgovcloudapi.net",
    "chinacloudapi.cn",
    "azure.cn",
    "azure-api.net",
    "azurewebsites.net",
    "applicationinsights.io",
    "visualstudio.com",
    "microsoftonline.us",
    "microsoftonline.cn",
    "windows-int.net",
)
HOSTLIKE = re.compile(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?(?:/\S*)?$")
"""A bare host name with an optional port and path (a connection target without a scheme)."""


class Hosts(ArmIds):
    """Redacts URLs, host names and connection targets."""

    def _url(self, url: str) -> str:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return self.name(url, "host")
        host = parts.hostname or ""
        netloc = self._host(host) + (f":{port}" if port else "")
        storage = any(host.lower().endswith("." + s) for s in STORAGE_HOST_SUFFIXES)
        path = parts.path
        encoded = "%" in path
        if encoded:
            path = unquote(path)
        if is_arm_path(path):
            path = self.arm_path(path)
        else:
            path = "/".join(
                self._storage_segment(s) if storage else self._segment(s) for s in path.split("/")
            )
        if encoded:
            path = quote(path, safe="/:@!$&'()*+,;=-._~")
        return urlunsplit(
            (parts.scheme, netloc, path, self._query(parts.query), self.text(parts.fragment))
        )

    def _query(self, query: str) -> str:
        if not query:
            return query
        if "%" not in query and "+" not in query:
            return self.text(query)
        pairs = parse_qsl(query, keep_blank_values=True)
        return urlencode([(k, self.text(v)) for k, v in pairs], quote_via=quote, safe="$'(),:/@")

    def _storage_segment(self, segment: str) -> str:
        if not segment or segment.casefold() in STORAGE_PATH_KEEP:
            return segment
        return self.whole(segment, "ctr")

    def _host(self, host: str) -> str:
        lowered = host.lower()
        if not lowered or lowered in LOCAL_HOSTS:
            return host
        if IPV4.match(lowered):
            return self.ip(lowered)
        for suffix, kind in CUSTOMER_SUFFIXES:
            if lowered.endswith("." + suffix):
                labels = lowered[: -len(suffix) - 1].split(".")
                return ".".join(self._label(label, kind) for label in labels) + "." + suffix
        if any(lowered == d or lowered.endswith("." + d) for d in MICROSOFT_DOMAINS):
            return ".".join(self._label(label, None) for label in lowered.split("."))
        return self.name(lowered, "host")

    def _label(self, label: str, kind: str | None) -> str:
        if FULL_GUID.match(label):
            return self.guid(label)
        if label in KEEP_SEGMENTS:
            return label
        if kind is None:
            return label if label in STOPWORDS else self._aliases.get(label, label)
        return self.name(label, kind)

    def target(self, value: str) -> str:
        """A connection target: a URL, or a bare host name with an optional path."""
        if "://" not in value and HOSTLIKE.match(value.strip()):
            return self._url("https://" + value.strip())[len("https://") :]
        return self.text(value)
