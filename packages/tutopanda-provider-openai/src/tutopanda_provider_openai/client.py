"""One Responses API call: the SDK client, its options, and what a call's answer means.

Imports ``openai``; only the handler factories import this module, so loading the plugin does
not.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import weakref
from typing import Any

import httpx2
import openai
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tutopanda_providers.contracts import AuthError, ConfigurationError, ProviderTimeoutError
from tutopanda_providers.handler import HandlerContext, ProducerRequest, WarmStartContext
from tutopanda_providers.secrets import Secret, check_secret_value

from tutopanda_provider_openai.cards import API_KEY_NAME, PROVIDER
from tutopanda_provider_openai.error_mapping import map_openai_error
from tutopanda_provider_openai.response_reading import ResponseReading, read_response

#: Event emitted after each Responses API answer (ids, status, usage; never prompts or text).
RESPONSE_EVENT = "openai.response"


class OpenAIOptions(BaseModel):
    """Per-provider options (``RegistryOptions.provider_options["openai"]``).

    Attributes:
        base_url: the API root, e.g. ``http://127.0.0.1:8080/v1``; else ``OPENAI_BASE_URL``,
            else OpenAI's.
        organization: the organisation id sent with each call (else ``OPENAI_ORG_ID``).
        project: the project id sent with each call (else ``OPENAI_PROJECT_ID``).
        timeout: seconds one call may take (a job's deadline shortens it).
        connect_timeout: seconds to open the connection.
    """

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    organization: str | None = None
    project: str | None = None
    timeout: float = Field(default=600.0, gt=0)
    connect_timeout: float = Field(default=5.0, gt=0)

    @classmethod
    def from_context(cls, context: HandlerContext) -> OpenAIOptions:
        """Read and check the options handed to a factory.

        Raises:
            ConfigurationError: an unknown option or a bad value, named.
        """
        try:
            return cls.model_validate(dict(context.options))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                for e in exc.errors(include_url=False)
            )
            raise ConfigurationError(
                f"bad provider options for {PROVIDER}: {problems}. Known options: "
                f"{', '.join(cls.model_fields)}.",
                provider=PROVIDER,
            ) from None


class ResponsesClient:
    """Calls the Responses API for one model and reads the answer.

    The SDK client is built on first use (with ``max_retries=0``: the registry owns retries),
    once per event loop, with the key from the registry's secret resolver.
    """

    def __init__(self, context: HandlerContext) -> None:
        self.model = context.descriptor.model
        self.options = OpenAIOptions.from_context(context)
        self._secrets = context.secrets
        self._sdk: openai.AsyncOpenAI | None = None
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None

    def api_key(self) -> Secret:
        """The API key.

        Raises:
            AuthError: the key is not set anywhere, with how to set it.
        """
        secret = self._secrets.resolve(API_KEY_NAME)
        if secret is None or not secret.reveal().strip():
            raise AuthError(
                f"{API_KEY_NAME} is not set, so {PROVIDER}/{self.model} cannot run live. Set it "
                f"in the environment (export {API_KEY_NAME}=...), in a .env file in the working "
                "directory, or through a secret resolver; or run this producer in mock mode.",
                provider=PROVIDER,
                model=self.model,
            )
        check_secret_value(API_KEY_NAME, secret, provider=PROVIDER)
        return secret

    def base_url(self) -> str | None:
        """The API root in use (``None``: the SDK's default)."""
        return self.options.base_url or os.environ.get("OPENAI_BASE_URL") or None

    def sdk(self) -> openai.AsyncOpenAI:
        """The SDK client of the running event loop."""
        loop = asyncio.get_running_loop()
        if self._sdk is None or self._loop is None or self._loop() is not loop:
            self._sdk = openai.AsyncOpenAI(
                api_key=self.api_key().reveal(),
                base_url=self.base_url(),
                organization=self.options.organization,
                project=self.options.project,
                timeout=httpx2.Timeout(self.options.timeout, connect=self.options.connect_timeout),
                max_retries=0,
            )
            self._loop = weakref.ref(loop)
        return self._sdk

    async def aclose(self) -> None:
        """Close the SDK client and its connections (a later call builds a new one)."""
        sdk, self._sdk, self._loop = self._sdk, None, None
        if sdk is not None:
            await sdk.close()

    async def warm_start(self, context: WarmStartContext) -> None:
        """Check readiness without a paid call: the key is set, well formed, and the client builds.

        Raises:
            AuthError: ``OPENAI_API_KEY`` is missing or cannot be a key (a line break, a space,
                a non-ASCII character), naming the variable.
        """
        self.api_key()
        self.sdk()
        context.telemetry.emit(
            "openai.warm_start", model=self.model, base_url_set=self.base_url() is not None
        )

    async def check_credentials(self) -> None:
        """Ask OpenAI whether it accepts the key, with the free ``GET /v1/models``.

        Raises:
            AuthError: the key is missing, or OpenAI answers 401 (rejected).
            ProviderError: OpenAI could not be reached or failed (mapped like any call).
        """
        # A listing answers in well under a second; a minute of silence means trouble.
        timeout = httpx2.Timeout(
            min(self.options.timeout, 60.0), connect=self.options.connect_timeout
        )
        try:
            await self.sdk().models.list(timeout=timeout)
        except (openai.OpenAIError, httpx2.HTTPError) as exc:
            raise map_openai_error(exc, model=self.model) from None

    async def create(self, request: ProducerRequest, body: dict[str, Any]) -> ResponseReading:
        """Send one ``POST /responses`` and read the answer.

        Raises:
            ProviderError: the SDK's failure mapped to its kind (see :mod:`.error_mapping`);
                :class:`ProviderTimeoutError` before sending if the job's deadline has passed.
        """
        timeout = self.options.timeout
        remaining = request.remaining()
        if remaining is not None:
            if remaining <= 0:
                raise ProviderTimeoutError(
                    f"the deadline of job {request.job.id} passed before {PROVIDER}/{self.model} "
                    "was called; nothing was sent",
                    provider=PROVIDER,
                    model=self.model,
                )
            timeout = min(timeout, remaining)
        client = self.sdk()
        started = time.perf_counter()
        try:
            # The raw answer: we read the JSON ourselves (see response_reading), which skips
            # building the SDK's typed model (about 4 ms a response here) and survives fields
            # the SDK does not know yet. Error statuses still raise the SDK's exceptions.
            raw = await client.responses.with_raw_response.create(
                **body,
                timeout=httpx2.Timeout(timeout, connect=min(timeout, self.options.connect_timeout)),
            )
            data = json.loads(raw.http_response.content)
            if not isinstance(data, dict):
                raise ValueError(f"the answer is JSON {type(data).__name__}, not an object")
        except (openai.OpenAIError, httpx2.HTTPError, ValueError) as exc:
            raise map_openai_error(exc, model=self.model) from None
        reading = read_response(data)
        request.telemetry.emit(
            RESPONSE_EVENT,
            response_id=reading.id,
            status=reading.status,
            incomplete_reason=reading.incomplete_reason,
            web_search_calls=reading.web_search_calls,
            duration_ms=(time.perf_counter() - started) * 1000,
            **reading.usage.to_dict(),
        )
        return reading


__all__ = ["RESPONSE_EVENT", "OpenAIOptions", "ResponsesClient"]
