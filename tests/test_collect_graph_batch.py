"""Microsoft Graph JSON batches (POST /v1.0/$batch) through the real Graph pipeline: each
sub-response answers as its single call would (a body, or the same ApiError), throttled
sub-responses go again in a later batch after their Retry-After and never past the
deadline, and a batch that fails whole is each of its requests' failure."""

from __future__ import annotations

import json
import time

import pytest
import responses

from diagnose.collect.clients import ApiError, RetrySettings, SubRequest, graph_client
from diagnose.collect.credentials import StaticTokenCredential
from diagnose.collect.pipeline import shared_connection
from diagnose.collect.requestlog import RequestLog

pytestmark = pytest.mark.usefixtures("requests_transport")  # `responses` patches requests

GRAPH = "https://graph.microsoft.com"
BATCH = f"{GRAPH}/v1.0/$batch"
TOKEN = "graph-bearer-token-value"
IDS = [f"00000000-0000-0000-0000-{n:012d}" for n in range(45)]
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def client(retries: int = 0, timeout: float = 60, log: RequestLog | None = None):
    return graph_client(
        GRAPH,
        StaticTokenCredential(TOKEN),
        f"{GRAPH}/.default",
        log if log is not None else RequestLog(),
        concurrency=2,
        retry=RetrySettings(total=retries, backoff_factor=0.01),
        shared=shared_connection(timeout, watchdog=False),
    )


def groups(i: int) -> SubRequest:
    return SubRequest(
        "POST", f"/directoryObjects/{IDS[i]}/getMemberGroups", {"securityEnabledOnly": False}
    )


def sent(call) -> list[dict]:
    return json.loads(call.request.body)["requests"]


def answering(rule):
    """A $batch callback: rule(request item, attempt) -> (status, headers, body)."""
    attempts: dict[str, int] = {}

    def answer(request):
        out = []
        for item in json.loads(request.body)["requests"]:
            attempts[item["url"]] = attempts.get(item["url"], 0) + 1
            status, headers, body = rule(item, attempts[item["url"]])
            out.append({"id": item["id"], "status": status, "headers": headers, "body": body})
        return 200, {}, json.dumps({"responses": out[::-1]})  # in no particular order

    return answer


def ok(item, attempt):
    return 200, {"Content-Type": "application/json"}, {"value": [item["url"].split("/")[2]]}


def test_sub_responses_answer_their_own_request_in_any_order_20_to_a_batch():
    with responses.RequestsMock() as mock:
        mock.add_callback("POST", BATCH, callback=answering(ok))
        answers = client().batch([groups(i) for i in range(45)])
        batches = [sent(c) for c in mock.calls]
    assert [len(b) for b in batches] == [20, 20, 5]
    assert answers == [{"value": [IDS[i]]} for i in range(45)]
    first = batches[0][0]
    assert first == {
        "id": "0",
        "method": "POST",
        "url": f"/directoryObjects/{IDS[0]}/getMemberGroups",
        "body": {"securityEnabledOnly": False},
        "headers": {"Content-Type": "application/json"},
    }


def test_failed_sub_responses_are_the_single_calls_errors():
    denied = {
        "error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges"}
    }
    gone = {"error": {"code": "Request_ResourceNotFound", "message": "does not exist"}}
    challenge = {
        "WWW-Authenticate": f'Bearer authorization_uri="https://login.windows.net/{TENANT}"'
    }

    def rule(item, attempt):
        index = IDS.index(item["url"].split("/")[2])
        return [
            (403, {}, denied),
            (404, {}, gone),
            (401, challenge, {"error": {"code": "InvalidAuthenticationToken", "message": ""}}),
            (200, {}, {"value": []}),
            (400, {}, {"error": {"code": "BadRequest", "message": f"bad {TOKEN}"}}),
        ][index]

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", BATCH, callback=answering(rule))
        answers = client().batch([groups(i) for i in range(5)])
    forbidden, missing, unauthorized, fine, bad = answers
    assert (forbidden.status, forbidden.code, forbidden.message) == (
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges",
    )
    assert (missing.status, missing.code) == (404, "Request_ResourceNotFound")
    assert (unauthorized.status, unauthorized.tenant) == (401, TENANT)
    assert unauthorized.message == "Unauthorized"  # no message: the reason phrase
    assert fine == {"value": []}
    assert bad.status == 400 and TOKEN not in bad.message  # cleaned of the token sent


def test_a_throttled_sub_request_goes_again_in_a_later_batch_after_its_retry_after():
    def rule(item, attempt):
        if item["url"].startswith(f"/directoryObjects/{IDS[1]}/") and attempt == 1:
            return 429, {"Retry-After": "1"}, {"error": {"code": "TooManyRequests"}}
        return ok(item, attempt)

    with responses.RequestsMock() as mock:
        stamps: list[float] = []
        callback = answering(rule)

        def timed(request):
            stamps.append(time.monotonic())
            return callback(request)

        mock.add_callback("POST", BATCH, callback=timed)
        answers = client(retries=3).batch([groups(i) for i in range(3)])
        batches = [sent(c) for c in mock.calls]
    assert answers == [{"value": [IDS[i]]} for i in range(3)]
    assert [len(b) for b in batches] == [3, 1]  # only the throttled one again
    assert batches[1][0]["url"] == f"/directoryObjects/{IDS[1]}/getMemberGroups"
    assert stamps[1] - stamps[0] >= 0.95  # Retry-After: 1 honoured


@pytest.mark.parametrize("status", [429, 503, 504])
def test_a_sub_request_throttled_every_time_ends_as_the_single_call_would(status):
    def rule(item, attempt):
        return status, {"Retry-After": "0"}, {"error": {"code": "Busy", "message": "later"}}

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", BATCH, callback=answering(rule))
        (answer,) = client(retries=2).batch([groups(0)])
        assert len(mock.calls) == 3  # the first batch and two retries, as for a single call
    assert isinstance(answer, ApiError) and (answer.status, answer.code) == (status, "Busy")


def test_a_retry_after_past_the_deadline_is_not_waited_for():
    def rule(item, attempt):
        return 429, {"Retry-After": "86400"}, {"error": {"code": "TooManyRequests"}}

    start = time.monotonic()
    with responses.RequestsMock() as mock:
        mock.add_callback("POST", BATCH, callback=answering(rule))
        answers = client(retries=4, timeout=30).batch([groups(0), groups(1)])
        assert len(mock.calls) == 1
    assert time.monotonic() - start < 5
    assert all(isinstance(a, ApiError) and a.code == "Timeout" for a in answers)


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (500, {"error": {"code": "InternalServerError", "message": "boom"}}, "InternalServerError"),
        (400, {"error": {"code": "BadRequest", "message": "Invalid batch"}}, "BadRequest"),
        (200, {"value": []}, "InvalidBatchResponse"),  # no `responses`: unknown, not empty
    ],
)
def test_a_batch_that_fails_whole_is_each_requests_failure(status, body, code):
    with responses.RequestsMock() as mock:
        mock.post(BATCH, status=status, json=body)
        answers = client().batch([groups(i) for i in range(3)])
    assert all(isinstance(a, ApiError) and (a.status, a.code) == (status, code) for a in answers)


def test_a_request_the_batch_answer_leaves_out_is_an_error_not_empty():
    with responses.RequestsMock() as mock:
        mock.post(BATCH, json={"responses": [{"id": "1", "status": 200, "body": {"value": []}}]})
        first, second = client().batch([groups(0), groups(1)])
    assert isinstance(first, ApiError) and first.code == "InvalidBatchResponse"
    assert second == {"value": []}


def test_the_request_log_records_each_batch_with_its_size():
    log = RequestLog()
    with responses.RequestsMock() as mock:
        mock.add_callback("POST", BATCH, callback=answering(ok))
        client(log=log).batch([groups(i) for i in range(25)])
    entries = log.entries()
    assert [(e["method"], e["path"], e["status"], e["subRequests"]) for e in entries] == [
        ("POST", "/v1.0/$batch", 200, 20),
        ("POST", "/v1.0/$batch", 200, 5),
    ]
    assert TOKEN not in json.dumps(entries)
