"""The live handler of Acme's image API.

One job, hop by hop:

1. ``POST /v1/models/{model}/jobs`` with ``{"input": {...}}`` → ``{"job_id", "status"}``; the
   job id is reported at once (``request.report_remote_job``) so a crashed run can resume it.
   A run that resumes (``request.resume_remote_job_id``) polls that job instead of paying for
   a new one; if Acme no longer knows it, a new job is submitted.
2. ``GET /v1/jobs/{id}`` until ``succeeded``, ``failed`` or ``canceled``, with a growing pause
   (``poll_interval`` doubling up to ``poll_max``). Cancellation or the deadline sends
   ``PUT /v1/jobs/{id}/cancel`` so Acme stops billing.
3. Each output image is streamed into storage from its URL, with a client that carries no key.
4. The result: the stored images with facts read from the files, the cost from the card's
   price and the images Acme reports, and the job id as ``remote_job_id``.

Every failure is a :class:`~tutopanda_providers.ProviderError` of the right kind (see
:mod:`.transport`); the handler never retries — the pipeline's retry middleware does, with the
policy the user chose.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import httpx
from tutopanda_providers import (
    Artefact,
    AuthError,
    CanceledError,
    ContentPolicyError,
    HandlerContext,
    MediaFacts,
    NotFoundError,
    ProducerKind,
    ProducerRequest,
    ProducerResult,
    ProviderFailedError,
    ProviderMetadata,
    ResultMeta,
    TransientError,
    WarmStartContext,
)
from tutopanda_providers.contracts.media import MediaReaderMissingError, read_media_facts
from tutopanda_providers.http_helpers import OutputDownloader, error_for_transport

from tutopanda_provider_example.names import PROVIDER, SECRET_NAME
from tutopanda_provider_example.settings import AcmeSettings
from tutopanda_provider_example.transport import error_for_status

TERMINAL = frozenset({"succeeded", "failed", "canceled"})
MISSING_KEY = (
    f"{SECRET_NAME} is not set: export it or put it in .env (see `tutopanda-providers doctor`)"
)


class AcmeHandler:
    """Runs ``acme/<model>`` jobs against Acme's queue API (or a fake of it)."""

    provider = "acme"
    environment: Literal["local", "cloud"] = "local"
    mode: Literal["live", "mock"] = "live"

    def __init__(self, context: HandlerContext) -> None:
        self.model = context.descriptor.model
        self.card = context.card
        self.settings = AcmeSettings.from_options(context.options)
        self._secrets = context.secrets

    # -- readiness -------------------------------------------------------------------------
    async def warm_start(self, context: WarmStartContext) -> None:
        """Fail now, naming the secret, when the key is missing (no request is made)."""
        self._headers()

    async def check_credentials(self) -> None:
        """Ask Acme whether it accepts the key with the free ``GET /v1/account``.

        Raises:
            AuthError: the key is missing or refused.
            ProviderError: any other failure (the key may be fine).
        """
        async with self._client() as client:
            await self._call(client, "GET", "/v1/account", action="check the key")

    # -- one job ---------------------------------------------------------------------------
    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        """Run one job; see the module docstring for the hops."""
        async with self._client(request) as client:
            job = await self._start(client, request)
            try:
                job = await self._wait(client, job)
            except asyncio.CancelledError:
                # Cancelled, or past the deadline: stop the remote job too (shielded, so the
                # cancel itself is not cancelled), then let the cancellation go on.
                await asyncio.shield(self._cancel(str(job["job_id"])))
                raise
        self._raise_if_not_succeeded(job)
        artefacts = await self._store_outputs(job, request)
        count = int((job.get("usage") or {}).get("images") or len(artefacts))
        return ProducerResult(
            artefacts=artefacts,
            provider=ProviderMetadata(
                provider=self.provider,
                model=self.model,
                remote_job_id=str(job["job_id"]),
                cost=self.card.price.cost({"image": float(count)}),
                extra={"status": job["status"]},
            ),
            meta=ResultMeta(mocked=False),
        )

    async def _start(self, client: httpx.AsyncClient, request: ProducerRequest) -> dict[str, Any]:
        resumed = request.resume_remote_job_id
        if resumed:
            try:
                job = await self._call(client, "GET", f"/v1/jobs/{resumed}", action="resume")
            except NotFoundError:
                pass  # Acme forgot it (jobs expire): start a new one below.
            else:
                request.report_remote_job(resumed, resumed=True, status=str(job["status"]))
                return job
        job = await self._call(
            client,
            "POST",
            f"/v1/models/{self.model}/jobs",
            json={"input": dict(request.inputs)},
            action="submit the job",
        )
        if not job.get("job_id"):
            raise TransientError("acme accepted the job without an id", provider=self.provider)
        request.report_remote_job(str(job["job_id"]), status=str(job.get("status")))
        return job

    async def _wait(self, client: httpx.AsyncClient, job: dict[str, Any]) -> dict[str, Any]:
        pause = self.settings.poll_interval
        while job.get("status") not in TERMINAL:
            await asyncio.sleep(pause)
            pause = min(pause * 2, self.settings.poll_max)
            job = await self._call(
                client, "GET", f"/v1/jobs/{job['job_id']}", action="read the job"
            )
        return job

    async def _cancel(self, job_id: str) -> None:
        try:
            async with self._client(timeout=5.0) as client:
                await client.put(f"/v1/jobs/{job_id}/cancel")
        except httpx.HTTPError:
            pass  # Best effort: the job's own timeout ends it on Acme's side.

    def _raise_if_not_succeeded(self, job: dict[str, Any]) -> None:
        status = job.get("status")
        error = job.get("error") or {}
        message = str(error.get("message") or f"the job ended {status}")
        if status == "succeeded":
            return
        if status == "canceled":
            raise CanceledError(f"acme canceled the job: {message}", provider=self.provider)
        if error.get("type") == "content_policy":
            raise ContentPolicyError(f"acme refused the prompt: {message}", provider=self.provider)
        raise ProviderFailedError(f"acme's job failed: {message}", provider=self.provider)

    async def _store_outputs(self, job: dict[str, Any], request: ProducerRequest) -> list[Artefact]:
        images = (job.get("output") or {}).get("images") or []
        if not images:
            raise ProviderFailedError("acme's job succeeded without images", provider=self.provider)
        artefacts: list[Artefact] = []
        # Core's downloader: no key (output files are served by another host), streamed,
        # sniffed and checked to be an image; facts are read below, with the API's as backup.
        seconds = _timeout(request.remaining(), self.settings.request_timeout).read
        files = OutputDownloader(
            provider=PROVIDER,
            timeout=seconds if seconds is not None else self.settings.request_timeout,
            read_facts=False,
        )
        try:
            for index, image in enumerate(images):
                stored = await files.fetch(
                    str(image["url"]),
                    storage=request.storage,
                    expected="image",
                    promised_mime=str(image.get("content_type") or "image/png"),
                    model=self.model,
                )
                blob = stored.blob
                artefacts.append(
                    Artefact(
                        kind=ProducerKind.IMAGE,
                        name=f"image-{index}",
                        mime=blob.mime,
                        blob=blob,
                        facts=self._facts(request, blob, image),
                    )
                )
        finally:
            await files.aclose()
        return artefacts

    def _facts(self, request: ProducerRequest, blob: Any, image: dict[str, Any]) -> MediaFacts:
        try:
            return read_media_facts(request.storage.read_bytes(blob), blob.mime)
        except MediaReaderMissingError:
            # Without Pillow: what the API says about the image.
            return MediaFacts(width=image.get("width"), height=image.get("height"))

    # -- HTTP ------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        secret = self._secrets.resolve(SECRET_NAME)
        if secret is None:
            raise AuthError(MISSING_KEY, provider=self.provider, model=self.model)
        return {"Authorization": f"Key {secret.reveal()}"}

    def _client(
        self, request: ProducerRequest | None = None, *, timeout: float | None = None
    ) -> httpx.AsyncClient:
        remaining = request.remaining() if request is not None else None
        return httpx.AsyncClient(
            base_url=self.settings.base_url,
            headers=self._headers(),
            timeout=_timeout(remaining, timeout or self.settings.request_timeout),
        )

    async def _call(
        self, client: httpx.AsyncClient, method: str, path: str, *, action: str, **kw: Any
    ) -> dict[str, Any]:
        try:
            answer = await client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise error_for_transport(
                exc, provider=self.provider, model=self.model, action=action
            ) from exc
        if answer.status_code >= 400:
            body = _json_or_empty(answer)
            found = body.get("error")
            error: dict[str, Any] = found if isinstance(found, dict) else {}
            raise error_for_status(
                answer.status_code,
                str(error.get("message") or answer.reason_phrase),
                action=action,
                headers=dict(answer.headers),
                code=error.get("code") or error.get("type"),
                model=self.model,
            )
        body = _json_or_empty(answer)
        if not body:
            raise TransientError(
                f"acme sent an answer that is not JSON when asked to {action}",
                provider=self.provider,
                model=self.model,
            )
        return body


def _json_or_empty(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _timeout(remaining: float | None, default: float) -> httpx.Timeout:
    # Never wait past the job's deadline; connecting gets at most 5 s of it.
    seconds = max(0.05, min(default, remaining)) if remaining is not None else default
    return httpx.Timeout(seconds, connect=min(5.0, seconds))
