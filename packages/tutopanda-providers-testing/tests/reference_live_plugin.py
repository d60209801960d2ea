"""A small reference live plugin that talks to the fakes with plain ``httpx``.

It exists to prove the conformance suite's live rules can all be met (and fail when they are
not): create, poll, cancel on deadline or cancellation, download, error classification, no
retries of its own. The real Replicate and OpenAI plugins do the same through the SDKs.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field
from tutopanda_providers import (
    Artefact,
    Cost,
    HandlerContext,
    Implementation,
    ModelCard,
    OutputSpec,
    Price,
    PriceRate,
    ProducerKind,
    ProducerRequest,
    ProducerResult,
    ProviderMetadata,
    ResultMeta,
    WarmStartContext,
    hookimpl,
)
from tutopanda_providers.contracts import (
    AuthError,
    InvalidInputError,
    NotFoundError,
    ProviderError,
    ProviderFailedError,
    ProviderTimeoutError,
    QuotaError,
    RateLimitedError,
    Script,
    TransientError,
)
from tutopanda_providers_testing.conformance.checks import facts_from_bytes


class ImagenInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt: str = Field(min_length=1)
    aspect_ratio: Literal["1:1", "16:9", "9:16", "3:4", "4:3"] = "1:1"
    output_format: Literal["jpg", "png"] = "jpg"


class ScriptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: str = Field(min_length=3)


IMAGEN = ModelCard(
    provider="replicate",
    model="google/imagen-4",
    kind=ProducerKind.IMAGE,
    input_model=ImagenInputs,
    output=OutputSpec(type="image", mime="image/jpeg"),
    price=Price(rates=(PriceRate(name="image", unit="image", usd=0.04),), source="reference"),
    secret_names=("REPLICATE_API_TOKEN",),
)
GPT5 = ModelCard(
    provider="openai",
    model="gpt-5",
    kind=ProducerKind.SCRIPT,
    input_model=ScriptRequest,
    output=OutputSpec(type="json", mime="application/json"),
    price=Price(rates=(PriceRate(name="output", unit="1M tokens", usd=10.0),), source="reference"),
    secret_names=("OPENAI_API_KEY",),
)


def _classify(answer: httpx.Response, provider: str) -> ProviderError:
    try:
        body = answer.json()
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    message = str(error.get("message") or body.get("detail") or answer.reason_phrase)
    retry_after = answer.headers.get("retry-after")
    wait = float(retry_after) if retry_after else None
    status = answer.status_code
    text = f"{provider} answered {status}: {message}"
    if status in (401, 403):
        return AuthError(text, provider=provider)
    if status == 404:
        return NotFoundError(text, provider=provider)
    if status in (400, 422):
        return InvalidInputError(text, provider=provider)
    if status == 429 and error.get("code") == "insufficient_quota":
        return QuotaError(text, provider=provider)
    if status == 429:
        return RateLimitedError(text, retry_after=wait, provider=provider)
    return TransientError(text, provider=provider, retry_after=wait)


class _Base:
    environment: Literal["local", "cloud"] = "local"
    mode: Literal["live", "mock"] = "live"
    secret_name = ""

    def __init__(self, context: HandlerContext, default_base: str) -> None:
        self.model = context.descriptor.model
        self.base_url = str(context.options.get("base_url") or default_base)
        self.secret = context.secrets.resolve(self.secret_name)

    def _headers(self) -> dict[str, str]:
        if self.secret is None:
            raise AuthError(f"{self.secret_name} is not set", provider=self.provider)  # type: ignore[attr-defined]
        return {"Authorization": f"Bearer {self.secret.reveal()}"}

    async def warm_start(self, context: WarmStartContext) -> None:
        self._headers()

    async def _send(self, client: httpx.AsyncClient, method: str, url: str, **kw: Any) -> Any:
        provider = self.provider  # type: ignore[attr-defined]
        try:
            answer = await client.request(method, url, **kw)
        except httpx.TimeoutException as exc:
            raise ProviderTimeoutError(f"{provider} timed out", provider=provider) from exc
        except httpx.TransportError as exc:
            raise TransientError(
                f"{provider} connection failed: {type(exc).__name__}",
                provider=provider,
                request_sent=True,
            ) from exc
        if answer.status_code >= 400:
            raise _classify(answer, provider)
        try:
            return answer.json()
        except ValueError as exc:
            raise TransientError(f"{provider} sent malformed JSON", provider=provider) from exc


class ReplicateReference(_Base):
    provider = "replicate"
    secret_name = "REPLICATE_API_TOKEN"

    def __init__(self, context: HandlerContext) -> None:
        super().__init__(context, "https://api.replicate.com")

    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        headers = self._headers()
        remaining = request.remaining()
        timeout = httpx.Timeout(remaining if remaining else 30.0, connect=5.0)
        async with httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=timeout
        ) as client:
            created = await self._send(
                client,
                "POST",
                f"/v1/models/{self.model}/predictions",
                json={"input": dict(request.inputs)},
            )
            prediction = created
            try:
                while prediction["status"] not in ("succeeded", "failed", "canceled", "aborted"):
                    await asyncio.sleep(0.01)
                    prediction = await self._send(client, "GET", f"/v1/predictions/{created['id']}")
            except asyncio.CancelledError:
                await asyncio.shield(self._cancel(created["id"], headers))
                raise
            if prediction["status"] != "succeeded":
                raise ProviderFailedError(
                    f"prediction {prediction['status']}: {prediction.get('error')}",
                    provider=self.provider,
                )
            output = prediction["output"]
            url = output[0] if isinstance(output, list) else output
            try:
                answer = await client.get(url, headers={})
            except httpx.TimeoutException as exc:
                raise ProviderTimeoutError("download timed out", provider=self.provider) from exc
            except httpx.TransportError as exc:
                raise TransientError(
                    f"download failed: {type(exc).__name__}", provider=self.provider
                ) from exc
            if answer.status_code in (404, 410):
                raise NotFoundError("the output URL has expired", provider=self.provider)
            data = answer.content
        mime = answer.headers["content-type"]
        blob = request.storage.write_bytes(data, mime=mime, suffix=".jpg")
        facts = facts_from_bytes(data, mime)
        artefact = Artefact(kind=ProducerKind.IMAGE, mime=mime, blob=blob, facts=facts or {})
        return ProducerResult(
            artefacts=[artefact],
            provider=ProviderMetadata(
                provider=self.provider,
                model=self.model,
                remote_job_id=created["id"],
                cost=Cost.unknown("the reference handler does not price"),
            ),
            meta=ResultMeta(mocked=False),
        )

    async def _cancel(self, prediction_id: str, headers: dict[str, str]) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=5) as client:
            await client.post(f"/v1/predictions/{prediction_id}/cancel")


class OpenAIReference(_Base):
    provider = "openai"
    secret_name = "OPENAI_API_KEY"

    def __init__(self, context: HandlerContext) -> None:
        super().__init__(context, "https://api.openai.com/v1")

    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        remaining = request.remaining()
        timeout = httpx.Timeout(remaining if remaining else 600.0, connect=5.0)
        body = {
            "model": self.model,
            "input": str(request.inputs["topic"]),
            "tools": [{"type": "web_search"}],
            "text": {
                "format": {
                    "type": "json_schema",
                    "name": "Script",
                    "strict": True,
                    "schema": Script.model_json_schema(),
                }
            },
        }
        async with httpx.AsyncClient(
            base_url=self.base_url, headers=self._headers(), timeout=timeout
        ) as client:
            response = await self._send(client, "POST", "/responses", json=body)
        if response["status"] != "completed":
            raise ProviderFailedError(f"response {response['status']}", provider=self.provider)
        text = "".join(
            part["text"]
            for item in response["output"]
            if item["type"] == "message"
            for part in item["content"]
        )
        script = Script.model_validate_json(text)
        usage = response["usage"]
        return ProducerResult(
            artefacts=[
                Artefact(
                    kind=ProducerKind.SCRIPT,
                    mime="application/json",
                    text=text,
                    data=json.loads(script.model_dump_json()),
                )
            ],
            provider=ProviderMetadata(
                provider=self.provider,
                model=self.model,
                response_ids=[response["id"]],
                cost=Cost.from_items([], source="reference")
                if False
                else Cost(
                    status="known",
                    amount_usd=usage["output_tokens"] * 10.0 / 1e6,
                    unit="1M tokens",
                    quantity=usage["output_tokens"] / 1e6,
                    source="reference",
                ),
            ),
        )


@hookimpl
def tutopanda_register_providers(register: Callable[[Implementation], None]) -> None:
    register(Implementation.for_card(IMAGEN, ReplicateReference, mode="live"))
    register(Implementation.for_card(GPT5, OpenAIReference, mode="live"))


_ = time
