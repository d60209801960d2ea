"""Keys that cannot work: caught by warm start naming the variable, never reported as a
possible charge when nothing was sent, and an authentication failure names the provider whose
key failed even when a fallback (with its own bad key) was tried after it.

Cases: 8 malformed values x 2 providers through warm start and through invoke without warm
start (the fake servers must see no request), plus a wrong OpenAI key behind a Replicate
fallback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from tutopanda_providers import create_provider_registry
from tutopanda_providers.contracts import AuthError, Descriptor, ErrorKind, ProviderError
from tutopanda_providers.pipeline import PipelineOptions
from tutopanda_providers.secrets import (
    MappingSecretResolver,
    check_secret_value,
    require_secret,
    secret_value_problem,
)
from tutopanda_providers.storage import BlobStore
from tutopanda_providers_testing.fake_openai import FakeOpenAIServer
from tutopanda_providers_testing.fake_replicate import FakeReplicateServer
from tutopanda_providers_testing.keys import CANARY_OPENAI_KEY, CANARY_REPLICATE_TOKEN
from tutopanda_providers_testing.pytest_plugin import fake_provider_options

from .conftest import FAST_REPLICATE, LIVE_CASES

NAMES = {"replicate": "REPLICATE_API_TOKEN", "openai": "OPENAI_API_KEY"}
MODELS = {"replicate": "replicate/google/imagen-4", "openai": "openai/gpt-5"}

#: Values a copy and paste really produces: what each holds, and the value (the base is valid).
MALFORMED = {
    "trailing-newline": "r8_abcdef0123456789\n",
    "crlf": "r8_abcdef0123456789\r\n",
    "inner-newline": "r8_abcdef\n0123456789",
    "space": "r8_abcdef 0123456789",
    "tab": "\tr8_abcdef0123456789",
    "smart-quote": "\u201cr8_abcdef0123456789\u201d",
    "no-break-space": "r8_abcdef0123456789\u00a0",
    "accented": "r8_abcdéf0123456789",
}


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[FakeReplicateServer, FakeOpenAIServer]]:
    with (
        FakeReplicateServer(api_key=CANARY_REPLICATE_TOKEN) as replicate,
        FakeOpenAIServer(api_key=CANARY_OPENAI_KEY) as openai,
    ):
        yield replicate, openai


def _registry(
    servers: tuple[FakeReplicateServer, FakeOpenAIServer],
    tmp_path: Path,
    secrets: dict[str, str],
    pipeline: PipelineOptions | None = None,
) -> object:
    replicate, openai = servers
    options = fake_provider_options(replicate, openai)
    options["replicate"] = {**options["replicate"], **FAST_REPLICATE}
    return create_provider_registry(
        mode="live",
        secrets=MappingSecretResolver(secrets),
        provider_options=options,
        storage=BlobStore(tmp_path / "blobs"),
        pipeline=pipeline,
    )


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_the_well_formedness_check_names_the_variable_never_the_value(case: str) -> None:
    value = MALFORMED[case]
    assert secret_value_problem(value) is not None
    with pytest.raises(AuthError) as caught:
        check_secret_value("OPENAI_API_KEY", value, provider="openai")
    message = caught.value.message
    assert "OPENAI_API_KEY" in message and "nothing was sent" in message
    assert value.strip() not in message
    with pytest.raises(AuthError):
        require_secret(MappingSecretResolver({"X_KEY": value}), "X_KEY")
    assert secret_value_problem("r8_abcdef0123456789") is None


@pytest.mark.parametrize("provider", sorted(NAMES))
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_key_fails_warm_start_naming_the_variable(
    servers: tuple[FakeReplicateServer, FakeOpenAIServer],
    tmp_path: Path,
    provider: str,
    case: str,
) -> None:
    replicate, openai = servers
    before = len(replicate.log) + len(openai.log)
    registry = _registry(servers, tmp_path, {NAMES[provider]: MALFORMED[case]})

    async def warm() -> list[object]:
        try:
            return await registry.warm_start([Descriptor.parse(MODELS[provider])], timeout=5)  # type: ignore[attr-defined,no-any-return]
        finally:
            await registry.aclose()  # type: ignore[attr-defined]

    [report] = asyncio.run(warm())
    assert report.status == "failed", report  # type: ignore[attr-defined]
    assert NAMES[provider] in (report.error or ""), report  # type: ignore[attr-defined]
    assert len(replicate.log) + len(openai.log) == before, "warm start sent a request"


@pytest.mark.parametrize("provider", sorted(NAMES))
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_key_never_claims_a_charge_and_sends_nothing(
    servers: tuple[FakeReplicateServer, FakeOpenAIServer],
    tmp_path: Path,
    provider: str,
    case: str,
) -> None:
    """Without warm start (a library caller that skipped it), invoke still sends nothing and
    says so: no "may have been billed", ``request_sent`` false."""
    replicate, openai = servers
    before = len(replicate.log) + len(openai.log)
    registry = _registry(servers, tmp_path, {NAMES[provider]: MALFORMED[case]})
    ref = MODELS[provider]

    async def call() -> None:
        try:
            await registry.invoke(Descriptor.parse(ref), LIVE_CASES[ref])  # type: ignore[attr-defined]
        finally:
            await registry.aclose()  # type: ignore[attr-defined]

    with pytest.raises(ProviderError) as caught:
        asyncio.run(call())
    error = caught.value
    assert not error.request_sent, error
    assert "billed" not in error.message and "charged" not in error.message, error.message
    assert NAMES[provider] in error.message, error.message
    assert len(replicate.log) + len(openai.log) == before, "a request reached a server"


def test_a_refused_key_is_named_before_the_fallbacks_error(
    servers: tuple[FakeReplicateServer, FakeOpenAIServer], tmp_path: Path
) -> None:
    """A wrong OpenAI key with a Replicate fallback whose token is wrong too: the message
    starts with OpenAI's refusal (OPENAI_API_KEY), the fallback's comes after it."""
    registry = _registry(
        servers,
        tmp_path,
        {NAMES["openai"]: "sk-wrong-but-well-formed", NAMES["replicate"]: "r8_wrong_token"},
        pipeline=PipelineOptions(fallbacks={"openai/gpt-5": ["replicate/google/gemini-2.5-flash"]}),
    )

    async def call() -> None:
        try:
            await registry.invoke(Descriptor.parse("openai/gpt-5"), LIVE_CASES["openai/gpt-5"])  # type: ignore[attr-defined]
        finally:
            await registry.aclose()  # type: ignore[attr-defined]

    with pytest.raises(ProviderError) as caught:
        asyncio.run(call())
    error = caught.value
    assert error.kind is ErrorKind.AUTH
    assert error.provider == "openai", error
    message = error.message
    assert "OPENAI_API_KEY" in message, message
    assert message.index("OPENAI_API_KEY") < message.find("REPLICATE_API_TOKEN") or (
        "REPLICATE_API_TOKEN" not in message
    ), message
    tried = error.details.get("tried")
    assert tried and tried[0] == "openai/gpt-5", error.details


@pytest.mark.parametrize("cause", ["local-protocol", "unicode-encode"])
def test_a_request_that_could_not_be_built_is_mapped_as_not_sent(cause: str) -> None:
    """Behind the warm-start check: if a header the protocol refuses still reaches the SDK,
    the mapped error says nothing was sent (no possible charge, safe to fall back)."""
    import httpx2
    import openai
    from tutopanda_provider_openai.error_mapping import map_openai_error

    request = httpx2.Request("POST", "http://127.0.0.1:9/v1/responses")
    exc: BaseException
    if cause == "local-protocol":
        exc = openai.APIConnectionError(request=request)
        exc.__cause__ = httpx2.LocalProtocolError("Illegal header value b'sk-x\\n'")
    else:
        exc = UnicodeEncodeError("ascii", "sk-\u201c", 3, 4, "ordinal not in range(128)")
    error = map_openai_error(exc, model="gpt-5")
    assert error.request_sent is False
    assert "nothing was sent" in error.message and "billed" not in error.message
    assert "OPENAI_API_KEY" in error.message
