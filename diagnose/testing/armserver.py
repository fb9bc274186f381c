"""A small HTTPS server on loopback that plays Azure Resource Manager and Microsoft Graph.

It answers from a fixture set (see diagnose.testing.fixtures), records every request it
receives (method, path, query, status, time) and can inject what real Azure does on a bad
day: latency, 429 with Retry-After, 500, 403 on chosen scopes, and paging of any list.

    with ArmServer(load_fixture_set("hub-basic"), Faults(latency=0.05)) as server:
        env = {"REQUESTS_CA_BUNDLE": str(server.ca_bundle), "DIAGNOSE_ARM_TOKEN": "x"}
        subprocess.run(["diagnose", "collect", "--hub", HUB, "--arm-endpoint", server.url,
                        "--graph-endpoint", server.url, "-o", "out.json"], env=env)
        assert server.non_read_requests() == []

The certificate is generated at start-up (self-signed, for localhost and 127.0.0.1); clients
trust it through REQUESTS_CA_BUNDLE. Run it alone with `python -m diagnose.testing.armserver
FIXTURE_SET`.
"""

from __future__ import annotations

import json
import re
import ssl
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from diagnose.testing.certs import make_certificate
from diagnose.testing.fixtures import ARM_HOST, GRAPH_HOST, Exchange, FixtureSet

PAGE_PARAMETER = "loopbackPage"
"""The query parameter of the pages the server makes itself (distinct from a fixture's own
$skiptoken, so both kinds of paging can be combined)."""
READ_POSTS = (
    re.compile(r"^/providers/microsoft\.resourcegraph/resources$"),
    re.compile(r"^/v1\.0/directoryobjects/getbyids$"),
    re.compile(r"^/v1\.0/directoryobjects/[^/]+/getmembergroups$"),
)


@dataclass
class Rule:
    """Answer the first `times` requests whose "METHOD path" matches `pattern` (a regular
    expression, case-insensitive, searched) with `status` instead of the fixture."""

    pattern: str
    status: int
    times: int = 1
    retry_after: float | None = None
    code: str = ""
    hits: int = 0

    def applies(self, method: str, path: str) -> bool:
        return self.hits < self.times and re.search(self.pattern, f"{method} {path}",
                                                    re.IGNORECASE) is not None


@dataclass
class Faults:
    latency: float = 0.0
    """Seconds added to every response."""
    rules: list[Rule] = field(default_factory=list)
    forbidden_scopes: list[str] = field(default_factory=list)
    """ARM path prefixes (scopes) answered with 403 AuthorizationFailed, everything under them
    included."""
    graph_forbidden: bool = False
    """Answer every Microsoft Graph request with 403 Authorization_RequestDenied."""
    page_size: int | None = None
    """Split every list ("value") into pages of this size, linked with nextLink."""

    @staticmethod
    def throttle(pattern: str, times: int = 1, retry_after: float = 1) -> Rule:
        return Rule(pattern, 429, times, retry_after, "TooManyRequests")

    @staticmethod
    def server_error(pattern: str, times: int = 1) -> Rule:
        return Rule(pattern, 500, times, None, "InternalServerError")


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, str]
    status: int
    at: float
    has_authorization: bool
    page: int = 0
    """The page of a list the server split itself (Faults.page_size), 0 for the first."""

    @property
    def is_read(self) -> bool:
        if self.method == "GET":
            return True
        return self.method == "POST" and any(p.match(self.path.lower().rstrip("/"))
                                             for p in READ_POSTS)


class ArmServer:
    def __init__(self, fixtures: FixtureSet, faults: Faults | None = None) -> None:
        self.fixtures = fixtures
        self.faults = faults or Faults()
        self.received: list[Received] = []
        self.unmatched: list[str] = []
        self._lock = threading.Lock()
        self._directory = tempfile.TemporaryDirectory(prefix="armserver-")
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.ca_bundle = Path(self._directory.name) / "server.pem"

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> ArmServer:
        files = make_certificate(Path(self._directory.name))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(files.certificate, files.key)
        server = self

        class Handler(_Handler):
            owner = server

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self.url = f"https://127.0.0.1:{httpd.server_address[1]}"
        self._thread = threading.Thread(target=httpd.serve_forever, name="armserver",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        self._directory.cleanup()

    def __enter__(self) -> ArmServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- what was received ---------------------------------------------------------------
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def non_read_requests(self) -> list[Received]:
        return [r for r in self.requests() if not r.is_read]

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self.unmatched.clear()

    # -- answering -----------------------------------------------------------------------
    def answer(self, method: str, raw_path: str, body: bytes, authorized: bool
               ) -> tuple[int, dict[str, str], bytes]:
        split = urlsplit(raw_path)
        path = unquote(split.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        page = int(query.pop(PAGE_PARAMETER, "0") or 0)
        status, headers, payload = self._respond(method, path, query, body, page, authorized)
        with self._lock:
            self.received.append(Received(method, path, query, status, time.monotonic(),
                                          authorized, page))
        data = json.dumps(payload).replace(ARM_HOST, self.url).replace(GRAPH_HOST, self.url)
        return status, headers, data.encode("utf-8")

    def _respond(self, method: str, path: str, query: dict[str, str], body: bytes, page: int,
                 authorized: bool) -> tuple[int, dict[str, str], Any]:
        graph = path.lower().startswith("/v1.0/")
        headers = _ids(graph)
        if self.faults.latency:
            time.sleep(self.faults.latency)
        if not authorized:
            return 401, headers, _error("InvalidAuthenticationToken", "no bearer token")
        with self._lock:
            rule = next((r for r in self.faults.rules if r.applies(method, path)), None)
            if rule is not None:
                rule.hits += 1
        if rule is not None:
            if rule.retry_after is not None:
                headers["Retry-After"] = _seconds(rule.retry_after)
            return rule.status, headers, _error(rule.code or str(rule.status),
                                                f"injected {rule.status}")
        if graph and self.faults.graph_forbidden:
            return 403, headers, _error("Authorization_RequestDenied",
                                        "Insufficient privileges to complete the operation.")
        scope = self._forbidden_scope(path) if not graph else None
        if scope is not None:
            return 403, headers, _error(
                "AuthorizationFailed",
                "The client 'user@contoso.com' with object id "
                "'11111111-2222-3333-4444-555555555555' does not have authorization to perform "
                f"action '{_action(path, method)}' over scope '{path}' or the scope is invalid. "
                "If access was recently granted, please refresh your credentials.")
        try:
            request_json = json.loads(body) if body else None
        except ValueError:
            return 400, headers, _error("InvalidRequestContent", "the body is not JSON")
        exchange = self.fixtures.find(method, path, query, request_json)
        if exchange is None:
            with self._lock:
                self.unmatched.append(f"{method} {path} {query}")
            return 404, headers, _error("NoFixture",
                                        f"no recorded response for {method} {path} {query}")
        headers.update(exchange.headers)
        if exchange.by_ids:
            return exchange.status, headers, exchange.body_for(request_json)
        return exchange.status, headers, self._paged(exchange, path, query, page)

    def _forbidden_scope(self, path: str) -> str | None:
        lowered = path.lower().rstrip("/")
        for scope in self.faults.forbidden_scopes:
            prefix = scope.lower().rstrip("/")
            if lowered == prefix or lowered.startswith(prefix + "/"):
                return scope
        return None

    def _paged(self, exchange: Exchange, path: str, query: dict[str, str], page: int) -> Any:
        body = exchange.body
        size = self.faults.page_size
        if (not size or exchange.method != "GET" or not isinstance(body, dict)
                or not isinstance(body.get("value"), list) or body.get("nextLink")):
            return body
        items = body["value"]
        chunk = dict(body, value=items[page * size:(page + 1) * size])
        if (page + 1) * size < len(items):
            next_query = urlencode({**query, PAGE_PARAMETER: str(page + 1)})
            chunk["nextLink"] = f"{self.url}{path}?{next_query}"
        return chunk


class _Handler(BaseHTTPRequestHandler):
    owner: ArmServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        authorized = (self.headers.get("Authorization") or "").lower().startswith("bearer ")
        status, headers, data = self.owner.answer(self.command, self.path, body, authorized)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return None


def _ids(graph: bool) -> dict[str, str]:
    if graph:
        return {"request-id": str(uuid.uuid4()), "client-request-id": str(uuid.uuid4())}
    return {"x-ms-request-id": str(uuid.uuid4()), "x-ms-correlation-request-id": str(uuid.uuid4())}


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _action(path: str, method: str) -> str:
    parts = [p for p in path.split("/") if p]
    if "providers" in parts:
        index = len(parts) - 1 - parts[::-1].index("providers")
        namespace, rest = parts[index + 1], parts[index + 2:]
        types = rest[0::2]
        return "/".join([namespace, *types, "read" if method == "GET" else "action"])
    return "Microsoft.Resources/subscriptions/read"


def main(argv: list[str] | None = None) -> int:
    import argparse

    from diagnose.testing.fixtures import load_fixture_set

    parser = argparse.ArgumentParser(description="serve a fixture set as ARM and Graph")
    parser.add_argument("fixtures", help="fixture set name (fixtures/arm/NAME) or directory")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--page-size", type=int, default=None)
    args = parser.parse_args(argv)
    server = ArmServer(load_fixture_set(args.fixtures),
                       Faults(latency=args.latency, page_size=args.page_size)).start()
    print(f"serving {args.fixtures} at {server.url}\nREQUESTS_CA_BUNDLE={server.ca_bundle}",
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
