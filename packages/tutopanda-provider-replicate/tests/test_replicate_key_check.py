"""``check_credentials()``: one free ``GET /v1/account`` tells whether Replicate accepts the token."""

from __future__ import annotations

import asyncio

import pytest
from tutopanda_providers import Descriptor, create_provider_registry
from tutopanda_providers.contracts import AuthError, ProviderError
from tutopanda_providers.secrets import MappingSecretResolver
from tutopanda_providers_testing import FakeReplicateServer, Fault
from tutopanda_providers_testing.keys import CANARY_REPLICATE_TOKEN


def check(server: FakeReplicateServer, token: str) -> None:
    registry = create_provider_registry(
        mode="live",
        secrets=MappingSecretResolver({"REPLICATE_API_TOKEN": token}),
        provider_options={"replicate": {"base_url": server.base_url}},
    )

    async def ask() -> None:
        handler = registry.resolve(Descriptor.parse("replicate/google/imagen-4")).handler
        try:
            await handler.check_credentials()
        finally:
            await registry.aclose()

    asyncio.run(ask())


def test_the_right_token_is_accepted_with_one_free_request() -> None:
    with FakeReplicateServer(api_key=CANARY_REPLICATE_TOKEN) as server:
        check(server, CANARY_REPLICATE_TOKEN)
        assert [(r.method, r.path) for r in server.requests] == [("GET", "/v1/account")]


def test_a_wrong_token_is_an_auth_error_naming_the_variable() -> None:
    with (
        FakeReplicateServer(api_key=CANARY_REPLICATE_TOKEN) as server,
        pytest.raises(AuthError) as raised,
    ):
        check(server, "r8_wrong")
    assert "REPLICATE_API_TOKEN" in raised.value.message
    assert "r8_wrong" not in raised.value.message


def test_a_server_error_is_a_provider_error_not_an_auth_error() -> None:
    with FakeReplicateServer(api_key=CANARY_REPLICATE_TOKEN) as server:
        server.faults.add("account", Fault.status(503))
        with pytest.raises(ProviderError) as raised:
            check(server, CANARY_REPLICATE_TOKEN)
    assert not isinstance(raised.value, AuthError)
