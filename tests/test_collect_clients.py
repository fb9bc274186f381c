"""The ARM / Graph clients: paging, Retry-After, bounded retries, errors, the request log."""

from __future__ import annotations

import json
import time

import pytest
import responses
from responses import matchers

from diagnose.collect.clients import ApiError, RetrySettings, arm_client, graph_client
from diagnose.collect.credentials import StaticTokenCredential
from diagnose.collect.requestlog import RequestLog, safe_query

ARM = "https://management.azure.com"
LIST = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/providers/Microsoft.Authorization/"
    "roleAssignments"
)

pytestmark = pytest.mark.usefixtures("requests_transport")  # `responses` patches requests
VERSION = {"api-version": "2022-04-01"}
TOKEN = "secret-bearer-token-value"


def client(retries: int = 0, log: RequestLog | None = None):
    log = log if log is not None else RequestLog()
    return arm_client(
        ARM,
        StaticTokenCredential(TOKEN),
        f"{ARM}/.default",
        log,
        concurrency=2,
        retry=RetrySettings(total=retries, backoff_factor=0.01),
    )


def page(items, next_token=None):
    body = {"value": items}
    if next_token:
        body["nextLink"] = f"{ARM}{LIST}?api-version=2022-04-01&$skiptoken={next_token}"
    return body


def test_pages_are_followed_to_the_end():
    with responses.RequestsMock() as mock:
        mock.get(
            f"{ARM}{LIST}",
            json=page([1, 2], "t2"),
            match=[matchers.query_param_matcher(VERSION, strict_match=True)],
        )
        mock.get(
            f"{ARM}{LIST}",
            json=page([3], "t3"),
            match=[matchers.query_param_matcher({**VERSION, "$skiptoken": "t2"})],
        )
        mock.get(
            f"{ARM}{LIST}",
            json=page([4]),
            match=[matchers.query_param_matcher({**VERSION, "$skiptoken": "t3"})],
        )
        assert client().get_pages(LIST, VERSION) == [1, 2, 3, 4]


def test_a_next_link_that_repeats_stops_the_listing():
    with responses.RequestsMock() as mock:
        mock.get(
            f"{ARM}{LIST}",
            json=page([1], "loop"),
            match=[matchers.query_param_matcher(VERSION, strict_match=True)],
        )
        mock.get(
            f"{ARM}{LIST}",
            json=page([2], "loop"),
            match=[matchers.query_param_matcher({**VERSION, "$skiptoken": "loop"})],
        )
        with pytest.raises(ApiError) as raised:
            client().get_pages(LIST, VERSION)
        assert len(mock.calls) == 2
    assert raised.value.code == "RepeatedNextLink"


def test_resource_graph_follows_skip_tokens_and_stops_on_a_repeat():
    url = f"{ARM}/providers/Microsoft.ResourceGraph/resources"
    with responses.RequestsMock() as mock:
        mock.post(
            url,
            json={"data": [{"id": "/a"}], "$skipToken": "s1"},
            match=[
                matchers.json_params_matcher(
                    {"query": "q", "options": {"resultFormat": "objectArray"}}
                )
            ],
        )
        mock.post(
            url,
            json={"data": [{"id": "/b"}]},
            match=[
                matchers.json_params_matcher(
                    {"query": "q", "options": {"resultFormat": "objectArray", "$skipToken": "s1"}}
                )
            ],
        )
        assert client().resource_graph("q") == [{"id": "/a"}, {"id": "/b"}]
    with responses.RequestsMock() as mock:
        mock.post(url, json={"data": [{"id": "/a"}], "$skipToken": "same"})
        with pytest.raises(ApiError, match="RepeatedSkipToken"):
            client().resource_graph("q", ["00000000-1111-2222-3333-444444444444"])
        body = json.loads(mock.calls[0].request.body)
        assert body["subscriptions"] == ["00000000-1111-2222-3333-444444444444"]


def test_retry_after_is_honoured():
    with responses.RequestsMock() as mock:
        mock.get(
            f"{ARM}{LIST}",
            status=429,
            headers={"Retry-After": "1"},
            json={"error": {"code": "TooManyRequests", "message": "slow down"}},
        )
        mock.get(f"{ARM}{LIST}", json=page([1]))
        start = time.monotonic()
        assert client(retries=3).get_pages(LIST, VERSION) == [1]
        assert time.monotonic() - start >= 0.95
        assert len(mock.calls) == 2


def test_throttled_queries_are_retried_too():
    url = f"{ARM}/providers/Microsoft.ResourceGraph/resources"
    with responses.RequestsMock() as mock:
        mock.post(url, status=429, headers={"Retry-After": "0"}, json={})
        mock.post(url, status=503, json={})
        mock.post(url, json={"data": [{"id": "/a"}]})
        assert client(retries=3).resource_graph("q") == [{"id": "/a"}]


def test_retries_are_bounded_then_the_error_is_returned():
    log = RequestLog()
    with responses.RequestsMock() as mock:
        mock.get(
            f"{ARM}{LIST}",
            status=500,
            json={"error": {"code": "InternalServerError", "message": "boom"}},
        )
        with pytest.raises(ApiError) as raised:
            client(retries=2, log=log).get_pages(LIST, VERSION)
        assert len(mock.calls) == 3
    assert (raised.value.status, raised.value.code, raised.value.message) == (
        500,
        "InternalServerError",
        "boom",
    )
    assert [e["status"] for e in log.entries()] == [500, 500, 500]


def test_a_request_throttled_more_than_three_times_gets_all_its_retries():
    """RetrySettings.total bounds the retries of a throttled request, not azure-core's own
    default of 3 retries on a bad status: behind a busy service a request can meet a 429
    four times running (the requests refused together come back together after the same
    Retry-After), and its fourth was an error in the snapshot with retries to spare."""
    graph = "https://graph.microsoft.com"
    by_ids = f"{graph}/v1.0/directoryObjects/getByIds"
    throttle = {"status": 429, "headers": {"Retry-After": "0"}, "json": {}}
    with responses.RequestsMock() as mock:
        for _ in range(5):
            mock.get(f"{ARM}{LIST}", **throttle)
            mock.post(by_ids, **throttle)
        mock.get(f"{ARM}{LIST}", json=page([1]))
        mock.post(by_ids, json={"value": [{"id": "a"}]})
        assert client(retries=5).get_pages(LIST, VERSION) == [1]
        people = graph_client(
            graph,
            StaticTokenCredential(TOKEN),
            f"{graph}/.default",
            RequestLog(),
            concurrency=2,
            retry=RetrySettings(total=5, backoff_factor=0.01),
        )
        assert people.post("/v1.0/directoryObjects/getByIds", {"ids": ["a"]}) == {
            "value": [{"id": "a"}]
        }
        assert len(mock.calls) == 12
    with responses.RequestsMock() as mock:
        mock.get(f"{ARM}{LIST}", **throttle)
        with pytest.raises(ApiError) as raised:
            client(retries=5).get_pages(LIST, VERSION)
        assert len(mock.calls) == 6  # and no more than that
    assert raised.value.status == 429


def test_an_error_without_a_json_body_keeps_its_status():
    with responses.RequestsMock() as mock:
        mock.get(f"{ARM}{LIST}", status=502, body="<html>bad gateway</html>")
        with pytest.raises(ApiError) as raised:
            client().get(LIST, VERSION)
    assert raised.value.status == 502 and raised.value.code is None


def test_the_request_log_has_ids_and_no_secrets():
    log = RequestLog()
    graph = graph_client(
        "https://graph.microsoft.com",
        StaticTokenCredential(TOKEN),
        "https://graph.microsoft.com/.default",
        log,
        concurrency=2,
        retry=RetrySettings(total=0),
    )
    with responses.RequestsMock() as mock:
        mock.get(
            f"{ARM}{LIST}",
            json=page([1], "opaque-token"),
            headers={"x-ms-request-id": "req-1", "x-ms-correlation-request-id": "corr-1"},
        )
        mock.get(
            f"{ARM}{LIST}",
            json=page([2]),
            headers={"x-ms-request-id": "req-2"},
            match=[matchers.query_param_matcher({**VERSION, "$skiptoken": "opaque-token"})],
        )
        mock.post(
            "https://graph.microsoft.com/v1.0/directoryObjects/getByIds",
            json={"value": []},
            headers={"request-id": "graph-1"},
        )
        client(log=log).get_pages(LIST, {**VERSION, "$filter": "atScope()"})
        graph.post("/v1.0/directoryObjects/getByIds", {"ids": []})
        sent = [c.request.headers.get("Authorization") for c in mock.calls]
    assert sent == [f"Bearer {TOKEN}"] * 3  # the token is used ...
    entries = log.entries()
    assert TOKEN not in json.dumps(entries)  # ... and never logged
    assert entries[0]["query"] == {"api-version": "2022-04-01", "$filter": "atScope()"}
    assert entries[1]["query"]["$skiptoken"] == "<redacted>"
    assert [(e["service"], e["requestId"]) for e in entries] == [
        ("arm", "req-1"),
        ("arm", "req-2"),
        ("graph", "graph-1"),
    ]
    assert entries[0]["correlationId"] == "corr-1"
    assert all(e["durationMs"] >= 0 and e["status"] == 200 for e in entries)


def test_safe_query_keeps_only_harmless_values():
    assert safe_query("https://x/p?api-version=1&sig=abc&$filter=atScope()&code=z") == {
        "api-version": "1",
        "sig": "<redacted>",
        "$filter": "atScope()",
        "code": "<redacted>",
    }


def test_the_environment_is_read_once_per_host_with_requests_own_rules(monkeypatch, tmp_path):
    """Proxies (with NO_PROXY) and the CA bundle come from the environment as requests takes
    them, read once per host instead of on every request; ~/.netrc is never read (its Basic
    credentials would replace the bearer token)."""
    import requests

    from diagnose.collect.pipeline import _environment_once_session

    netrc = tmp_path / ".netrc"
    netrc.write_text("machine management.azure.com login someone password hunter2\n")
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "graph.microsoft.com")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "ca.pem"))
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    session = _environment_once_session()

    def merged(url: str) -> dict:
        return session.merge_environment_settings(url, {}, None, True, None)

    arm = merged(f"{ARM}{LIST}?api-version=1")
    assert arm["proxies"]["https"] == "http://proxy.example:3128"
    assert arm["verify"] == str(tmp_path / "ca.pem")
    assert "https" not in merged("https://graph.microsoft.com/v1.0/$batch")["proxies"]
    monkeypatch.setenv("HTTPS_PROXY", "http://other.example:1")
    assert merged(f"{ARM}/x")["proxies"]["https"] == "http://proxy.example:3128"  # kept
    assert isinstance(session, requests.Session) and session.trust_env is False
    with responses.RequestsMock() as mock:
        mock.get(f"{ARM}{LIST}", json={"value": []})
        session.get(f"{ARM}{LIST}", headers={"Authorization": f"Bearer {TOKEN}"})
        assert mock.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
