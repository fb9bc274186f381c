"""What the clients do with a server on a bad day, replayed with `responses`: odd Retry-After
values, waits that would outlast the deadline, lists without their items, error bodies and
headers that echo the bearer token, and sign-in failures."""

from __future__ import annotations

import email.utils
import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import responses
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError
from azure.identity import CredentialUnavailableError

from diagnose.collect.clients import (
    ApiError,
    Connection,
    RetrySettings,
    arm_client,
    graph_client,
)
from diagnose.collect.credentials import (
    SDK_LOGGERS,
    Credentials,
    StaticTokenCredential,
    check_sign_in,
    quiet_sdk_logging,
    rejected_credentials,
)
from diagnose.collect.deadline import Deadline, DeadlineExceeded, parse_retry_after, retry_after
from diagnose.collect.requestlog import RequestLog
from diagnose.collect.scheduler import Scheduler
from diagnose.collect.sent_tokens import SentTokens
from diagnose.collect.settings import settings_from_args
from diagnose.errors import BadInput
from diagnose.testing.harness import cli_args

pytestmark = pytest.mark.usefixtures("requests_transport")  # `responses` patches requests

ARM = "https://management.azure.com"
GRAPH = "https://graph.microsoft.com"
LIST = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/providers/Microsoft.Authorization/"
    "roleAssignments"
)
VERSION = {"api-version": "2022-04-01"}
OPAQUE_TOKEN = "opaque-token-9f8e7d6c5b4a"  # looks like nothing: only its exact value gives it away
JWT_TOKEN = (
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUu"
    "Y29tIiwidGlkIjoiNzJmOTg4YmYifQ.c2lnbmF0dXJlLW5vdC1yZWFsLWJ1dC1sb25nLWVub3VnaA"
)

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def client(
    *,
    retries: int = 0,
    backoff_max: float = 30,
    timeout: float = 60,
    token: str = OPAQUE_TOKEN,
    log: RequestLog | None = None,
    shared: Connection | None = None,
):
    shared = shared or Connection(Deadline(timeout), SentTokens())
    return arm_client(
        ARM,
        StaticTokenCredential(token),
        f"{ARM}/.default",
        log if log is not None else RequestLog(),
        concurrency=2,
        retry=RetrySettings(total=retries, backoff_factor=0.01, backoff_max=backoff_max),
        shared=shared,
    )


# -- Retry-After -------------------------------------------------------------------------------
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("0", 0.0),
        ("7", 7.0),
        (" 12 ", 12.0),
        ("1.5", 1.5),
        ("86400", 86400.0),
        (email.utils.format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (email.utils.format_datetime(NOW - timedelta(days=1), usegmt=True), 0.0),  # past: at once
        ("Fri, 02 Jan 2026 03:04:15 -0000", 10.0),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(value, seconds):
    assert parse_retry_after(value, now=NOW) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "soon",
        "-5",
        "1e9",
        "inf",
        "nan",
        "Infinity",
        "0x10",
        "5 seconds",
        "١٢",
        "Fri, 99 Foo 2026 99:99:99 GMT",
        "9" * 40,
        "Wed, 21 Oct 99999 07:28:00 GMT",
    ],
)
def test_any_other_retry_after_means_the_normal_backoff(value):
    assert parse_retry_after(value, now=NOW) is None


def test_retry_after_headers_in_order():
    assert retry_after({"Retry-After": "3", "retry-after-ms": "100"}) == 3.0
    assert retry_after({"Retry-After": "garbage", "x-ms-retry-after-ms": "250"}) == 0.25
    assert retry_after({"Retry-After-Ms": "abc"}) is None
    assert retry_after({}) is None


def test_a_day_long_retry_after_waits_only_the_cap():
    with responses.RequestsMock() as mock:
        mock.get(
            f"{ARM}{LIST}",
            status=429,
            headers={"Retry-After": "86400"},
            json={"error": {"code": "TooManyRequests", "message": "come back tomorrow"}},
        )
        mock.get(f"{ARM}{LIST}", json={"value": [1]})
        start = time.monotonic()
        assert client(retries=2, backoff_max=0.4).get_pages(LIST, VERSION) == [1]
        elapsed = time.monotonic() - start
        assert len(mock.calls) == 2
    assert 0.35 <= elapsed < 2.0


def test_a_garbage_retry_after_falls_back_to_the_backoff():
    with responses.RequestsMock() as mock:
        mock.get(f"{ARM}{LIST}", status=503, headers={"Retry-After": "in a while"}, json={})
        mock.get(f"{ARM}{LIST}", status=429, headers={"Retry-After": "NaN"}, json={})
        mock.get(f"{ARM}{LIST}", json={"value": [1]})
        start = time.monotonic()
        assert client(retries=3).get_pages(LIST, VERSION) == [1]
        assert time.monotonic() - start < 1.0  # backoff 0.01 s, not a parse error or a hang
        assert len(mock.calls) == 3


def test_an_http_date_retry_after_is_honoured():
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    with responses.RequestsMock() as mock:
        mock.get(f"{ARM}{LIST}", status=429, headers={"Retry-After": when}, json={})
        mock.get(f"{ARM}{LIST}", json={"value": [1]})
        start = time.monotonic()
        assert client(retries=1).get_pages(LIST, VERSION) == [1]
        assert time.monotonic() - start >= 0.9  # the date is to the second: 1-2 s from now


def test_a_wait_past_the_deadline_is_not_begun():
    with responses.RequestsMock() as mock:
        mock.get(f"{ARM}{LIST}", status=429, headers={"Retry-After": "20"}, json={})
        start = time.monotonic()
        with pytest.raises(ApiError) as raised:
            client(retries=3, timeout=2).get_pages(LIST, VERSION)
        assert time.monotonic() - start < 1.0
        assert len(mock.calls) == 1
    assert raised.value.code == "Timeout" and "--timeout of 2 s" in raised.value.message


def test_nothing_is_sent_once_the_deadline_has_passed():
    deadline = Deadline(60)
    deadline.expire()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{ARM}{LIST}", json={"value": [1]})
        with pytest.raises(ApiError) as raised:
            client(shared=Connection(deadline, SentTokens())).get_pages(LIST, VERSION)
        assert len(mock.calls) == 0
    assert raised.value.code == "Timeout"


def test_a_wait_ending_past_the_deadline_is_refused_at_once():
    deadline = Deadline(0.5)
    start = time.monotonic()
    deadline.sleep(0.2)
    with pytest.raises(DeadlineExceeded, match=r"wait 0\.4 s"):
        deadline.sleep(0.4)
    assert time.monotonic() - start < 0.4


def test_the_watchdog_wakes_a_sleeping_retry():
    start = time.monotonic()
    deadline = Deadline(30)
    threading.Timer(0.2, deadline.expire).start()  # what the watchdog does at the deadline
    with pytest.raises(DeadlineExceeded, match="--timeout of 30 s"):
        deadline.sleep(10)
    assert time.monotonic() - start < 1.5
    assert deadline.passed and deadline.remaining() == 0.0
    timed = Deadline(0.2).start()
    time.sleep(0.5)
    assert timed.passed


# -- lists without their items -------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [{}, {"value": None}, {"value": {"a": 1}}, {"value": "x"}, {"nextLink": None, "count": 3}],
)
def test_an_arm_list_without_a_value_array_is_an_error_not_empty(body):
    with responses.RequestsMock() as mock:
        mock.get(f"{ARM}{LIST}", json=body)
        with pytest.raises(ApiError) as raised:
            client().get_pages(LIST, VERSION)
    assert (raised.value.status, raised.value.code) == (200, "InvalidList")
    assert "'value'" in raised.value.message and "unknown" in raised.value.message


def test_a_later_page_without_value_is_an_error_too():
    with responses.RequestsMock() as mock:
        mock.get(
            f"{ARM}{LIST}",
            json={"value": [1], "nextLink": f"{ARM}{LIST}?page=2"},
            match=[responses.matchers.query_param_matcher(VERSION)],
        )
        mock.get(
            f"{ARM}{LIST}",
            json={"nextLink": None},
            match=[responses.matchers.query_param_matcher({"page": "2"})],
        )
        with pytest.raises(ApiError, match="after 1 items"):
            client().get_pages(LIST, VERSION)


@pytest.mark.parametrize("body", [{"count": 0}, {"data": None}, {"data": {"rows": []}}])
def test_a_resource_graph_answer_without_data_is_an_error(body):
    with responses.RequestsMock() as mock:
        mock.post(f"{ARM}/providers/Microsoft.ResourceGraph/resources", json=body)
        with pytest.raises(ApiError) as raised:
            client().resource_graph("resources")
    assert raised.value.code == "InvalidList" and "'data'" in raised.value.message


# -- the token, echoed back ----------------------------------------------------------------
def _echo(request):
    sent = request.headers["Authorization"]
    body = {
        "error": {"code": "InvalidRequest", "message": f"bad request with {sent}", "details": sent}
    }
    return (
        400,
        {"x-ms-request-id": sent.partition(" ")[2], "x-ms-correlation-request-id": sent},
        json.dumps(body),
    )


@pytest.mark.parametrize("token", [OPAQUE_TOKEN, JWT_TOKEN])
def test_an_echoed_token_reaches_no_message_and_no_log(token):
    log = RequestLog()
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.GET, f"{ARM}{LIST}", callback=_echo)
        with pytest.raises(ApiError) as raised:
            client(token=token, log=log).get_pages(LIST, VERSION)
        assert mock.calls[0].request.headers["Authorization"] == f"Bearer {token}"  # used
    error = raised.value
    assert token not in f"{error.code} {error.message}" and "<removed>" in error.message
    assert token not in json.dumps(log.entries())
    assert log.entries()[0]["requestId"] == "<removed>"


def test_a_token_echoed_in_a_next_link_stays_out_of_the_log():
    log = RequestLog()
    with responses.RequestsMock() as mock:
        mock.get(
            f"{ARM}{LIST}",
            json={"value": [1], "nextLink": f"{ARM}{LIST}/{OPAQUE_TOKEN}"},
            match=[responses.matchers.query_param_matcher(VERSION)],
        )
        mock.get(f"{ARM}{LIST}/{OPAQUE_TOKEN}", json={"value": [2]})
        assert client(log=log).get_pages(LIST, VERSION) == [1, 2]
    assert OPAQUE_TOKEN not in json.dumps(log.entries())


def test_graph_and_arm_tokens_are_both_remembered_and_forgotten():
    tokens = SentTokens()
    shared = Connection(Deadline(60), tokens)
    graph = graph_client(
        GRAPH,
        StaticTokenCredential(JWT_TOKEN),
        f"{GRAPH}/.default",
        RequestLog(),
        concurrency=2,
        retry=RetrySettings(total=0),
        shared=shared,
    )
    with responses.RequestsMock() as mock:
        mock.get(f"{ARM}{LIST}", json={"value": []})
        mock.post(f"{GRAPH}/v1.0/directoryObjects/getByIds", json={"value": []})
        client(shared=shared).get_pages(LIST, VERSION)
        graph.post("/v1.0/directoryObjects/getByIds", {"ids": []})
    text = f"a {OPAQUE_TOKEN} b {JWT_TOKEN} c"
    assert tokens.without_tokens(text) == "a <removed> b <removed> c"
    assert tokens.clean_json({OPAQUE_TOKEN: [text]}) == {"<removed>": ["a <removed> b <removed> c"]}
    tokens.forget()
    assert tokens.without_tokens(text) == text


def test_short_values_are_not_taken_for_tokens():
    tokens = SentTokens()
    tokens.add("x")
    assert tokens.without_tokens("x marks the spot") == "x marks the spot"


# -- sign-in failures: one paragraph ------------------------------------------------------------
class _Failing:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def get_token(self, *scopes, **kwargs):
        raise self.error


DEFAULT_FAILURE = (
    "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
    "Attempted credentials:\n"
    "\tEnvironmentCredential: EnvironmentCredential authentication unavailable.\n"
    "Visit https://aka.ms/azsdk/python/identity/environmentcredential/troubleshoot\n"
    "\tManagedIdentityCredential: ManagedIdentityCredential authentication unavailable.\n"
    "\tAzureCliCredential: Please run 'az login' to set up an account\n"
    "To mitigate this issue, please refer to the troubleshooting guidelines here at "
    "https://aka.ms/azsdk/python/identity/defaultazurecredential/troubleshoot."
)


@pytest.mark.parametrize(
    ("error", "source", "said", "fix"),
    [
        (
            ClientAuthenticationError(DEFAULT_FAILURE),
            "--auth default",
            [
                "--auth default (_Failing)",
                "EnvironmentCredential, ManagedIdentityCredential, AzureCliCredential",
                "Please run 'az login'",
            ],
            "az login",
        ),
        (
            CredentialUnavailableError("Azure CLI not found on path"),
            "--auth cli",
            ["--auth cli (_Failing)", "Azure CLI not found on path"],
            "run `az login`",
        ),
        (
            CredentialUnavailableError(
                "EnvironmentCredential authentication unavailable.\nVisit x"
            ),
            "--auth environment",
            ["--auth environment"],
            "AZURE_CLIENT_SECRET",
        ),
        (
            ClientAuthenticationError(
                f"AADSTS700016: not found in the directory tenant '{TENANT}'.\nTrace ID: 1"
            ),
            "--auth cli",
            ["AADSTS700016"],
            f"az login --tenant {TENANT}",
        ),
        (
            ServiceRequestError("Failed to establish a new connection"),
            "--auth managed-identity",
            ["ServiceRequestError", "Failed to establish"],
            "network access",
        ),
    ],
)
def test_a_failed_sign_in_is_one_paragraph_naming_the_credential(error, source, said, fix):
    settings = settings_from_args(cli_args())
    with pytest.raises(BadInput) as raised:
        check_sign_in(Credentials(_Failing(error), None, source=source), settings)
    text = str(raised.value)
    assert "\n" not in text and "\t" not in text
    assert all(part in text for part in said), text
    assert fix in raised.value.fix and "DIAGNOSE_ARM_TOKEN" in raised.value.fix
    assert "troubleshooting guidelines" not in text  # the SDK's boilerplate is left out


def test_a_rejected_token_says_which_and_how_to_get_another():
    static = Credentials(StaticTokenCredential(JWT_TOKEN), None, source="DIAGNOSE_ARM_TOKEN")
    error = rejected_credentials(
        static,
        f"401 InvalidAuthenticationToken: {JWT_TOKEN}",
        TENANT,
        "https://management.usgovcloudapi.net",
    )
    text = str(error)
    assert "rejected the token in DIAGNOSE_ARM_TOKEN" in text and TENANT in text
    assert JWT_TOKEN not in text and "\n" not in text
    assert (
        "az account get-access-token --resource https://management.usgovcloudapi.net "
        f"--tenant {TENANT}"
    ) in error.fix
    cli = Credentials(_Failing(ValueError()), None, source="--auth cli")
    assert "the token from --auth cli (_Failing)" in str(rejected_credentials(cli, "401 x"))
    assert "az login" in rejected_credentials(cli, "401 x").fix


def test_sdk_log_lines_are_silenced_unless_debugging(monkeypatch):
    saved = {
        name: (logging.getLogger(name).level, list(logging.getLogger(name).handlers))
        for name in SDK_LOGGERS
    }
    try:
        for name in SDK_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)
        quiet_sdk_logging({"DIAGNOSE_DEBUG": "1"})
        assert logging.getLogger("azure.identity").isEnabledFor(logging.WARNING)
        quiet_sdk_logging({})
        assert not logging.getLogger("azure.identity").isEnabledFor(logging.CRITICAL)
        assert not logging.getLogger("msal").isEnabledFor(logging.CRITICAL)
    finally:
        for name, (level, handlers) in saved.items():
            logging.getLogger(name).setLevel(level)
            logging.getLogger(name).handlers[:] = handlers


# -- the scheduler gives up on a stuck step at the deadline ------------------------------------
def test_a_stuck_step_is_abandoned_after_the_grace_period():
    release = threading.Event()
    done: list[str] = []

    def stuck(wave: int) -> None:
        release.wait(30)

    def quick(wave: int, name: str) -> None:
        done.append(name)

    scheduler = Scheduler(1)
    scheduler.submit(0, stuck)
    scheduler.submit(0, quick, "queued behind it")
    start = time.monotonic()
    try:
        abandoned = scheduler.wait(Deadline(0.3).start(), grace=0.3)
        elapsed = time.monotonic() - start
    finally:
        release.set()
    assert abandoned == 2 and 0.5 <= elapsed < 2.0
    assert [(step.__name__, args) for step, args in scheduler.unfinished] == [
        ("stuck", ()),
        ("quick", ("queued behind it",)),
    ]
    scheduler.submit(1, quick, "after")  # refused: the collection is over
    time.sleep(0.1)
    assert done == []


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), 1e9, True, "10"])
def test_timeout_must_be_a_sensible_number_of_seconds(value):
    with pytest.raises(BadInput, match="--timeout"):
        settings_from_args(cli_args(timeout=value))


def test_timeout_defaults_to_ten_minutes():
    assert settings_from_args(cli_args()).timeout == 600
    assert settings_from_args(cli_args(timeout=2.5)).timeout == 2.5


def test_retries_are_spread_out_never_sooner_than_the_service_asked():
    """Requests refused together come back spread out: a backoff wait between its half and
    itself; a Retry-After wait at least what the service said, at most a tenth (or a
    second) more."""
    from diagnose.collect.pipeline import after_retry_after, jittered_backoff

    assert jittered_backoff(4.0, lambda low, high: low) == 2.0
    assert jittered_backoff(4.0, lambda low, high: high) == 4.0
    assert after_retry_after(5.0, lambda low, high: low) == 5.0
    assert after_retry_after(5.0, lambda low, high: high) == 5.5
    assert after_retry_after(60.0, lambda low, high: high) == 61.0
    assert after_retry_after(0.0, lambda low, high: high) == 0.0
    waits = {jittered_backoff(4.0) for _ in range(50)}
    assert len(waits) > 1 and all(2.0 <= w <= 4.0 for w in waits)
    told = [after_retry_after(2.0) for _ in range(50)]
    assert len(set(told)) > 1 and all(2.0 <= w <= 2.2 for w in told)


def test_the_retry_policy_spreads_both_kinds_of_wait(monkeypatch):
    from diagnose.collect import pipeline

    seen: list[tuple[str, float]] = []
    monkeypatch.setattr(
        pipeline, "jittered_backoff", lambda wait: seen.append(("backoff", wait)) or 0.0
    )
    monkeypatch.setattr(
        pipeline, "after_retry_after", lambda wait: seen.append(("told", wait)) or 0.0
    )
    with responses.RequestsMock() as mock:
        mock.get(f"{ARM}{LIST}", status=503, json={})
        mock.get(f"{ARM}{LIST}", status=429, headers={"Retry-After": "7"}, json={})
        mock.get(f"{ARM}{LIST}", json={"value": [1]})
        assert client(retries=3).get_pages(LIST, VERSION) == [1]
    assert [kind for kind, _ in seen] == ["backoff", "told"]
    assert seen[1] == ("told", 7.0)
