"""``check_credentials()``: one free ``GET /v1/models`` tells whether OpenAI accepts the key."""

from __future__ import annotations

import asyncio

import pytest
from tutopanda_providers import Descriptor, create_provider_registry
from tutopanda_providers.contracts import AuthError, ProviderError
from tutopanda_providers.secrets import MappingSecretResolver
from tutopanda_providers_testing import FakeOpenAIServer, Fault
from tutopanda_providers_testing.keys import CANARY_OPENAI_KEY


def check(server: FakeOpenAIServer, key: str, model: str = "openai/gpt-5") -> None:
    registry = create_provider_registry(
        mode="live",
        secrets=MappingSecretResolver({"OPENAI_API_KEY": key}),
        provider_options={"openai": {"base_url": server.base_url}},
    )

    async def ask() -> None:
        try:
            await registry.resolve(Descriptor.parse(model)).handler.check_credentials()
        finally:
            await registry.aclose()

    asyncio.run(ask())


@pytest.mark.parametrize("model", ["openai/gpt-5", "openai/gpt-5-mini"])
def test_the_right_key_is_accepted_with_one_free_request(model: str) -> None:
    with FakeOpenAIServer(api_key=CANARY_OPENAI_KEY) as server:
        check(server, CANARY_OPENAI_KEY, model)
        assert [(r.method, r.path) for r in server.requests] == [("GET", "/v1/models")]
        assert server.responses_created == 0


def test_a_wrong_key_is_an_auth_error_naming_the_variable() -> None:
    with FakeOpenAIServer(api_key=CANARY_OPENAI_KEY) as server, pytest.raises(AuthError) as raised:
        check(server, "sk-wrong")
    assert "OPENAI_API_KEY" in raised.value.message and "sk-wrong" not in raised.value.message


def test_a_server_error_is_a_provider_error_not_an_auth_error() -> None:
    with FakeOpenAIServer(api_key=CANARY_OPENAI_KEY) as server:
        server.faults.add("models", Fault.status(503))
        with pytest.raises(ProviderError) as raised:
            check(server, CANARY_OPENAI_KEY)
    assert not isinstance(raised.value, AuthError)
