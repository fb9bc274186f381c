"""A small HTTPS server on loopback that plays Azure Resource Manager and Microsoft Graph.

It answers from a fixture set (see diagnose.testing.fixtures), records every request it
receives (method, path, query, status, time) and can inject what real Azure does on a bad
day (diagnose.testing.faults): latency, 429 with any Retry-After, 500, 403 on chosen scopes or
calls, paging of any list, getByIds answers that leave ids out, lists without `value`, bodies
that trickle in a byte at a time, error bodies that echo the bearer token, 401 challenges.
A GET /v1.0/directoryObjects/{id} the fixtures do not cover is answered as Graph would, from
the objects of the set's getByIds fixture (404 Request_ResourceNotFound when it has none);
a GET /v1.0/groups/{id}/transitiveMembers, from its getMemberGroups answers (members.py).
A Microsoft Graph JSON batch (POST /v1.0/$batch) is answered as Graph does: 200 with one
sub-response per sub-request (in reverse order: Graph keeps none), each answered by the same
fixtures and faults as the single call (a throttled or forbidden sub-request inside a 200
batch); the batch and each sub-request are recorded (Received.in_batch for the latter).

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

import itertools
import json
import re
import secrets
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from diagnose.testing.certs import make_certificate
from diagnose.testing.faults import Faults, Rule
from diagnose.testing.fixtures import ARM_HOST, GRAPH_HOST, Exchange, FixtureSet
from diagnose.testing.members import GROUP_MEMBERS, Members

__all__ = ["ArmServer", "Faults", "Received", "Reply", "Rule"]

PAGE_PARAMETER = "loopbackPage"
"""The query parameter of the pages the server makes itself (distinct from a fixture's own
$skiptoken, so both kinds of paging can be combined)."""
DIRECTORY_OBJECT = re.compile(r"^/v1\.0/directoryObjects/([0-9a-f-]{36})$", re.IGNORECASE)
BATCH_PATH = "/v1.0/$batch"
READ_POSTS = (
    re.compile(r"^/providers/microsoft\.resourcegraph/resources$"),
    re.compile(r"^/v1\.0/directoryobjects/getbyids$"),
    re.compile(r"^/v1\.0/directoryobjects/[^/]+/getmembergroups$"),
)


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
    in_batch: bool = False
    """A sub-request of a JSON batch (recorded after the batch's own entry)."""
    sub_requests: tuple[tuple[str, str], ...] = ()
    """For a JSON batch: (method, path) of each sub-request it carried."""

    @property
    def is_read(self) -> bool:
        if self.method == "GET":
            return True
        if self.method == "POST" and self.path.rstrip("/").lower() == BATCH_PATH.lower():
            return bool(self.sub_requests) and all(_is_read(m, p) for m, p in self.sub_requests)
        return _is_read(self.method, self.path)


def _is_read(method: str, path: str) -> bool:
    if method == "GET":
        return True
    return method == "POST" and any(p.match(path.lower().rstrip("/")) for p in READ_POSTS)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    data: bytes
    trickle: float = 0.0
    """Seconds between bytes of the body (0: all at once)."""


class ArmServer:
    def __init__(
        self, fixtures: FixtureSet, faults: Faults | None = None, *, tenant: Any = None
    ) -> None:
        self.fixtures = fixtures
        self.faults = faults or Faults()
        self.tenant = tenant
        """A generated tenant (diagnose.testing.tenant.SyntheticTenant) answering before the
        fixtures: answer(method, path, query, json) -> (status, body) or None."""
        self.received: list[Received] = []
        self.unmatched: list[str] = []
        self._lock = threading.Lock()
        self._directory = tempfile.TemporaryDirectory(prefix="armserver-")
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.ca_bundle = Path(self._directory.name) / "server.pem"
        self._static = {id(e.body): e.body for e in fixtures.exchanges}
        """The fixtures' own bodies: answered as they are, so each is encoded once."""
        self._encoded: dict[int, bytes] = {}
        self._group_members = Members(fixtures)
        self._in_flight = 0
        self.most_in_flight = 0
        """The most requests the server was answering at once (the client's concurrency as
        the server saw it)."""

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> ArmServer:
        files = make_certificate(Path(self._directory.name))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(files.certificate, files.key)
        server = self

        class Handler(_Handler):
            owner = server

        httpd = _Server(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self.url = f"https://127.0.0.1:{httpd.server_address[1]}"
        self._thread = threading.Thread(target=httpd.serve_forever, name="armserver", daemon=True)
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
    def answer(self, method: str, raw_path: str, body: bytes, authorization: str) -> Reply:
        with self._lock:
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
            crowded = (
                bool(self.faults.max_in_flight) and self._in_flight > self.faults.max_in_flight
            )
        try:
            return self._answer(method, raw_path, body, authorization, crowded)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(
        self, method: str, raw_path: str, body: bytes, authorization: str, crowded: bool
    ) -> Reply:
        split = urlsplit(raw_path)
        path = unquote(split.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        page = int(query.pop(PAGE_PARAMETER, "0") or 0)
        authorized = authorization.lower().startswith("bearer ")
        if crowded:  # more requests at once than the server takes: throttled, as ARM does
            status, headers, payload = self._crowded(path)
        else:
            status, headers, payload = self._respond(method, path, query, body, page, authorization)
        subs: list[Received] = []
        if (
            status == 200
            and method == "POST"
            and path.rstrip("/").lower() == BATCH_PATH.lower()
            and isinstance(payload, _Batch)
        ):
            payload, subs = self._batch(payload.requests, authorization)
        payload = self._without_value(method, path, status, payload)
        with self._lock:
            self.received.append(
                Received(
                    method,
                    path,
                    query,
                    status,
                    time.monotonic(),
                    authorized,
                    page,
                    sub_requests=tuple((r.method, r.path) for r in subs),
                )
            )
            self.received.extend(subs)
        trickle = self.faults.trickle_interval if self.faults.trickles(method, path) else 0.0
        return Reply(status, headers, self._encode(payload), trickle)

    def _encode(self, payload: Any) -> bytes:
        """The body sent, the fixtures' hosts replaced by the server's own; a fixture's body
        answered whole is encoded once (a scale scenario's listings are megabytes)."""
        static = self._static.get(id(payload)) is payload
        if static and id(payload) in self._encoded:
            return self._encoded[id(payload)]
        text = json.dumps(payload).replace(ARM_HOST, self.url).replace(GRAPH_HOST, self.url)
        data = text.encode("utf-8")
        if static:
            self._encoded[id(payload)] = data
        return data

    def _crowded(self, path: str) -> tuple[int, dict[str, str], Any]:
        if self.faults.latency:
            time.sleep(self.faults.latency)
        headers = _ids(path.lower().startswith("/v1.0/"))
        headers["Retry-After"] = _seconds(self.faults.crowded_retry_after)
        return 429, headers, _error("TooManyRequests", "too many requests at once; retry later")

    def _without_value(self, method: str, path: str, status: int, payload: Any) -> Any:
        if (
            status == 200
            and isinstance(payload, dict)
            and self.faults.lists_without_value(method, path)
        ):
            return {k: v for k, v in payload.items() if k not in ("value", "data")}
        return payload

    def _batch(self, requests: list[Any], authorization: str) -> tuple[Any, list[Received]]:
        """Answer each sub-request of a JSON batch as its single call would be answered."""
        answers: list[dict[str, Any]] = []
        received: list[Received] = []
        for item in requests:
            if not isinstance(item, dict):
                continue
            split = urlsplit(str(item.get("url") or ""))
            method = str(item.get("method") or "GET").upper()
            path = "/v1.0" + unquote(split.path)
            query = dict(parse_qsl(split.query, keep_blank_values=True))
            status, headers, payload = self._dispatch(
                method, path, query, item.get("body"), 0, authorization
            )
            payload = self._without_value(method, path, status, payload)
            answers.append(
                {"id": item.get("id"), "status": status, "headers": headers, "body": payload}
            )
            received.append(
                Received(method, path, query, status, time.monotonic(), True, 0, in_batch=True)
            )
        return {"responses": answers[::-1]}, received

    def _respond(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        page: int,
        authorization: str,
    ) -> tuple[int, dict[str, str], Any]:
        graph = path.lower().startswith("/v1.0/")
        headers = _ids(graph)
        if self.faults.latency:
            time.sleep(self.faults.latency)
        if not authorization.lower().startswith("bearer "):
            return 401, headers, _error("InvalidAuthenticationToken", "no bearer token")
        if method == "POST" and path.rstrip("/").lower() == BATCH_PATH.lower():
            with self._lock:
                rule = next((r for r in self.faults.rules if r.applies(method, path)), None)
                if rule is not None:
                    rule.hits += 1
            if rule is not None:  # the batch itself throttled, refused, ...
                return self._ruled(rule, headers, authorization)
            try:
                requests = json.loads(body).get("requests")
            except (ValueError, AttributeError):
                requests = None
            if not isinstance(requests, list) or not 0 < len(requests) <= 20:
                return 400, headers, _error("BadRequest", "Invalid batch payload format.")
            return 200, headers, _Batch(requests)
        try:
            request_json = json.loads(body) if body else None
        except ValueError:
            return 400, headers, _error("InvalidRequestContent", "the body is not JSON")
        return self._dispatch(method, path, query, request_json, page, authorization)

    def _dispatch(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        request_json: Any,
        page: int,
        authorization: str,
    ) -> tuple[int, dict[str, str], Any]:
        """The answer to one request (on its own or inside a batch; its JSON body decoded),
        latency and the bearer check aside."""
        graph = path.lower().startswith("/v1.0/")
        headers = _ids(graph)
        with self._lock:
            rule = next((r for r in self.faults.rules if r.applies(method, path)), None)
            if rule is not None:
                rule.hits += 1
        if rule is not None:
            return self._ruled(rule, headers, authorization)
        if graph and self.faults.graph_forbidden:
            return (
                403,
                headers,
                _error(
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                ),
            )
        scope = self._forbidden_scope(path) if not graph else None
        if scope is not None:
            return (
                403,
                headers,
                _error(
                    "AuthorizationFailed",
                    "The client 'user@contoso.com' with object id "
                    "'11111111-2222-3333-4444-555555555555' does not have authorization to perform "
                    f"action '{_action(path, method)}' over scope '{path}' or the scope is "
                    "invalid. "
                    "If access was recently granted, please refresh your credentials.",
                ),
            )
        generated = (
            self.tenant.answer(method, path, query, request_json)
            if self.tenant is not None
            else None
        )
        if generated is not None:
            return generated[0], headers, generated[1]
        exchange = self.fixtures.find(method, path, query, request_json)
        directory_object = DIRECTORY_OBJECT.match(path) if method == "GET" else None
        if exchange is None and directory_object is not None:
            return self._directory_object(directory_object.group(1), headers)
        group_members = GROUP_MEMBERS.match(path) if method == "GET" else None
        if exchange is None and group_members is not None:
            status, answer = self._group_members.answer(group_members.group(1), query, self.url)
            return status, headers, answer
        if exchange is None:
            with self._lock:
                self.unmatched.append(f"{method} {path} {query}")
            return (
                404,
                headers,
                _error("NoFixture", f"no recorded response for {method} {path} {query}"),
            )
        headers.update(exchange.headers)
        if exchange.by_ids:
            answer = exchange.body_for(request_json)
            left_out = {i.lower() for i in self.faults.left_out}
            if left_out and isinstance(answer, dict):
                answer = dict(
                    answer,
                    value=[
                        o
                        for o in answer.get("value") or []
                        if str(o.get("id", "")).lower() not in left_out
                    ],
                )
            return exchange.status, headers, answer
        return exchange.status, headers, self._paged(exchange, path, query, page)

    def _ruled(
        self, rule: Rule, headers: dict[str, str], authorization: str
    ) -> tuple[int, dict[str, str], Any]:
        headers.update(rule.headers)
        if rule.retry_after is not None:
            headers["Retry-After"] = _seconds(rule.retry_after)
        message = f"injected {rule.status}"
        if rule.echo_token:  # what a careless server does with the header it was sent
            headers["x-ms-request-id"] = authorization.partition(" ")[2]
            message = f"the request with Authorization: {authorization} is not valid"
            body = _error(rule.code or str(rule.status), message)
            body["error"]["details"] = {
                "authorization": authorization,
                "token": authorization.partition(" ")[2],
            }
            return rule.status, headers, body
        return rule.status, headers, _error(rule.code or str(rule.status), message)

    def _directory_object(
        self, object_id: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        """A direct read of a directory object, answered from the getByIds fixture."""
        for exchange in self.fixtures.exchanges:
            if not exchange.by_ids or not isinstance(exchange.body, dict):
                continue
            for item in exchange.body.get("value") or []:
                if str(item.get("id", "")).lower() == object_id.lower():
                    return 200, headers, item
        return (
            404,
            headers,
            _error(
                "Request_ResourceNotFound",
                f"Resource '{object_id}' does not exist or one of its "
                "queried reference-property objects are not present.",
            ),
        )

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
        if (
            not size
            or exchange.method != "GET"
            or not isinstance(body, dict)
            or not isinstance(body.get("value"), list)
            or body.get("nextLink")
        ):
            return body
        items = body["value"]
        chunk = dict(body, value=items[page * size : (page + 1) * size])
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
        reply = self.owner.answer(
            self.command, self.path, body, self.headers.get("Authorization") or ""
        )
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(reply.data)))
        self.end_headers()
        if not reply.trickle:
            self.wfile.write(reply.data)
            return
        try:  # one byte at a time, until done or the client hangs up
            for index in range(len(reply.data)):
                self.wfile.write(reply.data[index : index + 1])
                self.wfile.flush()
                time.sleep(reply.trickle)
        except OSError:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return None


class _Server(ThreadingHTTPServer):
    request_queue_size = 256
    """Connections waiting to be accepted: a collection opens dozens at once, and the
    default of 5 drops the rest's SYNs (the kernel retries them a second later: a stall
    Azure's front doors never cause)."""


@dataclass
class _Batch:
    """A JSON batch accepted, its sub-requests still to answer."""

    requests: list[Any]


_SERIAL = itertools.count(1)
_PREFIX = secrets.token_hex(4)


def _request_id() -> str:
    """A unique id shaped like a GUID (cheaper than uuid4, which reads the OS's random
    source for each of the thousands a scale scenario answers)."""
    serial = f"{next(_SERIAL):020x}"
    return f"{_PREFIX}-{serial[:4]}-4{serial[4:7]}-8{serial[7:10]}-{serial[10:]}"


def _ids(graph: bool) -> dict[str, str]:
    if graph:
        return {"request-id": _request_id(), "client-request-id": _request_id()}
    return {"x-ms-request-id": _request_id(), "x-ms-correlation-request-id": _request_id()}


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _seconds(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


def _action(path: str, method: str) -> str:
    parts = [p for p in path.split("/") if p]
    if "providers" in parts:
        index = len(parts) - 1 - parts[::-1].index("providers")
        namespace, rest = parts[index + 1], parts[index + 2 :]
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
    server = ArmServer(
        load_fixture_set(args.fixtures), Faults(latency=args.latency, page_size=args.page_size)
    ).start()
    print(
        f"serving {args.fixtures} at {server.url}\nREQUESTS_CA_BUNDLE={server.ca_bundle}",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
