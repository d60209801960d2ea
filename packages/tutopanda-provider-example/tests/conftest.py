"""A fake Acme API for the example plugin's tests, built on the test kit's fake-server toolkit.

It speaks the (made-up) Acme wire protocol the handler speaks to the real one:

- ``Authorization: Key <ACME_API_KEY>`` on every API call (the files are open, like a CDN);
- ``POST /v1/models/{model}/jobs`` → 202 ``{"job_id", "status": "submitted", ...}``;
- ``GET /v1/jobs/{id}`` → the job: ``submitted``, ``running``, then ``succeeded`` (with
  ``output.images[]``: ``url``, ``content_type``, ``width``, ``height``), ``failed`` (with
  ``error.message``) or ``canceled``;
- ``PUT /v1/jobs/{id}/cancel`` → the job, canceled unless it had ended;
- ``GET /v1/account`` → who the key belongs to;
- errors as ``{"error": {"message", "code"}}`` (the toolkit's default dialect).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tutopanda_providers_testing.fakeserver import (
    KEY,
    FakeServer,
    Fault,
    Job,
    JobQueue,
    RecordedRequest,
    Reply,
)
from tutopanda_providers_testing.keys import canary_for
from tutopanda_providers_testing.media import image_size, make_image

#: The key the fake accepts: the one the conformance suite hands the plugin.
ACME_TEST_KEY = canary_for("ACME_API_KEY")
MODELS = frozenset({"pixel-1"})


class FakeAcmeServer(FakeServer):
    """The fake Acme API. ``queue_seconds`` / ``run_seconds`` time each job's phases."""

    def __init__(self, *, queue_seconds: float = 0.0, run_seconds: float = 0.0, **kw: Any):
        kw.setdefault("auth", KEY)
        super().__init__(**kw)
        self.jobs = JobQueue(
            queue_seconds=queue_seconds, run_seconds=run_seconds, make_output=self._render
        )
        self.add_route("POST", "/v1/models/{model}/jobs", "submit", self._submit)
        self.add_route("GET", "/v1/jobs/{id}", "status", self._status)
        self.add_route("PUT", "/v1/jobs/{id}/cancel", "cancel", self._cancel)
        self.add_route("GET", "/v1/account", "account", self._account)

    def _submit(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        if request.params["model"] not in MODELS:
            return self.error_reply(404, f"no model {request.params['model']!r}")
        body = request.json
        values = body.get("input") if isinstance(body, dict) else None
        if not isinstance(values, dict) or not str(values.get("prompt") or "").strip():
            return self.error_reply(422, "input.prompt is required", field_name="prompt")
        job = self.jobs.submit(values, fault=fault)
        self.log.count("jobs_submitted")
        return Reply.json(202, self._payload(job))

    def _status(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        job = self.jobs.get(request.params["id"])
        if job is None:
            return self.error_reply(404, f"no job {request.params['id']}")
        return Reply.json(200, self._payload(job))

    def _cancel(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        job = self.jobs.cancel(request.params["id"])
        if job is None:
            return self.error_reply(404, f"no job {request.params['id']}")
        self.log.count("jobs_canceled")
        return Reply.json(200, self._payload(job))

    def _account(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        return Reply.json(200, {"account": "fake-acme", "credits": 100})

    def _render(self, job: Job) -> dict[str, Any]:
        fmt = str(job.input.get("output_format") or "png")
        width, height = image_size(str(job.input.get("aspect_ratio") or "16:9"))
        data = make_image(fmt, width, height, seed=str(job.input.get("prompt")))
        mime = "image/png" if fmt == "png" else "image/jpeg"
        url = self.files.put(data, mime, name=f"{job.id}.{'png' if fmt == 'png' else 'jpg'}")
        return {"images": [{"url": url, "content_type": mime, "width": width, "height": height}]}

    def _payload(self, job: Job) -> dict[str, Any]:
        payload: dict[str, Any] = {"job_id": job.id, "status": job.status.value}
        if job.status == "succeeded":
            payload["output"] = job.output
            payload["usage"] = {"images": len(job.output["images"])}
        if job.status == "failed":
            payload["error"] = {"type": "job_failed", "message": job.error}
        return payload


@pytest.fixture
def fake_acme() -> Iterator[FakeAcmeServer]:
    """A running fake Acme API that accepts only the suite's test key."""
    with FakeAcmeServer(api_key=ACME_TEST_KEY) as server:
        yield server
