"""The live FAL handler: submit to FAL's queue, poll, fetch the result, store the files.

One :class:`FalHandler` serves one endpoint (``fal-ai/veo3/fast``). Per invoke
(``reference/fal-api.md`` sections B-D):

1. **Submit** ``POST {base_url}/{endpoint}`` with the model input itself as the body (no
   ``{"input": ...}`` wrapper). The answer's ``request_id`` is reported at once through
   ``request.report_remote_job`` so a crashed run resumes polling instead of paying again.
2. **Resume** instead, when ``request.resume_remote_job_id`` is set (a re-run after a crash) or
   an earlier attempt of the same job in this process already queued one (a retry after a lost
   poll). A request FAL no longer knows (404: results are kept 1 h, 6 min when large) is gone,
   so a new one is submitted, and that is reported (``fal.request.not_resumed``).
3. **Poll** ``GET {base_url}/{owner}/{app}/requests/{id}/status?logs=1`` (202 while
   ``IN_QUEUE``/``IN_PROGRESS``, 200 at ``COMPLETED``) with a growing pause. Cancellation or the
   job's deadline sends ``PUT …/cancel`` (shielded, best effort) before the error goes on.
4. **Result** ``GET …/requests/{id}``. FAL has three statuses only: a failed request is
   ``COMPLETED`` with ``error``/``error_type``, and its result GET replays the model's error
   (a 422 ``detail`` list, a content-policy refusal), mapped by :mod:`.errors` and kept with
   the last lines of FAL's logs (``details["logs"]``).
5. **Store** the files named by the card's ``extra["result_key"]`` (``images``, ``video``,
   ``audio``) at once with core's :class:`~tutopanda_providers.http_helpers.OutputDownloader`
   (no key is sent to the file host; ``data:`` URIs of ``sync_mode`` work too).

**One connection pool.** The handler keeps one API client (``Authorization: Key …``) and one
file downloader (no key) per event loop, so a poll, the result and the next job reuse the
open keep-alive connection instead of a new TCP (and TLS) handshake each; each call gets its
own timeout (the job's remaining time at most). httpx clients belong to the loop they were
made on: a handler used from another loop (a new ``asyncio.run``) makes new ones. ``aclose``
(called by the registry's ``aclose``) closes them; they are rebuilt on next use.

**One retry owner.** The pipeline's retry middleware retries; this handler never does, and
never sends a submit twice: FAL has no idempotency key and no list of recent requests to find a
lost one in, so a submit whose answer is lost after it was sent is a ``transient`` error with
``request_sent=True`` (a paid request may exist) — the pipeline then neither re-sends nor falls
back. ``x-fal-no-retry`` is *not* sent: it would stop FAL's own server-side queue retries (on
503/504/connection errors), which cost us nothing.

**Why not ``fal_client``.** The official SDK (1.0.3) breaks these rules: it retries every call
up to 10 times *including the POST submit* (a duplicate paid job when the first was accepted),
and only a module global (``MAX_ATTEMPTS``) turns that off; its queue URL is a module global
too (``QUEUE_URL_FORMAT``, read at call time, so two handlers in one process cannot point at
two hosts safely) with ``https://`` hard-coded from environment variables read at import. The
queue protocol is four plain HTTP calls, so this handler speaks it with ``httpx``; the SDK is a
dev dependency only, used by the tests to prove the fake server speaks the real protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from tutopanda_providers import (
    Artefact,
    AuthError,
    CanceledError,
    HandlerContext,
    MediaFacts,
    NotFoundError,
    ProducerRequest,
    ProducerResult,
    ProviderError,
    ProviderFailedError,
    ProviderMetadata,
    ProviderTimeoutError,
    ResultMeta,
    TransientError,
    WarmStartContext,
)
from tutopanda_providers.http_helpers import OutputDownloader, StoredOutput
from tutopanda_providers.secrets import Secret, check_secret_value

from tutopanda_provider_fal.errors import (
    error_for_answer,
    failed_request_error,
    json_body,
    lost_submit,
    transport_error,
    with_logs,
)
from tutopanda_provider_fal.names import PROVIDER, SECRET_NAME
from tutopanda_provider_fal.pricing import billed
from tutopanda_provider_fal.queue import RequestUrls, submit_url
from tutopanda_provider_fal.settings import FalSettings

MISSING_KEY = (
    f"{SECRET_NAME} is not set: export it (a key from fal.ai, 'id:secret') or put it in .env "
    "(see `tutopanda-providers doctor`)"
)
OUTPUT_GONE_HINT = "FAL's output files may expire; run the job again to make new ones"
#: A request id FAL cannot know, for :meth:`FalHandler.check_credentials`.
PROBE_REQUEST_ID = "00000000-0000-4000-8000-000000000000"
#: Where a card's outputs are in the result JSON when its ``extra`` does not say.
DEFAULT_RESULT_KEYS = {"image": "images", "video": "video", "audio": "audio", "music": "audio"}

#: Event names this handler emits (through ``request.telemetry``).
REQUEST_SUBMITTED = "fal.request.submitted"
REQUEST_RESUMED = "fal.request.resumed"
REQUEST_NOT_RESUMED = "fal.request.not_resumed"
REQUEST_CANCELED = "fal.request.canceled"
REQUEST_CANCEL_FAILED = "fal.request.cancel_failed"
OUTPUT_STORED = "fal.output.stored"

_MAX_REMEMBERED = 1024


@dataclass
class _Run:
    """One invoke's progress, for cleanup on the way out."""

    request: ProducerRequest
    urls: RequestUrls | None = None
    resumed: bool = False
    sending: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class FalHandler:
    """Live handler of one FAL queue endpoint (see the module docstring for the hops).

    Args:
        context: from the registry: the descriptor, the card (``extra["result_key"]``), the
            secret resolver (``FAL_KEY``) and ``options`` (see :class:`FalSettings`).

    Raises:
        ConfigurationError: an option is invalid (at construction).
    """

    provider = PROVIDER
    mode: Literal["live", "mock"] = "live"

    def __init__(self, context: HandlerContext) -> None:
        self.card = context.card
        self.model = context.descriptor.model
        self.environment = context.descriptor.environment
        self.settings = FalSettings.from_options(context.options)
        self._secrets = context.secrets
        key = self.card.extra.get("result_key") or DEFAULT_RESULT_KEYS.get(str(self.card.kind))
        self.result_key = str(key or "output")
        self._inflight: OrderedDict[str, str] = OrderedDict()
        self._background: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None
        self._downloader: OutputDownloader | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"FalHandler({self.model!r})"

    # -- readiness -------------------------------------------------------------------------
    async def warm_start(self, context: WarmStartContext) -> None:
        """Fail now, naming ``FAL_KEY``, when the key is missing or malformed (no request).

        The API client and the downloader are made here, on the caller's loop, so the first
        job does not pay for them.
        """
        self._key()
        self._clients()

    async def check_credentials(self) -> None:
        """Ask FAL whether it accepts the key.

        FAL's queue host has no free account endpoint, so this reads the status of a made-up
        request id on this endpoint's app (nothing is queued, nothing billed): 404 (or any
        2xx) means the key was accepted and the id unknown; 401/403 means refused.

        Raises:
            AuthError: the key is missing, malformed or refused (401/403), naming ``FAL_KEY``.
            ProviderError: FAL could not be reached or failed (the key may be fine).
        """
        url = RequestUrls.build(self.settings.base_url, self.model, PROBE_REQUEST_ID).status
        client, _ = self._clients()
        try:
            response = await client.get(url, timeout=self._timeout(None))
        except httpx.HTTPError as exc:
            raise transport_error(exc, model=self.model, action="check the key") from exc
        if response.status_code == 404 or response.is_success:
            return
        raise error_for_answer(response, model=self.model, action="check the key")

    def preview_request(self, inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The submit :meth:`invoke` sends for ``inputs``: ``POST /{endpoint}`` with the body
        built by the same :meth:`payload` (``url`` is the absolute URL on ``base_url``)."""
        return [
            {
                "method": "POST",
                "path": f"/{self.model}",
                "url": submit_url(self.settings.base_url, self.model),
                "body": self.payload(inputs),
            }
        ]

    def payload(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The submit body: the validated inputs under FAL's own names, unset (``None``)
        fields left out so FAL applies its defaults."""
        return {k: v for k, v in inputs.items() if v is not None}

    # -- one job ---------------------------------------------------------------------------
    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        """Run one request (or resume one) and return its stored outputs.

        Raises:
            ProviderError: of the kind FAL's answer means (see :mod:`.errors`); a
                ``timeout`` that is not retried when the job's deadline passes (the request is
                cancelled on FAL first).
        """
        started = time.perf_counter()
        remaining = request.remaining()
        if remaining is not None and remaining <= 0:
            raise ProviderTimeoutError(
                f"the job's deadline passed before {self.model} was submitted; nothing was sent",
                provider=self.provider,
                model=self.model,
                retryable=False,
            )
        run = _Run(request)
        try:
            async with asyncio.timeout(remaining):
                client, _ = self._clients()
                status = await self._start(client, run)
                status = await self._wait(client, run, status)
                output = await self._result(client, run, status)
                artefacts = await self._store(run, output)
        except TimeoutError:
            await self._cancel_remote(run, reason="deadline")
            raise ProviderTimeoutError(
                f"the job's deadline passed while {self.model} was running"
                + (f"; request {run.urls.request_id} was cancelled on fal" if run.urls else ""),
                provider=self.provider,
                model=self.model,
                retryable=False,
                details={"request_id": run.urls.request_id if run.urls else None},
            ) from None
        except asyncio.CancelledError:
            task = asyncio.create_task(self._cancel_remote(run, reason="cancelled"))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            # Cancelled again while waiting: the cancel goes on in the background.
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)
            raise
        except ProviderError as exc:
            if run.urls is not None:
                exc.details.setdefault("request_id", run.urls.request_id)
            if not exc.retryable:
                self._forget(request.job.id)
            raise
        self._forget(request.job.id)
        assert run.urls is not None
        return self._result_of(run, output, artefacts, status, started)

    # -- submit or resume ------------------------------------------------------------------
    async def _start(self, client: httpx.AsyncClient, run: _Run) -> dict[str, Any]:
        request = run.request
        resume_id = request.resume_remote_job_id or self._inflight.get(request.job.id)
        if resume_id:
            resumed = await self._resume(client, run, resume_id)
            if resumed is not None:
                return resumed
        return await self._submit(client, run)

    async def _resume(
        self, client: httpx.AsyncClient, run: _Run, request_id: str
    ) -> dict[str, Any] | None:
        request = run.request
        urls = RequestUrls.build(self.settings.base_url, self.model, request_id)
        try:
            status = await self._status(client, urls, request)
        except NotFoundError:
            # FAL forgot it (past its retention window): the old request is gone, so a new
            # submit cannot pay twice for the same output.
            self._forget(request.job.id)
            request.telemetry.emit(REQUEST_NOT_RESUMED, request_id=request_id, reason="not_found")
            return None
        if status.get("status") == "COMPLETED" and (
            status.get("error") or status.get("error_type")
        ):
            # Ended without a result (cancelled by an earlier run stopped with Ctrl-C, or
            # failed): running the job again asks for a result, so a new request is sent.
            self._forget(request.job.id)
            request.telemetry.emit(
                REQUEST_NOT_RESUMED,
                request_id=request_id,
                reason=str(status.get("error_type") or "ended with an error"),
            )
            return None
        run.urls, run.resumed = urls, True
        self._remember(request.job.id, request_id)
        request.report_remote_job(request_id, resumed=True, status=str(status.get("status")))
        request.telemetry.emit(REQUEST_RESUMED, request_id=request_id, status=status.get("status"))
        return status

    def _submit_headers(self, request: ProducerRequest) -> dict[str, str]:
        remaining = request.remaining()
        if remaining is None:
            return {}
        # X-Fal-Request-Timeout is a deadline to *start* (queue wait, runner acquisition and
        # FAL's own retries; not the run itself; fal-api.md D). With a known job deadline, a
        # request that has not started by then is useless to us: FAL drops it unbilled even
        # if our cancel never arrives (a crash). Without a deadline nothing is sent, so FAL's
        # queue waits as long as it needs (we poll without limit, as the user asked).
        return {"X-Fal-Request-Timeout": str(max(1, int(remaining)))}

    async def _submit(self, client: httpx.AsyncClient, run: _Run) -> dict[str, Any]:
        request = run.request
        action = "submit the request"
        run.sending = True
        try:
            response = await client.post(
                submit_url(self.settings.base_url, self.model),
                json=self.payload(request.inputs),
                headers=self._submit_headers(request),
                timeout=self._timeout(request),
            )
        except httpx.HTTPError as exc:
            raise transport_error(exc, model=self.model, action=action, creates_job=True) from exc
        finally:
            run.sending = False
        if response.status_code >= 400:
            raise error_for_answer(response, model=self.model, action=action, creates_job=True)
        body = json_body(response)
        request_id = body.get("request_id") if body else None
        if not isinstance(request_id, str) or not request_id:
            cause = "an answer that is not JSON" if body is None else "an answer without request_id"
            raise lost_submit(self.model, cause)
        assert body is not None
        run.urls = RequestUrls.build(self.settings.base_url, self.model, request_id, body)
        self._remember(request.job.id, request_id)
        request.report_remote_job(request_id, status=str(body.get("status") or "IN_QUEUE"))
        request.telemetry.emit(
            REQUEST_SUBMITTED, request_id=request_id, queue_position=body.get("queue_position")
        )
        return body

    # -- poll and result -------------------------------------------------------------------
    async def _wait(
        self, client: httpx.AsyncClient, run: _Run, status: dict[str, Any]
    ) -> dict[str, Any]:
        assert run.urls is not None
        pause = self.settings.poll_interval
        while status.get("status") != "COMPLETED":
            await asyncio.sleep(pause)
            pause = min(pause * self.settings.poll_factor, self.settings.poll_max)
            status = await self._status(client, run.urls, run.request)
        return status

    async def _status(
        self, client: httpx.AsyncClient, urls: RequestUrls, request: ProducerRequest
    ) -> dict[str, Any]:
        # logs=1: the lines are kept for a failed request's error (fal-api.md B).
        return await self._get_json(
            client,
            urls.status,
            params={"logs": "1"},
            action="read the request's status",
            timeout=self._timeout(request),
        )

    async def _get_json(
        self,
        client: httpx.AsyncClient,
        url: str,
        *,
        action: str,
        timeout: httpx.Timeout,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            response = await client.get(url, params=params, timeout=timeout)
        except httpx.HTTPError as exc:
            raise transport_error(exc, model=self.model, action=action) from exc
        if response.status_code >= 400:
            raise error_for_answer(response, model=self.model, action=action)
        body = json_body(response)
        if body is None:
            raise TransientError(
                f"fal sent an answer that is not a JSON object when asked to {action} for "
                f"{self.model}; asking again may work",
                provider=self.provider,
                model=self.model,
                details={"status": response.status_code},
            )
        return body

    async def _result(
        self, client: httpx.AsyncClient, run: _Run, status: dict[str, Any]
    ) -> dict[str, Any]:
        assert run.urls is not None
        urls, logs = run.urls, status.get("logs")
        failed = status.get("error") or status.get("error_type")
        try:
            response = await client.get(urls.result, timeout=self._timeout(run.request))
        except httpx.HTTPError as exc:
            raise transport_error(exc, model=self.model, action="read the result") from exc
        if response.status_code >= 400:
            error = error_for_answer(response, model=self.model, action="run the request")
            if failed and _cancelled(status):
                error = CanceledError(
                    f"the {self.model} request {urls.request_id} was cancelled on fal",
                    provider=self.provider,
                    model=self.model,
                )
            elif failed:
                error = failed_request_error(error, model=self.model, request_id=urls.request_id)
            elif isinstance(error, NotFoundError):
                error.message += (
                    "; fal keeps a result 1 hour (6 minutes when it is large): run the job again"
                )
            raise with_logs(error, logs, urls.request_id)
        body = json_body(response)
        if failed:
            text = str(status.get("error") or status.get("error_type"))
            raise with_logs(
                ProviderFailedError(
                    f"the {self.model} request {urls.request_id} failed on fal: {text}",
                    provider=self.provider,
                    model=self.model,
                    details={"error_type": status.get("error_type")},
                ),
                logs,
                urls.request_id,
            )
        if body is None:
            raise TransientError(
                f"fal's result of the {self.model} request {urls.request_id} is not a JSON "
                "object; reading it again may work",
                provider=self.provider,
                model=self.model,
            )
        run.extra["metrics"] = status.get("metrics")
        return body

    # -- store -----------------------------------------------------------------------------
    async def _store(self, run: _Run, output: Mapping[str, Any]) -> list[Artefact]:
        assert run.urls is not None
        request = run.request
        found = output.get(self.result_key)
        items = found if isinstance(found, list) else [found] if found else []
        files = [item for item in items if isinstance(item, Mapping) and item.get("url")]
        if not files:
            raise ProviderFailedError(
                f"the {self.model} request {run.urls.request_id} completed without "
                f"{self.result_key!r} files in its result",
                provider=self.provider,
                model=self.model,
            )
        # The job's deadline bounds the downloads too: invoke runs under asyncio.timeout.
        _, downloader = self._clients()
        expected = self.card.output.type if self.card.output.type in _MEDIA else None
        stored: list[StoredOutput] = [
            await downloader.fetch(
                str(item["url"]),
                storage=request.storage,
                expected=expected,
                promised_mime=str(item.get("content_type") or self.card.output.mime),
                model=self.model,
            )
            for item in files
        ]
        artefacts: list[Artefact] = []
        for index, (item, kept) in enumerate(zip(files, stored, strict=True)):
            request.telemetry.emit(
                OUTPUT_STORED, request_id=run.urls.request_id, bytes=kept.blob.size, mime=kept.mime
            )
            artefacts.append(
                Artefact(
                    name="output" if len(stored) == 1 else f"output-{index}",
                    kind=self.card.kind,
                    mime=kept.mime,
                    blob=kept.blob,
                    facts=_facts(kept.facts, item, output),
                )
            )
        return artefacts

    def _result_of(
        self,
        run: _Run,
        output: Mapping[str, Any],
        artefacts: list[Artefact],
        status: Mapping[str, Any],
        started: float,
    ) -> ProducerResult:
        assert run.urls is not None
        facts = [a.facts or MediaFacts() for a in artefacts]
        extra: dict[str, Any] = {
            "status": status.get("status"),
            "resumed": run.resumed,
            "outputs": len(artefacts),
        }
        if run.extra.get("metrics"):
            extra["metrics"] = run.extra["metrics"]
        return ProducerResult(
            artefacts=artefacts,
            provider=ProviderMetadata(
                provider=self.provider,
                model=self.model,
                environment=self.environment,
                remote_job_id=run.urls.request_id,
                response_ids=[run.urls.request_id],
                latency_ms=(time.perf_counter() - started) * 1000,
                cost=billed(self.card, run.request.inputs, output, facts),
                extra=extra,
            ),
            meta=ResultMeta(mocked=False),
        )

    # -- cancel ----------------------------------------------------------------------------
    async def _cancel_remote(self, run: _Run, *, reason: str) -> None:
        """Cancel the run's request on FAL (``PUT …/cancel``); never raises."""
        telemetry = run.request.telemetry
        if run.urls is None:
            if run.sending:
                # Stopped while the submit was in flight: a request may exist, but without
                # its id it cannot be cancelled; say so rather than stay silent.
                telemetry.emit(
                    REQUEST_CANCEL_FAILED,
                    request_id=None,
                    reason=reason,
                    error="stopped while submitting: the request id is unknown",
                )
            return
        request_id = run.urls.request_id
        try:
            async with asyncio.timeout(self.settings.cancel_timeout):
                client, _ = self._clients()
                response = await client.put(
                    run.urls.cancel, timeout=self._timeout(None, self.settings.cancel_timeout)
                )
        except (httpx.HTTPError, TimeoutError, ProviderError, RuntimeError) as exc:
            # RuntimeError: the client was closed under us (aclose during the cancel).
            telemetry.emit(
                REQUEST_CANCEL_FAILED,
                request_id=request_id,
                reason=reason,
                error=type(exc).__name__,
            )
            return
        finally:
            self._forget(run.request.job.id)
        telemetry.emit(
            REQUEST_CANCELED, request_id=request_id, reason=reason, status=response.status_code
        )

    # -- HTTP ------------------------------------------------------------------------------
    def _key(self) -> Secret:
        secret = self._secrets.resolve(SECRET_NAME)
        if secret is None:
            raise AuthError(MISSING_KEY, provider=self.provider, model=self.model)
        check_secret_value(SECRET_NAME, secret, provider=self.provider)
        return secret

    def _clients(self) -> tuple[httpx.AsyncClient, OutputDownloader]:
        """This loop's API client and file downloader, made on first use.

        Raises:
            AuthError: ``FAL_KEY`` is missing or malformed (when the client is made).
        """
        loop = asyncio.get_running_loop()
        http, downloader = self._http, self._downloader
        if http is None or downloader is None or self._loop is not loop or http.is_closed:
            # httpx clients belong to the loop they were made on; one made on another loop
            # (a finished asyncio.run) is dropped, not closed: its loop cannot run it.
            http = httpx.AsyncClient(
                headers={"Authorization": f"Key {self._key().reveal()}"},
                timeout=self._timeout(None),
                # No transport retries, no redirects: one request per call, to FAL only.
                transport=httpx.AsyncHTTPTransport(retries=0),
                follow_redirects=False,
            )
            # No headers: FAL's files live on its CDN (or in data: URIs), never given the key.
            downloader = OutputDownloader(
                provider=self.provider,
                timeout=self.settings.download_timeout,
                gone_hint=OUTPUT_GONE_HINT,
            )
            self._http, self._downloader, self._loop = http, downloader, loop
        return http, downloader

    def _timeout(
        self, request: ProducerRequest | None, seconds: float | None = None
    ) -> httpx.Timeout:
        """One call's timeout: ``seconds`` (``request_timeout`` by default), at most the job's
        remaining time."""
        seconds = seconds or self.settings.request_timeout
        remaining = request.remaining() if request is not None else None
        if remaining is not None:
            seconds = max(0.05, min(seconds, remaining))
        return httpx.Timeout(seconds, connect=min(5.0, seconds))

    async def aclose(self) -> None:
        """Close the API client and the downloader (they are rebuilt on next use). Call it on
        the loop that used them (the registry's ``aclose`` does); from another loop they are
        dropped instead, as closing them there would fail (their loop may be gone)."""
        http, downloader, loop = self._http, self._downloader, self._loop
        self._http = self._downloader = None
        self._loop = None
        if loop is not asyncio.get_running_loop():
            return
        if http is not None:
            await http.aclose()
        if downloader is not None:
            await downloader.aclose()

    # -- bookkeeping -----------------------------------------------------------------------
    def _remember(self, job_id: str, request_id: str) -> None:
        self._inflight[job_id] = request_id
        self._inflight.move_to_end(job_id)
        while len(self._inflight) > _MAX_REMEMBERED:
            self._inflight.popitem(last=False)

    def _forget(self, job_id: str) -> None:
        self._inflight.pop(job_id, None)


_MEDIA = frozenset({"image", "audio", "video"})


def _cancelled(status: Mapping[str, Any]) -> bool:
    text = f"{status.get('error_type') or ''} {status.get('error') or ''}".lower()
    return "cancel" in text


def _facts(read: MediaFacts, item: Mapping[str, Any], output: Mapping[str, Any]) -> MediaFacts:
    """The facts read from the file; FAL's own numbers where no reader could."""
    update: dict[str, Any] = {}
    if read.width is None and isinstance(item.get("width"), int):
        update["width"] = item["width"]
    if read.height is None and isinstance(item.get("height"), int):
        update["height"] = item["height"]
    duration_ms = output.get("duration_ms")
    if read.duration_seconds is None and isinstance(duration_ms, int | float):
        update["duration_seconds"] = round(float(duration_ms) / 1000, 3)
    return read.model_copy(update=update) if update else read


__all__ = [
    "DEFAULT_RESULT_KEYS",
    "MISSING_KEY",
    "OUTPUT_STORED",
    "PROBE_REQUEST_ID",
    "REQUEST_CANCELED",
    "REQUEST_CANCEL_FAILED",
    "REQUEST_NOT_RESUMED",
    "REQUEST_RESUMED",
    "REQUEST_SUBMITTED",
    "FalHandler",
]
