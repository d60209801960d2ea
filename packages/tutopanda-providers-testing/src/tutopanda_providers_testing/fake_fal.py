"""A fake FAL queue API on 127.0.0.1, for the FAL plugin and the official ``fal_client``.

    with FakeFal(api_key=CANARY_FAL_KEY) as fal:
        answer = httpx.post(f"{fal.base_url}/fal-ai/veo3/fast", json={"prompt": "a cat"},
                            headers={"Authorization": f"Key {CANARY_FAL_KEY}"}).json()
        httpx.get(answer["status_url"], params={"logs": 1}, headers=...)   # 202 ... 200

The protocol (``reference/fal-api.md`` sections B, C and I):

- ``POST /{owner}/{app}[/{path}]``: the body is the model input itself (no wrapper). 200
  ``{"status": "IN_QUEUE", "request_id", "response_url", "status_url", "cancel_url",
  "queue_position"}`` with absolute URLs on **owner/app only** (``workflows/`` and ``comfy/``
  keep a third segment). A bad input is 422 ``{"detail": [{"loc", "msg", "type"}]}`` checked
  against the endpoint's required fields, enums and ranges (the shipped table
  ``data/fal_endpoints.json``, made by ``scripts/make_fal_endpoints.py``).
- ``GET …/requests/{id}/status[?logs=1|true]``: 202 ``IN_QUEUE`` with ``queue_position``, 202
  ``IN_PROGRESS`` with a ``logs`` key, 200 ``COMPLETED`` with ``logs`` and ``metrics``. Logs are
  ``[{timestamp, level, source, message}]`` when asked for, else ``null``. A failed or
  cancelled request is ``COMPLETED`` too, with ``error`` and ``error_type``.
- ``GET …/requests/{id}``: the result JSON, or the model's error replayed (its status code and
  body: a 422 ``detail`` list, a content-policy refusal, a 500).
- ``PUT …/requests/{id}/cancel``: 202 ``{"status": "CANCELLATION_REQUESTED"}``; 400
  ``{"status": "ALREADY_COMPLETED"}`` once done; 404 for an unknown id.
- A status, result or cancel call on the whole endpoint path (``/fal-ai/veo3/fast/requests/…``)
  answers 405, as FAL is reported to.
- ``Authorization: Key <key>``; 401 ``{"detail": ...}`` otherwise. Error answers are
  ``{"detail": ...}``; a fault with a ``code`` (``Fault.status(503,
  code="runner_scheduling_failure")``) is an infrastructure error: ``error_type`` in the body
  and the ``X-Fal-Error-Type`` header.

Outputs are real files answering the input: images of the asked ``image_size`` (a preset or
``{width, height}``) or ``aspect_ratio``, video of the asked ``duration`` (``"5"``, ``"8s"``),
audio of ``seconds_total`` or as long as the narration's text, served by the fake's file host
(route ``file``) or inline as ``data:`` URIs when the input says ``sync_mode: true`` (or the
fake's ``output_mode`` is ``data``).

Route names for faults and the request log: ``submit``, ``status``, ``result``, ``cancel``,
``file`` (and ``wrong_path`` for the 405s). ``Fault.prediction_fails(text)`` on ``submit``
makes that request fail (a content-policy refusal when the text speaks of one, else a model
error 500 with a traceback in its logs); ``Fault.never_finishes()`` keeps it running.
:meth:`FakeFal.fail_next` scripts any model error.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any, Literal

from tutopanda_providers_testing.fakeserver import (
    KEY,
    FakeServer,
    Fault,
    FaultKind,
    Job,
    JobQueue,
    JobStatus,
    RecordedRequest,
    Reply,
)
from tutopanda_providers_testing.keys import canary_for
from tutopanda_providers_testing.lesson_answers import is_script_request, script_answer
from tutopanda_providers_testing.media import image_size, make_image
from tutopanda_providers_testing.model_schemas import InputField
from tutopanda_providers_testing.timed_media import mp3_clip, mp4_clip

#: The secret the FAL plugin reads.
FAL_SECRET_NAME = "FAL_KEY"
#: The key tests hand the FAL plugin (the conformance suite's canary); the fixture's fake
#: accepts only it.
CANARY_FAL_KEY = canary_for(FAL_SECRET_NAME)
#: The key ``serve`` prints for a person to export; its fake accepts only it by default.
LOCAL_FAL_KEY = "fal-fake-local-key:secret"
#: Namespaces whose app id keeps three segments (``workflows/owner/app``).
NAMESPACES = ("workflows", "comfy")

OutputMode = Literal["url", "data"]

#: FAL's ``image_size`` presets, in pixels (width, height).
IMAGE_PRESETS: dict[str, tuple[int, int]] = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
    "auto": (2048, 2048),
    "auto_2K": (2048, 2048),
    "auto_4K": (4096, 4096),
}
#: Narration speed the fake assumes: characters of text per second of audio.
CHARS_PER_SECOND = 15.0
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*s?\s*$")
_POLICY = re.compile(r"content.?polic|nsfw|safety|flagged", re.I)
_MIMES = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "webp": "image/webp"}


# -- the endpoint table --------------------------------------------------------------------
@dataclass(frozen=True)
class FalField(InputField):
    """One input field of an endpoint (``a.b`` names ``b`` inside the object ``a``): the
    Replicate fake's :class:`~tutopanda_providers_testing.model_schemas.InputField`, read
    through FAL's nested objects."""

    def read(self, values: dict[str, Any]) -> tuple[bool, Any]:
        """``(present, value)`` of this field in ``values`` (following dotted names)."""
        node: Any = values
        for part in self.name.split("."):
            if not isinstance(node, dict) or node.get(part) is None:
                return False, None
            node = node[part]
        return True, node


@dataclass(frozen=True)
class FalEndpoint:
    """What the fake knows of one queue endpoint: its inputs and where its output goes."""

    id: str
    kind: str
    result_key: str
    mime: str | None
    extras: tuple[str, ...]
    fields: tuple[FalField, ...]

    def value(self, values: dict[str, Any], name: str) -> Any:
        """The value of ``name`` in ``values``, else the field's default."""
        for spec in self.fields:
            if spec.name == name:
                present, value = spec.read(values)
                return value if present else spec.default
        return values.get(name)

    def validate(self, values: Any) -> list[dict[str, Any]]:
        """FAL's 422 ``detail`` items for ``values`` (empty when they fit)."""
        if not isinstance(values, dict):
            return [_problem(["body"], "Input should be a valid dictionary", "dict_type")]
        problems: list[dict[str, Any]] = []
        for spec in self.fields:
            present, value = spec.read(values)
            loc = ["body", *spec.name.split(".")]
            if not present:
                if spec.required:
                    problems.append(_problem(loc, "Field required", "missing"))
                continue
            problem = _check(spec, value, loc)
            if problem is not None:
                problems.append(problem)
        return problems


def _problem(loc: list[Any], msg: str, kind: str, **ctx: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"loc": loc, "msg": msg, "type": kind}
    if ctx:
        item["ctx"] = ctx
    return item


_TYPES: dict[str, tuple[Any, str]] = {
    "string": (lambda v: isinstance(v, str), "string_type"),
    "integer": (lambda v: isinstance(v, int) and not isinstance(v, bool), "int_type"),
    "number": (lambda v: isinstance(v, int | float) and not isinstance(v, bool), "float_type"),
    "boolean": (lambda v: isinstance(v, bool), "bool_type"),
    "array": (lambda v: isinstance(v, list), "list_type"),
}


def _check(spec: FalField, value: Any, loc: list[Any]) -> dict[str, Any] | None:
    if spec.type.startswith("object") or spec.type.startswith("string|object"):
        # image_size: a preset name or {width, height}.
        if isinstance(value, dict):
            sizes = [value.get("width"), value.get("height")]
            if all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes):
                return None
            return _problem(loc, "Input should have integer width and height > 0", "value_error")
        if not isinstance(value, str) or (spec.enum and value not in spec.enum):
            return _enum_problem(spec, value, loc)
        return None
    check, kind = _TYPES.get(spec.type.split("<", 1)[0], (lambda v: True, "type_error"))
    if not check(value):
        return _problem(loc, f"Input should be a valid {spec.type}", kind)
    if spec.enum is not None and value not in spec.enum:
        return _enum_problem(spec, value, loc)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if spec.minimum is not None and value < spec.minimum:
            return _problem(
                loc,
                f"Input should be greater than or equal to {spec.minimum:g}",
                "greater_than_equal",
                ge=spec.minimum,
            )
        if spec.maximum is not None and value > spec.maximum:
            return _problem(
                loc,
                f"Input should be less than or equal to {spec.maximum:g}",
                "less_than_equal",
                le=spec.maximum,
            )
    return None


def _enum_problem(spec: FalField, value: Any, loc: list[Any]) -> dict[str, Any]:
    allowed = ", ".join(repr(v) for v in spec.enum or ())
    return _problem(loc, f"Input should be {allowed}", "literal_error", expected=allowed)


@lru_cache(maxsize=1)
def fal_endpoints() -> dict[str, FalEndpoint]:
    """Every queue endpoint the fake serves, by endpoint id (``fal-ai/veo3/fast``)."""
    text = (files("tutopanda_providers_testing") / "data" / "fal_endpoints.json").read_text()
    table = json.loads(text)["endpoints"]
    return {
        endpoint: FalEndpoint(
            id=endpoint,
            kind=raw["kind"],
            result_key=raw["result_key"],
            mime=raw.get("mime"),
            extras=tuple(raw.get("extras") or ()),
            fields=tuple(
                FalField(
                    name=f["name"],
                    type=f["type"],
                    required=bool(f.get("required")),
                    default=f.get("default"),
                    enum=tuple(f["enum"]) if f.get("enum") else None,
                    minimum=f.get("min"),
                    maximum=f.get("max"),
                )
                for f in raw["fields"]
            ),
        )
        for endpoint, raw in table.items()
    }


def app_id(endpoint: str) -> str:
    """The app an endpoint's requests live under: ``owner/app`` (``workflows/owner/app`` in
    the namespaces that keep three segments). ``fal-ai/veo3/fast/image-to-video`` →
    ``fal-ai/veo3``."""
    parts = endpoint.strip("/").split("/")
    keep = 3 if parts[0] in NAMESPACES else 2
    return "/".join(parts[:keep])


# -- failures --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelError:
    """How a request fails: what its result GET replays, and what its status says.

    Attributes:
        status: the HTTP status of the replayed result (422, 500, 504...).
        detail: the ``detail`` of the body: a list of ``{loc, msg, type}`` or a string.
        error: the status' ``error`` text.
        error_type: the status' ``error_type`` (and ``X-Fal-Error-Type`` of the result when
            it is an infrastructure error).
    """

    status: int
    detail: Any
    error: str
    error_type: str | None = None

    @classmethod
    def from_text(cls, text: str) -> ModelError:
        """A refusal when ``text`` speaks of content policy, else a model crash (500)."""
        if _POLICY.search(text):
            return cls.content_policy(text)
        return cls(500, text, error=text.splitlines()[0] if text else "Internal error")

    @classmethod
    def content_policy(
        cls, message: str = "The content was flagged by the safety checker"
    ) -> ModelError:
        """A content-policy refusal (422, ``content_policy_violation``)."""
        detail = [
            _problem(["body", "prompt"], message, "content_policy_violation", extra_info="nsfw")
        ]
        return cls(
            422, detail, error="Invalid status code: 422", error_type="content_policy_violation"
        )

    @classmethod
    def invalid(cls, field_name: str, message: str, kind: str = "value_error") -> ModelError:
        """A model-side validation error naming ``field_name`` (422)."""
        detail = [_problem(["body", field_name], message, kind)]
        return cls(422, detail, error="Invalid status code: 422", error_type=kind)

    @classmethod
    def infrastructure(cls, error_type: str = "request_timeout", status: int = 504) -> ModelError:
        """An infrastructure failure (``request_timeout``, ``runner_disconnected``...)."""
        return cls(
            status,
            "Request timed out",
            error=f"Invalid status code: {status}",
            error_type=error_type,
        )


@dataclass
class _Extra:
    endpoint: str
    app: str
    failure: ModelError | None = None
    cancel_requested: bool = False
    seconds: float = 0.0


# -- the server ------------------------------------------------------------------------------
class FakeFal(FakeServer):
    """The fake FAL queue API; ``base_url`` is what the plugin's ``base_url`` option takes.

    Args:
        queue_seconds: how long a request stays ``IN_QUEUE``.
        run_seconds: how long it then stays ``IN_PROGRESS``.
        output_mode: ``url`` serves files from this server; ``data`` inlines them as ``data:``
            URIs (as ``sync_mode: true`` does per request).
        image_longest: the longest side of images asked by ``aspect_ratio`` (pixels).
        **kwargs: :class:`~tutopanda_providers_testing.fakeserver.FakeServer` options
            (``port``, ``latency``, ``rate_limit``, ``api_key``; auth is ``Key <key>``).
    """

    def __init__(
        self,
        *,
        queue_seconds: float = 0.0,
        run_seconds: float = 0.0,
        output_mode: OutputMode = "url",
        image_longest: int = 1024,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auth", KEY)
        super().__init__(**kwargs)
        self.output_mode: OutputMode = output_mode
        self.image_longest = image_longest
        self.endpoints: dict[str, FalEndpoint] = dict(fal_endpoints())
        self.jobs = JobQueue(
            queue_seconds=queue_seconds, run_seconds=run_seconds, make_output=self._render
        )
        self._lock = threading.Lock()
        self._next_failures: deque[ModelError] = deque()
        self._forgotten: set[str] = set()
        for namespace in NAMESPACES:
            self._declare(f"/{namespace}/{{owner}}/{{app}}")
        self._declare("/{owner}/{app}")
        for method in ("GET", "PUT"):
            self.add_route(
                method, "/{endpoint:path}/requests/{id}/{rest:path}", "wrong_path", self._wrong_path
            )
            self.add_route(method, "/{endpoint:path}/requests/{id}", "wrong_path", self._wrong_path)
        self.add_route("POST", "/{endpoint:path}", "submit", self._submit)

    def _declare(self, app: str) -> None:
        base = f"{app}/requests/{{id}}"
        self.add_route("GET", f"{base}/status", "status", self._status)
        self.add_route("PUT", f"{base}/cancel", "cancel", self._cancel)
        self.add_route("GET", base, "result", self._result)

    # -- public helpers for tests ----------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: the queue host (the plugin's ``base_url`` option, or
        ``fal_client.client.QUEUE_URL_FORMAT`` with a trailing slash)."""
        return self.origin

    @property
    def submitted(self) -> int:
        """How many requests were queued (each is a paid job on the real FAL)."""
        return self.log.counter("requests_submitted")

    def request_ids(self) -> list[str]:
        """The ids of every queued request, oldest first."""
        return [job.id for job in self.jobs.jobs]

    def job(self, request_id: str) -> Job:
        """The request ``request_id`` (brought up to date)."""
        found = self.jobs.get(request_id, poll=False)
        if found is None:
            raise KeyError(request_id)
        return found

    def fail_next(self, error: ModelError) -> None:
        """Make the next queued request fail with ``error`` (``ModelError.content_policy()``,
        ``ModelError.invalid("image_url", "...")``, ``ModelError.from_text("...")``)."""
        with self._lock:
            self._next_failures.append(error)

    def begin(self, request_id: str) -> None:
        """Move a queued request to ``IN_PROGRESS`` now (it then runs ``run_seconds``)."""
        job = self.job(request_id)
        job.queue_seconds = max(0.0, time.monotonic() - job.submitted_at)
        self.jobs.get(request_id, poll=False)

    def finish(self, request_id: str) -> None:
        """Complete a request now, as its outcome says (a never-ending one succeeds)."""
        self.jobs.finish(request_id)

    def forget(self, request_id: str | None = None) -> None:
        """Forget ``request_id`` (default: every request), as FAL does after its retention
        window: its status, result and cancel then answer 404."""
        with self._lock:
            self._forgotten.update([request_id] if request_id else self.request_ids())

    # -- dialect ---------------------------------------------------------------------------
    def unknown_route(self, request: RecordedRequest) -> Reply:
        """FAL's 404 for a path it does not serve."""
        return self.error_reply(404, f"Path {request.path} not found")

    def error_reply(
        self,
        status: int,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        code: str | None = None,
        field_name: str | None = None,
    ) -> Reply:
        """``{"detail": ...}``; with ``code``, an infrastructure error (``error_type`` in the
        body and ``X-Fal-Error-Type``); ``field_name`` makes a 422 ``detail`` list."""
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["Retry-After"] = str(max(0, round(retry_after)))
        text = message or {
            401: "No user found for Key ID and Secret",
            403: "Forbidden",
            404: "Not Found",
            429: "Too many requests",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Request timed out",
        }.get(status, "Error")
        detail: Any = text
        if field_name is not None:
            detail = [_problem(["body", field_name], text, "value_error")]
        body: dict[str, Any] = {"detail": detail}
        if code is not None:
            body["error_type"] = code
            headers["X-Fal-Error-Type"] = code
        return Reply.json(status, body, headers=headers)

    # -- routes ----------------------------------------------------------------------------
    def _submit(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        endpoint_id = request.params["endpoint"].strip("/")
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None:
            return self.error_reply(404, f"Application '{endpoint_id}' not found")
        values = request.json
        problems = endpoint.validate(values)
        if problems:
            self.log.count("rejected_inputs")
            return Reply.json(422, {"detail": problems})
        assert isinstance(values, dict)
        job = self.jobs.submit(values, fault=fault)
        failure = None
        with self._lock:
            if self._next_failures:
                failure = self._next_failures.popleft()
        if failure is None and fault is not None and fault.kind is FaultKind.PREDICTION_FAILS:
            failure = ModelError.from_text(fault.message or "the model failed")
        if failure is not None:
            job.outcome, job.error = "fail", failure.error
        job.extra["fal"] = _Extra(endpoint=endpoint_id, app=app_id(endpoint_id), failure=failure)
        self.log.count("requests_submitted")
        body = {**self._urls(job), "status": "IN_QUEUE", "queue_position": self._position(job)}
        return Reply.json(200, body)

    def _status(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        job = self._find(request)
        if job is None:
            return self.error_reply(404, "Request not found")
        body: dict[str, Any] = {**self._urls(job), "status": _fal_status(job)}
        with_logs = request.query.get("logs", "").lower() in ("1", "true", "yes")
        if job.status is JobStatus.SUBMITTED:
            body["queue_position"] = self._position(job)
            return Reply.json(202, body)
        body["logs"] = _logs(job) if with_logs else None
        if not job.status.terminal:
            return Reply.json(202, body)
        ran = (job.finished_at or 0.0) - (job.started_at or job.finished_at or 0.0)
        body["metrics"] = {"inference_time": round(max(ran, 0.001), 3)}
        failure = self._failure(job)
        if failure is not None:
            body["error"], body["error_type"] = failure.error, failure.error_type
        return Reply.json(200, body)

    def _result(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        job = self._find(request)
        if job is None:
            return self.error_reply(404, "Request not found")
        if not job.status.terminal:
            return self.error_reply(400, "Request is still in progress")
        failure = self._failure(job)
        if failure is not None:
            headers = {}
            body: dict[str, Any] = {"detail": failure.detail}
            if failure.status >= 500 and failure.error_type:
                headers["X-Fal-Error-Type"] = failure.error_type
                body["error_type"] = failure.error_type
            return Reply.json(failure.status, body, headers=headers)
        return Reply.json(200, job.output)

    def _cancel(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        job = self._find(request)
        if job is None:
            return Reply.json(404, {"status": "NOT_FOUND", "detail": "Request not found"})
        if job.status.terminal:
            return Reply.json(400, {"status": "ALREADY_COMPLETED"})
        self.jobs.cancel(job.id)
        _extra(job).cancel_requested = True
        self.log.count("requests_cancelled")
        return Reply.json(202, {"status": "CANCELLATION_REQUESTED"})

    def _wrong_path(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        return self.error_reply(405, "Method Not Allowed: status, result and cancel use owner/app")

    # -- helpers ---------------------------------------------------------------------------
    def _find(self, request: RecordedRequest) -> Job | None:
        request_id = request.params["id"]
        if request_id in self._forgotten:
            return None
        job = self.jobs.get(request_id)
        if job is None:
            return None
        app = request.path.split("/requests/", 1)[0].strip("/")
        return job if _extra(job).app == app else None

    def _failure(self, job: Job) -> ModelError | None:
        if job.status is JobStatus.CANCELED:
            return ModelError(
                400,
                "Request was cancelled",
                error="Request was cancelled",
                error_type="request_cancelled",
            )
        if job.status is JobStatus.FAILED:
            return _extra(job).failure or ModelError.from_text(job.error or "the model failed")
        return None

    def _urls(self, job: Job) -> dict[str, str]:
        base = f"{self.origin}/{_extra(job).app if 'fal' in job.extra else ''}"
        return {
            "request_id": job.id,
            "response_url": f"{base}/requests/{job.id}",
            "status_url": f"{base}/requests/{job.id}/status",
            "cancel_url": f"{base}/requests/{job.id}/cancel",
        }

    def _position(self, job: Job) -> int:
        waiting = [j for j in self.jobs.jobs if j.status is JobStatus.SUBMITTED]
        return next((i for i, j in enumerate(waiting) if j.id == job.id), 0)

    # -- outputs ---------------------------------------------------------------------------
    def _render(self, job: Job) -> dict[str, Any]:
        extra = _extra(job)
        endpoint = self.endpoints[extra.endpoint]
        values = dict(job.input)
        inline = self.output_mode == "data" or values.get("sync_mode") is True
        seed = values.get("seed")
        seed = int(seed) if isinstance(seed, int) else abs(hash(job.id)) % 2**31
        output: dict[str, Any]
        if endpoint.result_key == "images":
            output = {"images": self._images(job, endpoint, values, inline)}
        elif endpoint.result_key == "video":
            output = {"video": self._video(job, endpoint, values, inline)}
        elif endpoint.result_key == "audio":
            output = {"audio": self._audio(job, endpoint, values, inline)}
        else:
            output = _text_output(values)
        if "seed" in endpoint.extras:
            output["seed"] = seed
        if "description" in endpoint.extras:
            output["description"] = ""
        if "duration_ms" in endpoint.extras:
            output["duration_ms"] = round(extra.seconds * 1000)
        if "timestamps" in endpoint.extras:
            output["timestamps"] = None
        self.log.count("requests_completed")
        return output

    def _host(self, job: Job, data: bytes, mime: str, name: str, inline: bool) -> dict[str, Any]:
        if inline:
            url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
        else:
            url = self.files.put(data, mime, key=f"{job.id}/{name}")
        return {"url": url, "content_type": mime, "file_name": name, "file_size": len(data)}

    def _images(
        self, job: Job, endpoint: FalEndpoint, values: dict[str, Any], inline: bool
    ) -> list[dict[str, Any]]:
        width, height = self._image_size(endpoint, values)
        fmt = str(endpoint.value(values, "output_format") or "png")
        fmt = fmt if fmt in _MIMES else "png"
        mime = _MIMES[fmt]
        count = int(endpoint.value(values, "num_images") or 1)
        images = []
        for index in range(count):
            data = make_image(fmt, width, height, f"{values.get('prompt')}/{index}")
            name = f"image_{index}.{'jpg' if fmt == 'jpeg' else fmt}"
            images.append(
                {**self._host(job, data, mime, name, inline), "width": width, "height": height}
            )
        return images

    def _image_size(self, endpoint: FalEndpoint, values: dict[str, Any]) -> tuple[int, int]:
        size = endpoint.value(values, "image_size")
        if isinstance(size, dict):
            return _capped(int(size["width"]), int(size["height"]))
        if isinstance(size, str) and size in IMAGE_PRESETS:
            return _capped(*IMAGE_PRESETS[size])
        aspect = endpoint.value(values, "aspect_ratio")
        aspect = "1:1" if aspect in (None, "auto") else str(aspect)
        longest = self.image_longest * (2 if endpoint.value(values, "resolution") == "2K" else 1)
        return image_size(aspect, longest=longest)

    def _video(
        self, job: Job, endpoint: FalEndpoint, values: dict[str, Any], inline: bool
    ) -> dict[str, Any]:
        seconds = _seconds(endpoint.value(values, "duration")) or 5.0
        aspect = endpoint.value(values, "aspect_ratio")
        width, height = image_size("16:9" if aspect in (None, "auto") else str(aspect), 64)
        audio = bool(endpoint.value(values, "generate_audio"))
        data = mp4_clip(seconds, width=width, height=height, with_audio=audio)
        _extra(job).seconds = seconds
        return self._host(job, data, "video/mp4", "output.mp4", inline)

    def _audio(
        self, job: Job, endpoint: FalEndpoint, values: dict[str, Any], inline: bool
    ) -> dict[str, Any]:
        seconds = endpoint.value(values, "seconds_total")
        if not isinstance(seconds, int | float):
            text = str(values.get("text") or values.get("prompt") or "")
            speed = endpoint.value(values, "voice_setting.speed") or endpoint.value(values, "speed")
            speed = float(speed) if isinstance(speed, int | float) and speed > 0 else 1.0
            seconds = max(1.0, len(text) / CHARS_PER_SECOND / speed)
        data = mp3_clip(float(seconds))
        _extra(job).seconds = float(seconds)
        return self._host(job, data, "audio/mpeg", "output.mp3", inline)


def _extra(job: Job) -> _Extra:
    found = job.extra.get("fal")
    if not isinstance(found, _Extra):
        found = job.extra["fal"] = _Extra(endpoint="", app="")
    return found


def _fal_status(job: Job) -> str:
    if job.status is JobStatus.SUBMITTED:
        return "IN_QUEUE"
    return "COMPLETED" if job.status.terminal else "IN_PROGRESS"


def _logs(job: Job) -> list[dict[str, Any]]:
    """The request's log lines so far (a failure ends with a traceback of 25 lines)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    lines = ["Loading the model", "Running inference"]
    if job.status is JobStatus.SUCCEEDED:
        lines.append("Inference done; uploading the output")
    elif job.status is JobStatus.FAILED:
        lines += [f"  at step {i}: still working" for i in range(20)]
        lines += ["Traceback (most recent call last):", f"RuntimeError: {job.error}"]
    elif job.status is JobStatus.CANCELED:
        lines.append("Request cancelled")
    return [
        {"timestamp": stamp, "level": "INFO", "source": "user", "message": line} for line in lines
    ]


def _seconds(value: Any) -> float | None:
    """``5``, ``"5"`` or ``"8s"`` as seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value or ""))
    return float(match.group(1)) if match else None


def _capped(width: int, height: int, limit: int = 2048) -> tuple[int, int]:
    # A real 4096x4096 PNG is cheap to describe but slow to make: past `limit` the fake keeps
    # the aspect ratio and reports the size it really made.
    scale = min(1.0, limit / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _text_output(values: dict[str, Any]) -> dict[str, Any]:
    text = f"{values.get('system_prompt') or ''}\n{values.get('prompt') or ''}"
    if is_script_request(None, text):
        answer = json.dumps(script_answer(None, text))
    else:
        answer = f"Here is a short answer about {str(values.get('prompt'))[:120]}. It is fake."
    tokens = {"prompt_tokens": len(text.split()), "completion_tokens": len(answer.split())}
    usage = {**tokens, "total_tokens": sum(tokens.values()), "cost": 0.0001}
    return {"output": answer, "usage": usage}


__all__ = [
    "CANARY_FAL_KEY",
    "CHARS_PER_SECOND",
    "FAL_SECRET_NAME",
    "IMAGE_PRESETS",
    "LOCAL_FAL_KEY",
    "NAMESPACES",
    "FakeFal",
    "FalEndpoint",
    "FalField",
    "ModelError",
    "app_id",
    "fal_endpoints",
]
