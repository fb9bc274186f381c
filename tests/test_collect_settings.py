"""Command-line input for live collection: the hub, endpoints, clouds and credentials."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from diagnose.collect.credentials import (
    Credentials,
    StaticTokenCredential,
    check_sign_in,
    credentials_for,
)
from diagnose.collect.settings import endpoint, parse_hub, settings_from_args
from diagnose.errors import BadInput
from diagnose.testing.harness import HUB_BASIC, cli_args

SUB = "00000000-1111-2222-3333-444444444444"
FOUNDRY = (
    f"/subscriptions/{SUB}/resourceGroups/rg-ai/providers/"
    "Microsoft.CognitiveServices/accounts/fdy-ai"
)


def test_hub_by_id():
    assert parse_hub(HUB_BASIC, None, None).id == HUB_BASIC
    assert parse_hub(HUB_BASIC.lower() + "/", None, None).id == HUB_BASIC.lower()


def test_hub_by_name_with_both_scopes_becomes_an_id():
    ref = parse_hub("hub-ai", SUB.upper(), "rg-ai")
    assert ref.id == (
        f"/subscriptions/{SUB}/resourceGroups/rg-ai/providers/"
        "Microsoft.MachineLearningServices/workspaces/hub-ai"
    )


def test_foundry_resource_and_project_ids_are_targets():
    assert parse_hub(FOUNDRY, None, None).id == FOUNDRY
    assert parse_hub(FOUNDRY + "/projects/proj-x/", None, None).id == FOUNDRY + "/projects/proj-x"


def test_a_name_with_both_scopes_falls_back_to_the_foundry_resource_of_that_name():
    ref = parse_hub("fdy-ai", SUB, "rg-ai")
    assert ref.id.endswith("/Microsoft.MachineLearningServices/workspaces/fdy-ai")
    assert ref.fallback == FOUNDRY
    long_name = "a" * 40  # too long for a hub: only a Foundry resource can have it
    assert parse_hub(long_name, SUB, "rg-ai").id == FOUNDRY.replace("fdy-ai", long_name)


def test_hub_by_name_alone_is_looked_up():
    ref = parse_hub("hub-ai", None, "rg-ai")
    assert (ref.id, ref.name, ref.resource_group) == (None, "hub-ai", "rg-ai")


@pytest.mark.parametrize(
    ("hub", "subscription", "group", "message"),
    [
        ("/subscriptions/x/resourceGroups/r", None, None, "not the ARM id of a hub, a Foundry"),
        (HUB_BASIC + "/connections/c", None, None, "not the ARM id of a hub, a Foundry"),
        (FOUNDRY + "/connections/c", None, None, "not the ARM id of a hub, a Foundry"),
        (FOUNDRY + "/deployments/d", None, None, "not the ARM id of a hub, a Foundry"),
        (
            FOUNDRY.replace("accounts", "accountz") + "/projects/p",
            None,
            None,
            "not the ARM id of a hub, a Foundry",
        ),
        ("hub' or 1==1", None, None, "neither an ARM id nor a valid hub, Foundry resource"),
        ("h", None, None, "neither"),
        ("hub-ai", "not-a-guid", None, "not a subscription id"),
        ("hub-ai", None, "rg'; drop", "not a valid resource group name"),
    ],
)
def test_bad_hub_input(hub, subscription, group, message):
    with pytest.raises(BadInput, match=message):
        parse_hub(hub, subscription, group)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://management.azure.com/", "https://management.azure.com"),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
        (
            "HTTPS://Management.Local.AzureStack.External",
            "https://management.local.azurestack.external",
        ),
    ],
)
def test_endpoints(url, expected):
    assert endpoint(url, "--arm-endpoint") == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://management.azure.com", "not an https URL"),
        ("management.azure.com", "not an https URL"),
        ("https://management.azure.com/subscriptions", "has a path"),
        ("https://user:pw@management.azure.com", "just https://host"),
        ("https://management.azure.com?x=1", "just https://host"),
        ("https://host:99999", "not a URL"),
    ],
)
def test_bad_endpoints(url, message):
    with pytest.raises(BadInput, match=message) as raised:
        endpoint(url, "--arm-endpoint")
    assert raised.value.where == "--arm-endpoint"


def test_clouds_choose_endpoints():
    china = settings_from_args(cli_args(cloud="AzureChinaCloud"))
    assert china.arm_endpoint == "https://management.chinacloudapi.cn"
    assert china.graph_scope == "https://microsoftgraph.chinacloudapi.cn/.default"
    gov = settings_from_args(
        cli_args(cloud="AzureUSGovernment", graph_endpoint="https://graph.example.us")
    )
    assert gov.arm_endpoint == "https://management.usgovcloudapi.net"
    assert gov.graph_endpoint == "https://graph.example.us"


@pytest.mark.parametrize("value", [0, 65, -1])
def test_concurrency_is_bounded(value):
    with pytest.raises(BadInput, match="from 1 to"):
        settings_from_args(cli_args(concurrency=value))


def test_tokens_from_the_environment():
    settings = settings_from_args(cli_args())
    only_arm = credentials_for(settings, {"DIAGNOSE_ARM_TOKEN": " a.b.c \n"})
    assert only_arm.arm.get_token("x").token == "a.b.c"
    assert only_arm.graph is None and "DIAGNOSE_GRAPH_TOKEN" in only_arm.graph_unavailable
    both = credentials_for(settings, {"DIAGNOSE_ARM_TOKEN": "a", "DIAGNOSE_GRAPH_TOKEN": "g"})
    assert both.graph.get_token("https://graph.microsoft.com/.default").token == "g"
    assert "a.b.c" not in repr(only_arm.arm)


def test_auth_choices_pick_azure_identity_credentials():
    import azure.identity as identity

    expected = {
        "cli": identity.AzureCliCredential,
        "default": identity.DefaultAzureCredential,
        "environment": identity.EnvironmentCredential,
        "managed-identity": identity.ManagedIdentityCredential,
    }
    for auth, kind in expected.items():
        credentials = credentials_for(settings_from_args(cli_args(auth=auth)), {})
        assert isinstance(credentials.arm, kind) and credentials.graph is credentials.arm


class _NotSignedIn:
    def get_token(self, *scopes, **kwargs):
        from azure.core.exceptions import ClientAuthenticationError

        raise ClientAuthenticationError("Please run 'az login' to set up an account.\nmore")


def test_no_sign_in_is_bad_input_that_says_how_to_sign_in():
    settings = settings_from_args(cli_args())
    with pytest.raises(BadInput) as raised:
        check_sign_in(Credentials(_NotSignedIn(), None, source="--auth cli"), settings)
    assert "could not sign in" in raised.value.what and "az login" in raised.value.what
    assert "az login" in raised.value.fix and "DIAGNOSE_ARM_TOKEN" in raised.value.fix
    check_sign_in(Credentials(StaticTokenCredential("t"), None), settings)  # no error


def test_help_imports_no_azure_module():
    code = (
        "import sys\nfrom diagnose.cli import main\n"
        "for argv in (['--help'], ['collect', '--help']):\n"
        "    main(argv)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'azure'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "100"},
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


class _Terminal:
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_only_on_a_terminal_and_not_when_quiet():
    from diagnose.collect.progress import NoProgress, RichProgress, progress_for

    assert isinstance(progress_for("x", quiet=False, stream=_Terminal()), RichProgress)
    assert isinstance(progress_for("x", quiet=True, stream=_Terminal()), NoProgress)
    assert isinstance(progress_for("x", quiet=False, stream=sys.stderr), NoProgress)  # captured
    with progress_for("hub [bold]x[/]", quiet=False, stream=_Terminal()) as shown:
        shown.stage("reading the hub")
        shown.request_done({"status": 200, "wave": 0})
        shown.request_done({"status": 403, "wave": 2})


def test_collect_live_reports_to_a_given_progress(monkeypatch):
    """The terminal UI passes its own progress object; requests are reported to it."""
    from diagnose.collect import collect_live
    from diagnose.testing.fixtures import load_fixture_set
    from diagnose.testing.replay import replay

    class Recorder:
        def __init__(self):
            self.stages, self.requests = [], []

        def stage(self, text):
            self.stages.append(text)

        def request_done(self, entry):
            self.requests.append(entry)

    monkeypatch.setenv("DIAGNOSE_ARM_TOKEN", "t")
    monkeypatch.setenv("DIAGNOSE_GRAPH_TOKEN", "g")
    recorder = Recorder()
    with replay(load_fixture_set("hub-basic")):
        collection = collect_live(settings_from_args(cli_args()), progress=recorder)
    assert recorder.stages == ["reading the hub"]
    assert len(recorder.requests) == len(collection.requests) > 40
