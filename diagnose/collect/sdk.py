"""The Azure management SDK clients of one collection, sending through the collector's pipeline.

azure-mgmt-cognitiveservices reads Foundry resources, their projects, deployments, account and
project connections and private endpoint connections; azure-mgmt-cosmosdb reads Cosmos DB
accounts and their SQL role assignments and definitions; azure-mgmt-search reads Search
services; azure-mgmt-authorization lists role assignments, deny assignments and role
eligibility schedule instances and reads role definitions (one client per api-version of
apiversions.py: the multi-api client pages with the api-version of its configuration, which
one client shared between versions would change under a list in flight). Each client is
built with `policies=` (pipeline.policies: retries, the deadline, authentication, the
sent-token note, the request log and the read-only guard) and `transport=`
(pipeline.transport: connections the deadline watches), with the ARM endpoint as base_url:
an SDK call is sent exactly as a direct read is, and the SDK's own default policies (one of
which registers resource providers with a POST) are never used.

What the snapshot keeps is the JSON Azure returned, never a model serialised again: a GET's
body is taken with `cls`, a list's pages with a per-call `raw_response_hook` (a
CustomHookPolicy outermost in the pipeline sees each final response, after retries). A 200
list without its `value` array is an error, never an empty list, as for direct reads. Every
failure becomes an ApiError (clients.api_error) read from the response as a direct read's is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from importlib.metadata import version
from typing import Any

from diagnose.collect import apiversions
from diagnose.collect.clients import MAX_PAGES, ApiError, api_error, list_value
from diagnose.collect.guard import ARM_POSTS
from diagnose.collect.jsonbody import JsonDecodePolicy, response_json
from diagnose.collect.pipeline import USER_AGENT, Connection, RetrySettings, policies, transport
from diagnose.collect.requestlog import RequestLog

TOKEN_MARGIN = 300
"""Seconds before its expiry that a cached token is asked for again."""

DISTRIBUTIONS = {
    "cognitive": "azure-mgmt-cognitiveservices",
    "cosmos": "azure-mgmt-cosmosdb",
    "search": "azure-mgmt-search",
    "authorization": "azure-mgmt-authorization",
}
"""The distribution of each kind of client: its name and version go into the User-Agent, as
the SDK's own policy would put them (which SDK sent a request is visible in the service's
logs and in a replayed collection)."""


class SharedToken:
    """A TokenCredential that asks the one it wraps once per scope while the token lasts, so
    that every client of a collection (each with its own authentication policy) signs with the
    same token instead of asking the credential (the Azure CLI, say) again."""

    def __init__(self, credential: Any) -> None:
        self._credential = credential
        self._tokens: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        if kwargs.get("claims"):  # a claims challenge needs a new token
            return self._credential.get_token(*scopes, **kwargs)
        key = (scopes, kwargs.get("tenant_id"), bool(kwargs.get("enable_cae")))
        with self._lock:
            token = self._tokens.get(key)
            if token is not None and token.expires_on - TOKEN_MARGIN > time.time():
                return token
            token = self._credential.get_token(*scopes, **kwargs)
            self._tokens[key] = token
            return token

    def __repr__(self) -> str:
        return f"SharedToken({self._credential!r})"

    @property
    def wrapped(self) -> Any:
        return self._credential


class SdkClients:
    """CognitiveServicesManagementClient, CosmosDBManagementClient and SearchManagementClient
    per subscription and AuthorizationManagementClient per api-version, on one transport, each
    with its own pipeline of the collector's policies."""

    def __init__(
        self,
        endpoint: str,
        credential: Any,
        scope: str,
        log: RequestLog,
        *,
        concurrency: int,
        retry: RetrySettings,
        shared: Connection,
        connections: Any = None,
    ) -> None:
        self.endpoint = endpoint
        self._credential = credential
        self._scope = scope
        self._log = log
        self._retry = retry
        self._shared = shared
        self._concurrency = concurrency
        self._transport = connections or transport(concurrency, shared.deadline)
        """One transport for every SDK client, shared with the ARM client when given."""
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._transport.close()

    def _policies(self, kind: str) -> list[Any]:
        from azure.core.pipeline.policies import CustomHookPolicy
        from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

        auth = ARMChallengeAuthenticationPolicy(self._credential, self._scope)
        return [
            CustomHookPolicy(),
            *policies(
                auth,
                self._log,
                "arm",
                self.endpoint,
                ARM_POSTS,
                self._retry,
                self._shared,
                sdk=True,
                concurrency=self._concurrency,
                user_agent=_user_agent(kind),
            ),
        ]

    def _client(self, kind: str, subscription: str) -> Any:
        with self._lock:
            client = self._clients.get((kind, subscription))
            if client is None:
                client = self._build(kind, subscription)
                self._clients[(kind, subscription)] = client
            return client

    def _build(self, kind: str, subscription: str) -> Any:
        options: dict[str, Any] = {
            "base_url": self.endpoint,
            "policies": self._policies(kind),
            "transport": self._transport,
            "credential_scopes": [self._scope],
        }
        if kind == "cognitive":
            from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

            return CognitiveServicesManagementClient(
                self._credential,
                subscription,
                api_version=apiversions.COGNITIVE_SERVICES,
                **options,
            )
        if kind == "search":
            from azure.mgmt.search import SearchManagementClient

            return SearchManagementClient(
                self._credential, subscription, api_version=apiversions.SEARCH, **options
            )
        if kind == "authorization":
            from azure.mgmt.authorization import AuthorizationManagementClient

            # Every call made is by scope or by id: the subscription is never in a path.
            api_version = subscription
            return AuthorizationManagementClient(
                self._credential, "", api_version=api_version, **options
            )
        from azure.mgmt.cosmosdb import CosmosDBManagementClient

        return CosmosDBManagementClient(
            self._credential, subscription, api_version=apiversions.COSMOS_DB, **options
        )

    def cognitive(self, subscription: str) -> Any:
        """The CognitiveServicesManagementClient for this subscription."""
        return self._client("cognitive", subscription)

    def cosmos(self, subscription: str) -> Any:
        """The CosmosDBManagementClient for this subscription."""
        return self._client("cosmos", subscription)

    def search(self, subscription: str) -> Any:
        """The SearchManagementClient for this subscription."""
        return self._client("search", subscription)

    def authorization(self, api_version: str) -> Any:
        """The AuthorizationManagementClient speaking this api-version (of apiversions.py)."""
        return self._client("authorization", api_version)

    # -- calls -----------------------------------------------------------------------------
    def fits(self, shape: str, item: Any) -> bool:
        """Whether an answer of these clients has the snapshot's shape (shapes.fits). A
        scan's clients serve the same answers to many hubs and check each once (served.py)."""
        from diagnose.collect.shapes import fits

        return fits(shape, item)

    def get(self, operation: Callable[..., Any], *args: Any) -> Any:
        """The JSON body of an SDK get, as Azure returned it (also when the SDK's model
        cannot hold it: the caller checks its shape)."""
        from azure.core.exceptions import DeserializationError

        bodies: list[Any] = []

        def keep(pipeline_response: Any) -> None:
            if pipeline_response.http_response.status_code == 200:
                bodies.append(_raw_body(pipeline_response, None, None))

        try:
            return operation(*args, cls=_raw_body, raw_response_hook=keep)
        except DeserializationError:
            if bodies:
                return bodies[-1]
            raise ApiError(200, "UnexpectedShape", "the response could not be read") from None
        except Exception as exc:
            raise api_error(exc, self._shared.tokens) from None

    def list_all(self, operation: Callable[..., Any], *args: Any) -> list[Any]:
        """Every item of an SDK list, from the JSON of its pages as Azure returned them
        (paging followed by the SDK, at most MAX_PAGES pages, never the same page twice).
        Items the SDK's models cannot hold are returned as they are (the caller drops and
        reports what does not fit the snapshot); on a page with more after it they end the
        list, which is then an error."""
        from azure.core.exceptions import DeserializationError

        pages = _Pages()
        try:
            result = operation(*args, raw_response_hook=pages.hook)
            _drain(result)
        except DeserializationError:
            if pages.last is not None and not pages.last.get("nextLink"):
                return pages.items
            raise ApiError(
                200,
                "UnexpectedShape",
                f"a page of the list held items the SDK could not read after {len(pages.items)} "
                "items; the rest of the list is unknown",
            ) from None
        except Exception as exc:
            raise api_error(exc, self._shared.tokens) from None
        return pages.items

    def get_list(self, operation: Callable[..., Any], *args: Any) -> list[Any]:
        """Every item of an SDK call that returns one unpaged list (`value`)."""
        body = self.get(operation, *args)
        if not isinstance(body, dict):
            raise ApiError(200, "InvalidList", "a list response is not a JSON object")
        return list_value(body, "value")


def _user_agent(kind: str) -> str:
    distribution = DISTRIBUTIONS[kind]
    moniker = distribution.removeprefix("azure-")
    return f"{USER_AGENT} azsdk-python-{moniker}/{version(distribution)}"


def _raw_body(pipeline_response: Any, deserialized: Any, headers: Any) -> Any:
    try:
        return response_json(pipeline_response.http_response)
    except ValueError:
        raise ApiError(
            pipeline_response.http_response.status_code,
            "InvalidJson",
            "the response body is not JSON",
        ) from None


def _drain(result: Iterable[Any]) -> None:
    for _ in result:
        pass


class _Pages:
    """The raw items of a list's pages, as each final 200 response passes the hook."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.last: dict[str, Any] | None = None
        self._seen: set[str] = set()

    def hook(self, pipeline_response: Any) -> None:
        response = pipeline_response.http_response
        if response.status_code != 200:
            return  # the SDK raises for it; api_error reads the response
        url = str(response.request.url)
        if url in self._seen:
            raise ApiError(
                200,
                "RepeatedNextLink",
                f"the service returned the same nextLink twice after {len(self.items)} items; "
                "the list is incomplete",
            )
        self._seen.add(url)
        if len(self._seen) > MAX_PAGES:
            raise ApiError(200, "TooManyPages", f"more than {MAX_PAGES} pages; stopped")
        try:
            page = response_json(response)
        except ValueError:
            raise ApiError(200, "InvalidJson", "the response body is not JSON") from None
        if not isinstance(page, dict):
            raise ApiError(200, "InvalidList", "a list response is not a JSON object")
        self.items.extend(list_value(page, "value", len(self.items)))
        self.last = page
        # The SDK goes on from a page with no items and the same nextLink: it pages as before
        # but builds no model of the items, which are kept here as Azure returned them (the
        # models were never used, and building them was most of an SDK list's CPU).
        context = pipeline_response.context
        if isinstance(context.get(JsonDecodePolicy.CONTEXT_NAME), dict):
            context[JsonDecodePolicy.CONTEXT_NAME] = {
                key: value for key, value in page.items() if key != "value"
            } | {"value": []}


__all__ = ["SdkClients", "SharedToken"]
