"""Property tests: inputs that break a model's input schema — any field of any model of every
installed plugin — are refused before a request reaches a server, with a message naming the
field.

Each example starts from inputs the model accepts and breaks one thing: a value of the wrong
type, outside its enum or range, too long or too short; a required field left out; or a field
the model does not have. Live models run live against the fake servers (whose request logs
must stay empty); mock models run in mock mode.
"""

from __future__ import annotations

import asyncio
import json
import os
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tutopanda_providers import create_provider_registry
from tutopanda_providers.contracts import Descriptor, ErrorKind, ModelCard, ProviderError
from tutopanda_providers.secrets import MappingSecretResolver
from tutopanda_providers.storage import BlobStore
from tutopanda_providers_testing.fake_fal import CANARY_FAL_KEY, FakeFal
from tutopanda_providers_testing.fake_openai import FakeOpenAIServer
from tutopanda_providers_testing.fake_replicate import FakeReplicateServer
from tutopanda_providers_testing.pytest_plugin import canary_secrets, fake_provider_options

from .conftest import FAL_CASES, FAST_REPLICATE, LIVE_CASES, SEGMENT

MOCK_CASES: dict[str, dict[str, Any]] = {
    "mock/audio": {"text": "Bees make honey."},
    "mock/music": {"prompt": "calm piano"},
    "mock/script": {"topic": "how bees make honey"},
    "mock/prompt": {"segments": [SEGMENT]},
    "mock/image": {"prompt": "a bee"},
    "mock/video": {"prompt": "a bee"},
}
#: The example plugin (packages/tutopanda-provider-example) is installed in the workspace too.
EXAMPLE_CASES: dict[str, dict[str, Any]] = {"acme/pixel-1": {"prompt": "a bee"}}
BASES = {**LIVE_CASES, **FAL_CASES, **MOCK_CASES, **EXAMPLE_CASES}
EXAMPLES = int(os.environ.get("TUTOPANDA_RELIABILITY_EXAMPLES", "50"))

#: Model fields named like a producer-level input whose adapter takes a looser shape there: a
#: single URL for ``image_urls`` is a list of one (FAL's edit endpoints name their field so),
#: so a string is no break of that field.
LOOSER_SHAPES: dict[str, type] = {"image_urls": str}

_IDENT = st.text(string.ascii_lowercase + "_", min_size=3, max_size=20)


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null branches of a property schema."""
    options = schema.get("anyOf") or [schema]
    return [o for o in options if o.get("type") != "null"]


def _breakers(schema: dict[str, Any]) -> st.SearchStrategy[Any] | None:
    """Values that break every branch of ``schema`` (``None`` when none can be built)."""
    branches = _branches(schema)
    if not branches:
        return None
    types = {b.get("type") for b in branches}
    options: list[st.SearchStrategy[Any]] = []
    if len(branches) == 1:
        b = branches[0]
        if "enum" in b:
            allowed = set(b["enum"])
            options.append(
                st.text(string.ascii_letters + ":-", min_size=1, max_size=12).filter(
                    lambda v, allowed=allowed: v not in allowed
                )
            )
        if b.get("type") == "string":
            if b.get("minLength", 0) >= 1:
                options.append(st.just(""))
            if "maxLength" in b:
                options.append(
                    st.integers(b["maxLength"] + 1, b["maxLength"] + 40).map(lambda n: "a" * n)
                )
        if b.get("type") in ("integer", "number"):
            if "minimum" in b:
                options.append(st.integers(-10_000, -1).map(lambda d, m=b["minimum"]: m + d))
            if "exclusiveMinimum" in b:
                options.append(
                    st.integers(-10_000, 0).map(lambda d, m=b["exclusiveMinimum"]: m + d)
                )
            if "maximum" in b:
                options.append(st.integers(1, 10_000).map(lambda d, m=b["maximum"]: m + d))
            if "exclusiveMaximum" in b:
                options.append(st.integers(0, 10_000).map(lambda d, m=b["exclusiveMaximum"]: m + d))
        if b.get("type") == "array" and "minItems" in b and b["minItems"] >= 1:
            options.append(st.just([]))
    # A value of a type no branch takes (JSON types; no lax coercion can rescue them).
    if not types & {"string", None}:
        options.append(st.text(string.ascii_letters, min_size=1, max_size=8).map(lambda s: "x" + s))
    if not types & {"object", None}:
        options.append(st.dictionaries(_IDENT, st.integers(), min_size=1, max_size=2))
    if not types & {"array", None} and "string" not in types:
        options.append(st.lists(st.integers(), min_size=1, max_size=3))
    return st.one_of(options) if options else None


def invalid_inputs(
    card: ModelCard, base: dict[str, Any]
) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """``(field, inputs)``: the model's own valid inputs with ``field`` broken."""
    schema = card.input_model.model_json_schema()
    props: dict[str, Any] = schema["properties"]
    valid = card.validate_inputs(base)
    cases: list[st.SearchStrategy[tuple[str, dict[str, Any]]]] = []
    for name, prop in props.items():
        breaker = _breakers(prop)
        if breaker is not None and name in LOOSER_SHAPES:
            breaker = breaker.filter(lambda v, t=LOOSER_SHAPES[name]: not isinstance(v, t))
        if breaker is not None:
            cases.append(breaker.map(lambda v, n=name: (n, {**valid, n: v})))
    for name in schema.get("required", []):
        cases.append(st.just((name, {k: v for k, v in valid.items() if k != name})))
    if not card.passthrough:
        cases.append(
            _IDENT.filter(lambda n: n not in props).map(lambda n: (n, {**valid, n: "surprise"}))
        )
    return st.one_of(cases)


Servers = tuple[FakeReplicateServer, FakeOpenAIServer, FakeFal]


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    from tutopanda_providers_testing.keys import CANARY_OPENAI_KEY, CANARY_REPLICATE_TOKEN

    with (
        FakeReplicateServer(api_key=CANARY_REPLICATE_TOKEN) as replicate,
        FakeOpenAIServer(api_key=CANARY_OPENAI_KEY) as openai,
        FakeFal(api_key=CANARY_FAL_KEY) as fal,
    ):
        yield replicate, openai, fal


def test_every_installed_model_has_a_base_case() -> None:
    registry = create_provider_registry(mode="live")
    installed = {c.ref for c in registry.list_models()}
    assert installed == set(BASES), installed ^ set(BASES)


@pytest.mark.parametrize("ref", sorted(BASES))
def test_invalid_inputs_are_refused_before_any_request(
    ref: str, servers: Servers, tmp_path: Path
) -> None:
    replicate, openai, fal = servers
    options = fake_provider_options(replicate, openai, fal)
    options["replicate"] = {**options["replicate"], **FAST_REPLICATE}
    mode = "mock" if ref.startswith("mock/") else "live"
    registry = create_provider_registry(
        mode=mode,
        secrets=MappingSecretResolver(canary_secrets()),
        provider_options=options,
        storage=BlobStore(tmp_path / "blobs"),
    )
    card = registry.card(ref)
    loop = asyncio.new_event_loop()
    seen: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(invalid_inputs(card, BASES[ref]))
    def check(case: tuple[str, dict[str, Any]]) -> None:
        field, inputs = case
        before = len(replicate.log) + len(openai.log) + len(fal.log)
        with pytest.raises(ProviderError) as caught:
            loop.run_until_complete(registry.invoke(Descriptor.parse(card.ref), inputs))
        error = caught.value
        assert error.kind is ErrorKind.INVALID_INPUT, (field, inputs, error)
        assert field in error.message, f"the message does not name {field!r}: {error.message}"
        assert any(e["field"].split(".")[0] == field for e in error.details["errors"])
        assert len(replicate.log) + len(openai.log) + len(fal.log) == before, (
            "a request reached a server"
        )
        seen.append(field)

    try:
        check()
    finally:
        loop.close()
    assert len(replicate.log) == 0 and len(openai.log) == 0 and len(fal.log) == 0
    target = os.environ.get("TUTOPANDA_RELIABILITY_REPORT")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(
                json.dumps(
                    {"invalid_inputs": ref, "examples": len(seen), "fields": sorted(set(seen))}
                )
                + "\n"
            )
