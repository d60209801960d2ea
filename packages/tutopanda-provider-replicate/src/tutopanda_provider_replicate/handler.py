"""The live Replicate handler: create, poll, download, and map what goes wrong.

One :class:`ReplicateHandler` serves one model. Per invoke:

1. **Create** the prediction with ``predictions.async_create(model=..., input=..., wait=False)``
   (no ``Prefer: wait``: the SDK's sync mode returns partial outputs when the server answers
   ``processing``). The prediction id is reported at once through
   ``request.report_remote_job`` (and emitted as ``replicate.prediction.created``) so the
   runner can persist it.
2. **Resume** instead of creating when ``request.resume_remote_job_id`` is set (a re-run of
   a crashed job), or when an earlier attempt of the same job in this process already created
   one (a retry after a lost poll or a cut download): no second prediction is paid for.
3. **Poll** with a growing delay (``poll_initial``, times ``poll_factor`` after each poll, up to ``poll_max``) until
   the status is terminal. The job's deadline bounds everything; when it passes, or the caller
   cancels, the prediction is canceled on Replicate (shielded from the cancellation) before the
   error propagates.
4. **Download** every output file at once into the request's storage (see
   :class:`tutopanda_providers.http_helpers.OutputDownloader`), or parse the script for the script model.

A create whose answer is lost (the connection drops after the request was sent, a 5xx, a body
that does not parse) is never re-sent blindly: the handler lists recent predictions and adopts
the one matching this model and input created after the send; if the list shows none, it raises
a retryable error with ``request_sent=False``; if the list cannot be read, the error says
``request_sent=True`` and the pipeline does not re-send.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from pydantic.v1 import ValidationError as SDKValidationError
from replicate.exceptions import ReplicateError
from tutopanda_providers.contracts import (
    Artefact,
    AuthError,
    ConfigurationError,
    Cost,
    Mode,
    ProducerKind,
    ProducerResult,
    ProviderError,
    ProviderFailedError,
    ProviderMetadata,
    ProviderTimeoutError,
    ResultMeta,
    TokenUsage,
    TransientError,
)
from tutopanda_providers.handler import HandlerContext, ProducerRequest, WarmStartContext
from tutopanda_providers.http_helpers import OutputDownloader, StoredOutput
from tutopanda_providers.secrets import Secret, check_secret_value

from tutopanda_provider_replicate import script_prompt
from tutopanda_provider_replicate.error_mapping import (
    map_api_error,
    map_transport_error,
    prediction_error,
)
from tutopanda_provider_replicate.pricing import IMAGE
from tutopanda_provider_replicate.sdk import (
    NoRetryClient,
    build_api_client,
    clear_error_headers,
    last_error_headers,
)
from tutopanda_provider_replicate.settings import DEFAULT_BASE_URL, HandlerSettings

TOKEN_NAME = "REPLICATE_API_TOKEN"
OUTPUT_GONE_HINT = (
    "Replicate's output URLs expire after about an hour; run the job again to make a new one"
)
MISSING_TOKEN = f"{TOKEN_NAME} is not set; export it or configure a secret resolver"
TERMINAL = frozenset({"succeeded", "failed", "canceled", "aborted"})

#: Event names this handler emits (through ``request.telemetry``).
PREDICTION_CREATED = "replicate.prediction.created"
PREDICTION_RESUMED = "replicate.prediction.resumed"
PREDICTION_ADOPTED = "replicate.prediction.adopted"
PREDICTION_CANCELED = "replicate.prediction.canceled"
#: A prediction asked to be resumed had ended without a result; a fresh one is created.
PREDICTION_NOT_RESUMED = "replicate.prediction.not_resumed"
#: Statuses after which a prediction never produces output: never resumed nor adopted.
ENDED_UNSUCCESSFULLY = frozenset({"failed", "canceled", "aborted"})
PREDICTION_CANCEL_FAILED = "replicate.prediction.cancel_failed"
OUTPUT_STORED = "replicate.output.stored"

# Errors after which a create may still have reached Replicate.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    # The request could not be written at all (a header value with a line break): nothing
    # reached Replicate, so nothing can have been created or billed.
    httpx.LocalProtocolError,
)
_MAX_REMEMBERED = 1024


@dataclass
class PredictionView:
    """What this handler needs of a prediction, whatever the SDK could parse."""

    id: str
    model: str
    version: str | None
    status: str
    output: Any = None
    error: Any = None
    logs: str | None = None
    metrics: Mapping[str, Any] = field(default_factory=dict)
    created_at: str | None = None
    input: Any = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PredictionView:
        """From the API's JSON (used where the SDK's model refuses a status, e.g. aborted)."""
        return cls(
            id=str(data["id"]),
            model=str(data.get("model") or ""),
            version=data.get("version"),
            status=str(data.get("status") or "starting"),
            output=data.get("output"),
            error=data.get("error"),
            logs=data.get("logs"),
            metrics=data.get("metrics") or {},
            created_at=data.get("created_at"),
            input=data.get("input"),
        )

    @classmethod
    def from_sdk(cls, prediction: Any) -> PredictionView:
        """From the SDK's ``Prediction``."""
        return cls(
            id=prediction.id,
            model=prediction.model,
            version=prediction.version,
            status=prediction.status,
            output=prediction.output,
            error=prediction.error,
            logs=prediction.logs,
            metrics=prediction.metrics or {},
            created_at=prediction.created_at,
            input=prediction.input,
        )


@dataclass
class _Run:
    """One invoke's progress, for cleanup on the way out."""

    request: ProducerRequest
    prediction_id: str | None = None
    sent_at: float | None = None
    resumed: bool = False
    adopted: bool = False


class ReplicateHandler:
    """Live handler of one Replicate model (see the module docstring for the lifecycle).

    Args:
        context: from the registry: the descriptor, the card, the secret resolver and
            ``options`` (see :class:`HandlerSettings`).
    """

    provider = "replicate"
    mode: Mode = "live"

    def __init__(self, context: HandlerContext) -> None:
        self.card = context.card
        self.model = context.descriptor.model
        self.environment = context.descriptor.environment
        self.settings = HandlerSettings.from_options(context.options)
        self._secrets = context.secrets
        self._client: NoRetryClient | None = None
        self._http: httpx.AsyncClient | None = None
        self._downloader: OutputDownloader | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inflight: OrderedDict[str, str] = OrderedDict()
        # Predictions this handler already owns: never adopted for another job.
        self._known: OrderedDict[str, None] = OrderedDict()
        self._background: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"ReplicateHandler({self.model!r})"

    # -- clients -----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The API origin this handler talks to."""
        return self.settings.base_url or os.environ.get("REPLICATE_BASE_URL") or DEFAULT_BASE_URL

    def _clients(self) -> tuple[NoRetryClient, httpx.AsyncClient, OutputDownloader]:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # httpx clients belong to the loop they were first used on; a new loop (a new
            # asyncio.run) gets new clients.
            secret = self._token()
            self._client, self._http = build_api_client(
                token=secret.reveal(),
                base_url=self.base_url,
                timeout=self.settings.timeout,
                connect_timeout=self.settings.connect_timeout,
            )
            # Output files live on a file host: no credential is sent to any host.
            self._downloader = OutputDownloader(
                provider=self.provider,
                timeout=self.settings.download_timeout,
                read_facts=self.settings.read_facts,
                gone_hint=OUTPUT_GONE_HINT,
            )
            self._loop = loop
        assert self._http is not None and self._downloader is not None
        return self._client, self._http, self._downloader

    async def aclose(self) -> None:
        """Close the HTTP clients (they are rebuilt on next use)."""
        if self._http is not None:
            await self._http.aclose()
        if self._downloader is not None:
            await self._downloader.aclose()
        self._client = self._http = self._downloader = None
        self._loop = None

    # -- warm start --------------------------------------------------------------------
    async def warm_start(self, context: WarmStartContext) -> None:
        """Fail now, clearly, if the token is missing or malformed (before the first job).

        No request is made: whether Replicate accepts the token is :meth:`check_credentials`'
        job (``doctor --live``), else it shows on the first call (a 401 maps to ``auth``).
        The SDK and download clients are created here, on the caller's event loop, so the first
        job does not pay for them (and its request is not late against a paced rate limit).
        """
        self._token()
        self._clients()
        await self._warm_connection_path()

    async def _warm_connection_path(self) -> None:
        """Pay now for what the first connection would pay: anyio's asyncio backend and socket
        helpers (imported lazily by httpcore on its first connection), the event loop's default
        thread pool (where ``getaddrinfo`` runs) and the API host's address lookup.

        Why: on a cold process the first create reached the server 0.15-0.35 s after the rate
        limiter admitted it (measured: those lazy imports), while later ones took 2 ms; a paced
        limit then saw the late first request arrive together with the next one (6 creates in
        a second at 5/s). Nothing is sent; a lookup that fails is left for the first call.
        """
        from urllib.parse import urlsplit

        try:  # anyio comes with httpx; without it there is nothing to warm
            import anyio

            anyio.Lock()  # loads the running loop's backend, as httpcore's first lock does
            anyio.Event()
            _ = anyio.connect_tcp  # a lazily imported module of anyio's
        except ImportError:  # pragma: no cover
            pass

        parts = urlsplit(self.base_url)
        if not parts.hostname:
            return
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            await asyncio.get_running_loop().getaddrinfo(parts.hostname, port)
        except OSError:
            return

    def _token(self) -> Secret:
        """The API token, present and well formed.

        Raises:
            AuthError: ``REPLICATE_API_TOKEN`` is missing, or cannot be a token (a line break,
                a space, a non-ASCII character): the message names the variable, never the value.
        """
        secret = self._secrets.resolve(TOKEN_NAME)
        if secret is None:
            raise AuthError(MISSING_TOKEN, provider=self.provider, model=self.model)
        check_secret_value(TOKEN_NAME, secret, provider=self.provider)
        return secret

    async def check_credentials(self) -> None:
        """Ask Replicate whether it accepts the token, with the free ``GET /v1/account``.

        Raises:
            AuthError: the token is missing, or Replicate answers 401 (rejected).
            ProviderError: Replicate could not be reached or failed (mapped like any call).
        """
        _, http, _ = self._clients()
        try:
            response = await http.get("/v1/account")
        except httpx.HTTPError as exc:
            raise map_transport_error(
                exc, model=self.model, action="check the token", request_sent=False
            ) from exc
        if response.status_code >= 400:
            raise map_api_error(
                ReplicateError.from_response(response),
                model=self.model,
                action="check the token",
                headers=response.headers,
            )

    # -- invoke ------------------------------------------------------------------------
    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        """Run one prediction (or resume one) and return its stored outputs."""
        started = time.perf_counter()
        remaining = request.remaining()
        if remaining is not None and remaining <= 0:
            raise ProviderTimeoutError(
                f"the job's deadline passed before {self.model} was started; nothing was sent",
                provider=self.provider,
                model=self.model,
                retryable=False,
            )
        api, _, _ = self._clients()
        run = _Run(request)
        try:
            async with asyncio.timeout(remaining):
                prediction = await self._start(api, run)
                prediction = await self._wait(api, prediction, run)
                return await self._finish(prediction, run, started)
        except TimeoutError:
            await self._cancel_remote(api, run, reason="deadline")
            raise ProviderTimeoutError(
                f"the job's deadline passed while {self.model} was running"
                + (
                    f"; prediction {run.prediction_id} was canceled on Replicate"
                    if run.prediction_id
                    else ""
                ),
                provider=self.provider,
                model=self.model,
                retryable=False,
                details={"prediction_id": run.prediction_id},
            ) from None
        except asyncio.CancelledError:
            task = asyncio.create_task(self._cancel_remote(api, run, reason="canceled"))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            # Canceled again while waiting: the cancel goes on in the background.
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)
            raise

    def preview_request(self, inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The create call :meth:`invoke` sends for ``inputs``: ``POST
        /v1/models/{owner}/{name}/predictions`` with ``{"input": ...}`` built by the same
        :meth:`_payload` (polls and downloads follow from its answer)."""
        return [
            {
                "method": "POST",
                "path": f"/v1/models/{self.model}/predictions",
                "body": {"input": self._payload(inputs)},
            }
        ]

    def _payload(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if self.card.kind is ProducerKind.SCRIPT:
            return script_prompt.replicate_input(inputs)
        return {k: v for k, v in inputs.items() if v is not None}

    # -- create or resume --------------------------------------------------------------
    async def _start(self, api: NoRetryClient, run: _Run) -> PredictionView:
        request = run.request
        resume_id = request.resume_remote_job_id or self._inflight.get(request.job.id)
        earlier = (
            await self._get(api, str(resume_id), action="resume the prediction")
            if resume_id
            else None
        )
        if earlier is not None and earlier.status in ENDED_UNSUCCESSFULLY:
            # A prediction that was canceled (by an earlier run stopped with Ctrl-C, or by hand),
            # aborted or failed will never produce anything: running the job again asks for a
            # result, so a fresh prediction is created (the old one has nothing to keep).
            request.telemetry.emit(
                PREDICTION_NOT_RESUMED, prediction_id=earlier.id, status=earlier.status
            )
            self._inflight.pop(request.job.id, None)
        elif earlier is not None:
            prediction = earlier
            if prediction.model and prediction.model != self.model:
                raise ProviderFailedError(
                    f"cannot resume prediction {resume_id}: it ran {prediction.model}, "
                    f"not {self.model}",
                    provider=self.provider,
                    model=self.model,
                    details={"prediction_id": resume_id},
                )
            run.prediction_id, run.resumed = prediction.id, True
            self._remember(request.job.id, prediction.id)
            request.report_remote_job(prediction.id, resumed=True, status=prediction.status)
            request.telemetry.emit(
                PREDICTION_RESUMED,
                prediction_id=prediction.id,
                model_version=prediction.version,
                status=prediction.status,
            )
            return prediction
        payload = self._payload(request.inputs)
        lost = await self._find_lost_create(payload, run)
        if lost is not None:
            return lost
        run.sent_at = time.time()
        action = "create the prediction"
        clear_error_headers()
        try:
            created = await api.predictions.async_create(
                model=self.model, input=payload, wait=False
            )
            prediction = PredictionView.from_sdk(created)
        except ReplicateError as exc:
            if (exc.status or 0) < 500:
                raise map_api_error(
                    exc, model=self.model, action=action, headers=last_error_headers()
                ) from None
            prediction = await self._adopt(api, payload, run, cause=f"HTTP {exc.status}")
        except _NOT_SENT as exc:
            raise map_transport_error(
                exc, model=self.model, action=action, request_sent=False
            ) from exc
        except UnicodeEncodeError as exc:
            # A header (the token) is not ASCII: the request was never built, nothing was sent.
            raise ConfigurationError(
                f"could not {action} for {self.model} on Replicate: a request header is not "
                f"ASCII ({TOKEN_NAME} holds a non-ASCII character?); nothing was sent. Set "
                f"{TOKEN_NAME} again exactly as issued.",
                provider=self.provider,
                model=self.model,
                request_sent=False,
                details={"error": type(exc).__name__},
            ) from None
        except httpx.HTTPError as exc:
            prediction = await self._adopt(api, payload, run, cause=type(exc).__name__)
        except (SDKValidationError, ValueError, KeyError) as exc:
            # The create was answered, but not with a prediction the SDK can read.
            prediction = await self._adopt(api, payload, run, cause=type(exc).__name__)
        run.prediction_id = prediction.id
        self._remember(request.job.id, prediction.id)
        request.report_remote_job(prediction.id, status=prediction.status)
        request.telemetry.emit(
            PREDICTION_CREATED,
            prediction_id=prediction.id,
            model_version=prediction.version,
            status=prediction.status,
            adopted=run.adopted,
        )
        return prediction

    async def _find_lost_create(
        self, payload: Mapping[str, Any], run: _Run
    ) -> PredictionView | None:
        """The prediction an earlier run's create made before the run died, if any.

        The runner logs a live job's start durably before the create is sent; a re-run whose
        log shows such a start with no prediction id passes ``adopt_since`` (that time) and
        ``claimed_remote_job_ids`` (every prediction the movie knows). A listed prediction of
        this model and input, created since then and claimed by no job, is that create's: it is
        adopted (reported as resumed) instead of paying for another. A list that cannot be read
        stops the job with ``request_sent=False``: creating blindly could pay twice.
        """
        request = run.request
        since = request.resume.get("adopt_since")
        if not isinstance(since, int | float) or isinstance(since, bool):
            return None
        claimed = request.resume.get("claimed_remote_job_ids") or ()
        run.sent_at = float(since)
        try:
            found = await self._find_created(payload, run, claimed=frozenset(map(str, claimed)))
        except (ProviderError, httpx.HTTPError, ValueError, KeyError) as exc:
            raise TransientError(
                f"an earlier run stopped while creating this {self.model} prediction, and "
                f"listing predictions to find it failed ({type(exc).__name__}); nothing new "
                "was created, so that one is not paid for twice. Run again to retry.",
                provider=self.provider,
                model=self.model,
                request_sent=False,
                details={"adopt_since": since},
            ) from None
        finally:
            run.sent_at = None
        if found is None:
            return None
        run.prediction_id, run.resumed, run.adopted = found.id, True, True
        self._remember(request.job.id, found.id)
        request.report_remote_job(found.id, resumed=True, status=found.status)
        request.telemetry.emit(
            PREDICTION_ADOPTED, prediction_id=found.id, cause="lost in an earlier run"
        )
        return found

    async def _adopt(
        self, api: NoRetryClient, payload: Mapping[str, Any], run: _Run, *, cause: str
    ) -> PredictionView:
        """After a create with no usable answer: find the prediction it made, or prove none."""
        await asyncio.sleep(self.settings.adopt_grace)
        claimed = frozenset(map(str, run.request.resume.get("claimed_remote_job_ids") or ()))
        try:
            found = await self._find_created(payload, run, claimed=claimed)
        except (ProviderError, httpx.HTTPError, ValueError, KeyError) as exc:
            raise TransientError(
                f"creating the {self.model} prediction got no usable answer ({cause}), and "
                f"listing predictions to see whether it exists failed ({type(exc).__name__}); "
                "a paid prediction may exist, so the create is not sent again",
                provider=self.provider,
                model=self.model,
                request_sent=True,
                details={"cause": cause},
            ) from None
        if found is None:
            raise TransientError(
                f"creating the {self.model} prediction got no usable answer ({cause}); "
                "Replicate's list of recent predictions shows none was created, so it is safe "
                "to try again",
                provider=self.provider,
                model=self.model,
                request_sent=False,
                details={"cause": cause, "confirmed_absent": True},
            )
        run.adopted = True
        run.request.telemetry.emit(PREDICTION_ADOPTED, prediction_id=found.id, cause=cause)
        return found

    async def _find_created(
        self,
        payload: Mapping[str, Any],
        run: _Run,
        *,
        claimed: frozenset[str] = frozenset(),
    ) -> PredictionView | None:
        """The listed prediction of this model and input, owned by no job, created closest to
        the send (no earlier than ``adopt_window`` seconds before it, the clock difference
        allowed with Replicate).

        Predictions this handler made, and those in ``claimed`` (the movie's), are skipped. A
        create reaches Replicate milliseconds after it is sent, so of several candidates (other
        runs sending the same input to the same model around the same time) the closest in
        time is ours; docs/reliability.md says what is left.
        """
        _, http, _ = self._clients()
        response = await http.get("/v1/predictions")
        if response.status_code >= 400:
            raise map_api_error(
                ReplicateError.from_response(response),
                model=self.model,
                action="list predictions",
                headers=response.headers,
            )
        wanted = _canonical(payload)
        since = (run.sent_at or 0.0) - self.settings.adopt_window
        best: tuple[float, Mapping[str, Any]] | None = None
        for item in response.json().get("results", []):
            if item.get("model") != self.model or item.get("id") in self._known:
                continue
            if item.get("id") in claimed or _canonical(item.get("input")) != wanted:
                continue
            if item.get("status") in ENDED_UNSUCCESSFULLY:
                continue  # it will never produce a result: not the one to adopt
            created = _timestamp(item.get("created_at"))
            if created is None or created < since:
                continue  # no creation time: cannot prove it is ours
            distance = abs(created - (run.sent_at or 0.0))
            if best is None or distance < best[0]:
                best = (distance, item)
        return PredictionView.from_json(best[1]) if best is not None else None

    # -- poll --------------------------------------------------------------------------
    async def _wait(
        self, api: NoRetryClient, prediction: PredictionView, run: _Run
    ) -> PredictionView:
        delay = self.settings.poll_initial
        while prediction.status not in TERMINAL:
            await asyncio.sleep(delay)
            prediction = await self._get(api, prediction.id, action="poll the prediction")
            delay = min(delay * self.settings.poll_factor, self.settings.poll_max)
        return prediction

    async def _get(self, api: NoRetryClient, prediction_id: str, *, action: str) -> PredictionView:
        clear_error_headers()
        try:
            return PredictionView.from_sdk(await api.predictions.async_get(prediction_id))
        except SDKValidationError:
            # The 1.0.7 SDK refuses statuses it does not know (``aborted``): read the JSON.
            return await self._get_raw(prediction_id, action=action)
        except ReplicateError as exc:
            raise _with_prediction(
                map_api_error(exc, model=self.model, action=action, headers=last_error_headers()),
                prediction_id,
            ) from None
        except httpx.HTTPError as exc:
            raise _with_prediction(
                map_transport_error(exc, model=self.model, action=action, request_sent=False),
                prediction_id,
            ) from exc
        except ValueError as exc:
            raise TransientError(
                f"Replicate's answer to {action} {prediction_id} was not JSON: {exc}",
                provider=self.provider,
                model=self.model,
                details={"prediction_id": prediction_id},
            ) from exc

    async def _get_raw(self, prediction_id: str, *, action: str) -> PredictionView:
        _, http, _ = self._clients()
        try:
            response = await http.get(f"/v1/predictions/{prediction_id}")
        except httpx.HTTPError as exc:
            raise map_transport_error(
                exc, model=self.model, action=action, request_sent=False
            ) from exc
        if response.status_code >= 400:
            raise map_api_error(
                ReplicateError.from_response(response),
                model=self.model,
                action=action,
                headers=response.headers,
            )
        return PredictionView.from_json(response.json())

    # -- finish ------------------------------------------------------------------------
    async def _finish(
        self, prediction: PredictionView, run: _Run, started: float
    ) -> ProducerResult:
        request = run.request
        if prediction.status != "succeeded":
            self._forget(request.job.id)
            raise prediction_error(
                model=self.model,
                prediction_id=prediction.id,
                status=prediction.status,
                error=prediction.error,
                logs=prediction.logs,
            )
        try:
            if self.card.kind is ProducerKind.SCRIPT:
                artefacts = [self._script_artefact(prediction, request)]
            else:
                artefacts = await self._download_all(prediction, request)
        except ProviderError as exc:
            exc.details.setdefault("prediction_id", prediction.id)
            if not exc.retryable:
                self._forget(request.job.id)
            raise
        self._forget(request.job.id)
        metadata = ProviderMetadata(
            provider=self.provider,
            model=self.model,
            environment=self.environment,
            model_version=prediction.version,
            remote_job_id=prediction.id,
            response_ids=[prediction.id],
            usage=_token_usage(prediction.metrics),
            latency_ms=(time.perf_counter() - started) * 1000,
            cost=self._cost(request.inputs, artefacts),
            extra={
                "status": prediction.status,
                "predict_time": prediction.metrics.get("predict_time"),
                "resumed": run.resumed,
                "adopted": run.adopted,
                "outputs": len(artefacts),
                **self._research_note(),
            },
        )
        return ProducerResult(artefacts=artefacts, provider=metadata, meta=ResultMeta(mocked=False))

    def _research_note(self) -> dict[str, Any]:
        """A script records whether it was researched (its model has web search)."""
        if self.card.kind is not ProducerKind.SCRIPT:
            return {}
        return {"researched": "web_search" in self.card.capabilities}

    def _script_artefact(self, prediction: PredictionView, request: ProducerRequest) -> Artefact:
        script = script_prompt.parse_script(
            script_prompt.join_chunks(prediction.output),
            model=self.model,
            segments=script_prompt.asked_segments(request.inputs),
        )
        return Artefact(
            name="script",
            kind=ProducerKind.SCRIPT,
            mime="application/json",
            data=script.model_dump(mode="json"),
        )

    async def _download_all(
        self, prediction: PredictionView, request: ProducerRequest
    ) -> list[Artefact]:
        urls = _output_urls(prediction.output)
        if not urls:
            raise ProviderFailedError(
                f"the {self.model} prediction {prediction.id} succeeded but returned no file",
                provider=self.provider,
                model=self.model,
            )
        _, _, downloader = self._clients()
        stored: list[StoredOutput] = await asyncio.gather(
            *(
                downloader.fetch(
                    url,
                    storage=request.storage,
                    expected=self.card.output.type,
                    promised_mime=self.card.output.mime,
                    model=self.model,
                )
                for url in urls
            )
        )
        artefacts: list[Artefact] = []
        for index, item in enumerate(stored):
            facts = item.facts
            seconds = request.inputs.get("duration")
            if (
                facts.duration_seconds is None
                and isinstance(seconds, int | float)
                and self.card.kind in (ProducerKind.VIDEO, ProducerKind.MUSIC)
            ):
                # No reader installed: the duration asked for is the best fact there is.
                facts = facts.model_copy(update={"duration_seconds": float(seconds)})
            request.telemetry.emit(
                OUTPUT_STORED, prediction_id=prediction.id, bytes=item.blob.size, mime=item.mime
            )
            artefacts.append(
                Artefact(
                    name="output" if len(stored) == 1 else f"output-{index}",
                    kind=self.card.kind,
                    mime=item.mime,
                    blob=item.blob,
                    facts=facts,
                )
            )
        return artefacts

    def _cost(self, inputs: Mapping[str, Any], artefacts: list[Artefact]) -> Cost:
        price = self.card.price
        if price.rate(IMAGE) is not None:
            # Priced per image: the number actually returned is the billed quantity.
            return price.cost({IMAGE: float(len(artefacts))}, status="known")
        estimate = self.card.estimate_cost(inputs)
        if estimate.status == "estimated" and self.card.extra.get("cost_from_inputs"):
            return estimate.model_copy(update={"status": "known"})
        return estimate

    # -- cancel ------------------------------------------------------------------------
    async def _cancel_remote(self, api: NoRetryClient, run: _Run, *, reason: str) -> None:
        """Cancel the run's prediction on Replicate; never raises."""
        prediction_id = run.prediction_id
        try:
            async with asyncio.timeout(self.settings.cancel_timeout):
                if prediction_id is None and run.sent_at is not None:
                    # Stopped while the create was in flight: it may exist all the same.
                    found = await self._find_created(self._payload(run.request.inputs), run)
                    prediction_id = found.id if found is not None else None
                if prediction_id is None:
                    return
                clear_error_headers()
                # An answer with a status the SDK cannot read (aborted) is still a cancel.
                with contextlib.suppress(SDKValidationError):
                    await api.predictions.async_cancel(prediction_id)
        except (ProviderError, ReplicateError, httpx.HTTPError, TimeoutError, ValueError) as exc:
            run.request.telemetry.emit(
                PREDICTION_CANCEL_FAILED,
                prediction_id=prediction_id,
                reason=reason,
                error=type(exc).__name__,
            )
            return
        finally:
            self._forget(run.request.job.id)
        run.request.telemetry.emit(PREDICTION_CANCELED, prediction_id=prediction_id, reason=reason)

    # -- bookkeeping -------------------------------------------------------------------
    def _remember(self, job_id: str, prediction_id: str) -> None:
        self._inflight[job_id] = prediction_id
        self._inflight.move_to_end(job_id)
        self._known[prediction_id] = None
        for table in (self._inflight, self._known):
            while len(table) > _MAX_REMEMBERED:
                table.popitem(last=False)

    def _forget(self, job_id: str) -> None:
        self._inflight.pop(job_id, None)


def _token_usage(metrics: Mapping[str, Any]) -> TokenUsage | None:
    """Tokens a language model on Replicate reported (``input_token_count`` /
    ``output_token_count`` in the prediction's metrics), or ``None`` for other models."""
    inputs, outputs = metrics.get("input_token_count"), metrics.get("output_token_count")
    if not isinstance(inputs, int) and not isinstance(outputs, int):
        return None
    return TokenUsage(
        input_tokens=inputs if isinstance(inputs, int) else None,
        output_tokens=outputs if isinstance(outputs, int) else None,
    )


def _with_prediction(error: ProviderError, prediction_id: str) -> ProviderError:
    error.details.setdefault("prediction_id", prediction_id)
    return error


def _output_urls(output: Any) -> list[str]:
    """Every file URL in an output: a string, a ``FileOutput``, or lists/dicts of them."""
    if output is None:
        return []
    if isinstance(output, str):
        return [output]
    url = getattr(output, "url", None)
    if isinstance(url, str):
        return [url]
    if isinstance(output, Mapping):
        return [u for value in output.values() for u in _output_urls(value)]
    if isinstance(output, list | tuple):
        return [u for item in output for u in _output_urls(item)]
    return []


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _timestamp(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


__all__ = [
    "MISSING_TOKEN",
    "OUTPUT_STORED",
    "PREDICTION_ADOPTED",
    "PREDICTION_CANCELED",
    "PREDICTION_CANCEL_FAILED",
    "PREDICTION_CREATED",
    "PREDICTION_RESUMED",
    "PredictionView",
    "ReplicateHandler",
]
