"""A fake Replicate HTTP API on 127.0.0.1, for the real ``replicate`` SDK to talk to.

    with FakeReplicateServer() as srv:
        client = replicate.Client(api_token="r8_test", base_url=srv.base_url)
        output = client.run("google/imagen-4", input={"prompt": "a cat"})

Routes (see ``reference/provider-apis.md`` section A): create by model and by version, get,
cancel, list, and ``GET /files/<id>/<name>`` for the outputs it makes. Inputs are checked
against the shipped ``models.json`` (422 naming the field); outputs are real small files of the
model's type, served as ``http://`` URLs (which the SDK leaves as ``str``) or as ``data:`` URIs.
A prediction is ``starting`` when created, ``processing`` on the polls that follow and
terminal after ``polls_to_finish`` polls; ``Prefer: wait`` answers with a terminal status, or
``starting`` for a prediction that cannot finish.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from tutopanda_providers_testing.fakeserver import BEARER_OR_TOKEN, FakeServer, Reply
from tutopanda_providers_testing.faults import Fault, FaultKind
from tutopanda_providers_testing.lesson_answers import is_script_request, script_answer
from tutopanda_providers_testing.media import MIME_TYPES, image_size, make_image, mp3, mp4
from tutopanda_providers_testing.model_schemas import ModelSpec, replicate_models
from tutopanda_providers_testing.requestlog import RecordedRequest
from tutopanda_providers_testing.schema_data import generate_from_schema

TERMINAL = frozenset({"succeeded", "failed", "canceled", "aborted"})
OutputMode = Literal["url", "data"]

_MODEL_CREATE = re.compile(r"^/v1/models/([^/]+)/([^/]+)/predictions/?$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def version_id(model: str) -> str:
    """The fake's stable 64-hex version id of ``owner/name``."""
    return hashlib.sha256(f"fake-version:{model}".encode()).hexdigest()


def parse_duration(text: str) -> float | None:
    """Seconds in a ``Cancel-After`` value such as ``1m``, ``30s``, ``500ms`` or ``90``."""
    match = _DURATION.match(text)
    if not match:
        return None
    value, unit = float(match.group(1)), match.group(2) or "s"
    return value * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]


@dataclass
class Prediction:
    """One prediction the fake holds."""

    id: str
    model: str
    version: str
    input: dict[str, Any]
    created_at: str
    created_mono: float
    polls_to_finish: int
    outcome: Literal["succeed", "fail", "never"] = "succeed"
    error_text: str | None = None
    status: str = "starting"
    polls: int = 0
    output: Any = None
    error: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    deadline: float | None = None
    logs: str = ""
    data_removed: bool = False
    files: list[str] = field(default_factory=list)

    @property
    def terminal(self) -> bool:
        """Whether the status is final."""
        return self.status in TERMINAL


class FakeReplicateServer(FakeServer):
    """The fake Replicate API. Use as a context manager; ``base_url`` is what the SDK takes.

    Args:
        polls_to_finish: how many ``GET``s a prediction answers before it is terminal (the
            first ``polls_to_finish - 1`` answer ``processing``).
        output_mode: ``url`` serves files from this server, ``data`` inlines them as
            ``data:`` URIs.
        wait_completes: whether ``Prefer: wait`` finishes the prediction at once.
        send_retry_after: whether 429s carry a ``Retry-After`` header (the docs do not say
            Replicate sends one; its text always says "resets in ~Ns").
        text_output: a function ``(model, input) -> str`` for text models; by default plain
            text about the prompt, JSON fitting a schema when the prompt asks for JSON, and for
            tutopanda's script request a script with the segments and duration it asks.
        page_size: predictions per page of the list route.
        **kwargs: :class:`~tutopanda_providers_testing.fakeserver.FakeServer` options
            (``port``, ``latency``, ``rate_limit``, ``api_key``).
    """

    def __init__(
        self,
        *,
        polls_to_finish: int = 2,
        output_mode: OutputMode = "url",
        wait_completes: bool = True,
        send_retry_after: bool = True,
        text_output: Any = None,
        page_size: int = 100,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auth", BEARER_OR_TOKEN)
        super().__init__(**kwargs)
        self._declare_routes()
        self.polls_to_finish = max(1, polls_to_finish)
        self.output_mode: OutputMode = output_mode
        self.wait_completes = wait_completes
        self.send_retry_after = send_retry_after
        self.text_output = text_output
        self.page_size = page_size
        self.models: dict[str, ModelSpec] = dict(replicate_models())
        self._versions = {version_id(m): m for m in self.models}
        self._lock = threading.Lock()
        self._predictions: dict[str, Prediction] = {}
        self._order: list[str] = []

    # -- public helpers for tests ----------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` — pass it as the SDK's ``base_url`` (no ``/v1``)."""
        return self.origin

    @property
    def predictions(self) -> list[Prediction]:
        """Every prediction, oldest first (a snapshot)."""
        with self._lock:
            return [self._predictions[i] for i in self._order]

    def prediction(self, prediction_id: str) -> Prediction:
        """One prediction by id."""
        with self._lock:
            return self._predictions[prediction_id]

    @property
    def predictions_created(self) -> int:
        """How many predictions were created."""
        return self.log.counter("predictions_created")

    def expire_files(self) -> None:
        """Make every output URL served so far answer 404, as after Replicate's hour."""
        self.files.expire()
        with self._lock:
            for prediction in self._predictions.values():
                prediction.data_removed = True

    def finish(self, prediction_id: str) -> None:
        """Finish a prediction now, as its scripted outcome says (for ``never`` ones too)."""
        with self._lock:
            prediction = self._predictions[prediction_id]
            if prediction.outcome == "never":
                prediction.outcome = "succeed"
            self._complete(prediction)

    # -- routing ---------------------------------------------------------------------------
    def _declare_routes(self) -> None:
        """The routes: create, get, cancel, list, model, version, account (and ``file``, the
        outputs, which the base serves from :attr:`files`)."""
        self.add_route("POST", "/v1/predictions", "create", self._create)
        self.add_route("POST", "/v1/models/{owner}/{name}/predictions", "create", self._create)
        self.add_route("POST", "/v1/predictions/{id}/cancel", "cancel", self._cancel)
        self.add_route("GET", "/v1/account", "account", self._account)
        self.add_route("GET", "/v1/predictions", "list", self._list)
        self.add_route("GET", "/v1/predictions/{id}", "get", self._get)
        self.add_route(
            "GET", "/v1/models/{owner}/{name}/versions/{version}", "version", self._model
        )
        self.add_route("GET", "/v1/models/{owner}/{name}", "model", self._model)

    def unknown_route(self, request: RecordedRequest) -> Reply:
        """Replicate's 404."""
        return self.error_reply(404, "The requested resource could not be found.")

    def _account(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        # GET /v1/account: the free, authenticated call a token check makes.
        return Reply.json(200, {"type": "user", "username": "fake", "name": "Fake Replicate"})

    # -- errors and headers ----------------------------------------------------------------
    def error_reply(
        self,
        status: int,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        code: str | None = None,
        field_name: str | None = None,
    ) -> Reply:
        """A problem+json answer like Replicate's."""
        headers: dict[str, str] = {}
        title = {
            400: "Bad Request",
            401: "Unauthenticated",
            402: "Payment Required",
            404: "Not found",
            422: "Input validation failed",
            429: "Too Many Requests",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }.get(status, "Error")
        if message is None:
            if status == 401:
                message = "You did not pass a valid authentication token"
            elif status == 429:
                seconds = max(1, round(retry_after if retry_after is not None else 1))
                message = f"Request was throttled. Your rate limit resets in ~{seconds}s."
            elif status == 404:
                message = "The requested resource could not be found."
            else:
                message = title
        if retry_after is not None and (status != 429 or self.send_retry_after):
            headers["Retry-After"] = str(max(0, round(retry_after)))
        payload: dict[str, Any] = {"title": title, "detail": message, "status": status}
        return Reply.json(status, payload, content_type="application/problem+json", headers=headers)

    def extra_headers(self, request: RecordedRequest, remaining: int | None) -> dict[str, str]:
        """Replicate's ``ratelimit-*`` headers."""
        if remaining is None:
            remaining = 599 if request.route == "create" else 2999
        return {"ratelimit-remaining": str(remaining), "ratelimit-reset": "1"}

    # -- routes ----------------------------------------------------------------------------
    def _create(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        body = request.json
        if not isinstance(body, dict):
            return self.error_reply(400, "The request body is not a JSON object.")
        model_match = _MODEL_CREATE.match(request.path)
        if model_match:
            model = f"{model_match.group(1)}/{model_match.group(2)}"
            if model not in self.models:
                return self.error_reply(404, "The requested resource could not be found.")
            version = f"dp-{version_id(model)[:32]}"
        else:
            raw_version = str(body.get("version") or "")
            ref, _, ver = raw_version.rpartition(":")
            model_or_none = self._versions.get(ver or raw_version) or (
                ref if ref in self.models else None
            )
            if model_or_none is None:
                return self._invalid([("version", "Invalid version or not permitted")])
            model, version = model_or_none, ver or raw_version
        spec = self.models[model]
        values = body.get("input")
        problems = spec.validate(values)
        if problems:
            return self._invalid([(p.field, p.message) for p in problems])
        assert isinstance(values, dict)
        prediction = Prediction(
            id=_prediction_id(),
            model=model,
            version=version,
            input=values,
            created_at=_now_iso(),
            created_mono=time.monotonic(),
            polls_to_finish=self.polls_to_finish,
        )
        if fault is not None and fault.kind is FaultKind.PREDICTION_FAILS:
            prediction.outcome, prediction.error_text = "fail", fault.message
        elif fault is not None and fault.kind is FaultKind.NEVER_FINISHES:
            prediction.outcome = "never"
        cancel_after = request.header("cancel-after")
        if cancel_after:
            seconds = parse_duration(cancel_after)
            if seconds is None:
                return self._invalid([("Cancel-After", f"invalid duration {cancel_after!r}")])
            prediction.deadline = prediction.created_mono + seconds
        headers: dict[str, str] = {}
        wait = _parse_wait(request.header("prefer"))
        with self._lock:
            self._predictions[prediction.id] = prediction
            self._order.append(prediction.id)
            if wait is not None:
                headers["Preference-Applied"] = f"wait={wait}"
                if self.wait_completes and prediction.outcome != "never":
                    self._complete(prediction)
            payload = self._payload(prediction)
        self.log.count("predictions_created")
        return Reply.json(201, payload, headers=headers)

    def _get(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        prediction_id = request.params["id"]
        with self._lock:
            prediction = self._predictions.get(prediction_id)
            if prediction is None:
                return self.error_reply(404, "The requested resource could not be found.")
            self._advance(prediction)
            payload = self._payload(prediction)
        return Reply.json(200, payload)

    def _cancel(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        prediction_id = request.params["id"]
        with self._lock:
            prediction = self._predictions.get(prediction_id)
            if prediction is None:
                return self.error_reply(404, "The requested resource could not be found.")
            if not prediction.terminal:
                prediction.status = "canceled"
                prediction.completed_at = _now_iso()
            payload = self._payload(prediction)
        self.log.count("predictions_canceled")
        return Reply.json(200, payload)

    def _list(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        cursor = int(request.query.get("cursor", "0") or 0)
        with self._lock:
            newest_first = list(reversed(self._order))
            page = newest_first[cursor : cursor + self.page_size]
            results = [self._payload(self._predictions[i]) for i in page]
        after = cursor + self.page_size
        following = after < len(newest_first)
        earlier = max(0, cursor - self.page_size)
        url = f"{self.origin}/v1/predictions"
        return Reply.json(
            200,
            {
                "next": f"{url}?cursor={after}" if following else None,
                "previous": f"{url}?cursor={earlier}" if cursor else None,
                "results": results,
            },
        )

    def _model(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        model = f"{request.params['owner']}/{request.params['name']}"
        if model not in self.models:
            return self.error_reply(404)
        version = {
            "id": version_id(model),
            "created_at": "2026-01-01T00:00:00Z",
            "cog_version": "0.9.0",
            "openapi_schema": {},
        }
        if request.route == "version":
            return Reply.json(200, version)
        owner, name = model.split("/", 1)
        return Reply.json(
            200,
            {
                "url": f"https://replicate.com/{model}",
                "owner": owner,
                "name": name,
                "description": "fake model",
                "visibility": "public",
                "run_count": 0,
                "latest_version": version,
            },
        )

    def _invalid(self, problems: list[tuple[str, str]]) -> Reply:
        detail = "\n".join(
            f"- input.{name}: {message}"
            if name != "version" and name != "Cancel-After"
            else f"- {name}: {message}"
            for name, message in problems
        )
        payload = {
            "title": "Input validation failed",
            "detail": detail,
            "status": 422,
            "invalid_fields": [
                {"type": "invalid", "field": name, "description": message}
                for name, message in problems
            ],
        }
        self.log.count("rejected_inputs")
        return Reply.json(422, payload, content_type="application/problem+json")

    # -- prediction life -------------------------------------------------------------------
    def _advance(self, prediction: Prediction) -> None:
        """One poll: expire by deadline, or move towards the scripted outcome."""
        if prediction.terminal:
            return
        if prediction.deadline is not None and time.monotonic() >= prediction.deadline:
            prediction.status = "aborted" if prediction.status == "starting" else "canceled"
            prediction.completed_at = _now_iso()
            return
        prediction.polls += 1
        if prediction.outcome == "never" or prediction.polls < prediction.polls_to_finish:
            if prediction.status == "starting":
                prediction.status = "processing"
                prediction.started_at = _now_iso()
            return
        self._complete(prediction)

    def _complete(self, prediction: Prediction) -> None:
        if prediction.terminal:
            return
        prediction.started_at = prediction.started_at or _now_iso()
        prediction.completed_at = _now_iso()
        if prediction.outcome == "fail":
            prediction.status = "failed"
            prediction.error = prediction.error_text or "Prediction failed"
            prediction.logs = f"Traceback (most recent call last):\n{prediction.error}\n"
            return
        prediction.output = self._make_output(prediction)
        prediction.status = "succeeded"
        self.log.count("predictions_succeeded")

    def _make_output(self, prediction: Prediction) -> Any:
        spec = self.models[prediction.model]
        values = spec.with_defaults(prediction.input)
        if spec.output_type.startswith("array<string>"):
            text = self._text(spec, values)
            words = text.split(" ")
            return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
        count = 1
        if spec.output_type.startswith("array"):
            count = int(values.get("max_images") or 1)
            count = count if values.get("sequential_image_generation") == "auto" else 1
        urls = [self._store(prediction, spec, values, i) for i in range(count)]
        return urls if spec.output_type.startswith("array") else urls[0]

    def _text(self, spec: ModelSpec, values: dict[str, Any]) -> str:
        if self.text_output is not None:
            return str(self.text_output(spec.model, values))
        prompt = str(values.get("prompt") or "")
        system = str(values.get("system_instruction") or "")
        if "json" in (prompt + system).lower():
            schema = _embedded_schema(system) or _embedded_schema(prompt)
            if is_script_request(schema, f"{system}\n{prompt}"):
                # tutopanda's script request: the segment count and duration it asks for.
                return json.dumps(script_answer(schema, f"{system}\n{prompt}"))
            if schema is None:
                from tutopanda_providers.contracts import Script

                schema = Script.model_json_schema()
            return json.dumps(generate_from_schema(schema, prompt))
        return f"Here is a short answer about {prompt[:120] or 'your prompt'}. It is fake text."

    def _store(
        self, prediction: Prediction, spec: ModelSpec, values: dict[str, Any], i: int
    ) -> str:
        data, ext = _media_for(spec, values, seed=f"{values.get('prompt')}/{i}")
        name = f"output_{i}.{ext}" if i else f"output.{ext}"
        mime = MIME_TYPES[ext]
        if self.output_mode == "data":
            return f"data:{mime};base64,{base64.b64encode(data).decode()}"
        key = f"{prediction.id}/{name}"
        prediction.files.append(key)
        return self.files.put(data, mime, key=key)

    def _payload(self, prediction: Prediction) -> dict[str, Any]:
        api = f"{self.origin}/v1/predictions/{prediction.id}"
        return {
            "id": prediction.id,
            "model": prediction.model,
            "version": prediction.version,
            "input": prediction.input,
            "logs": prediction.logs,
            "output": prediction.output,
            "data_removed": prediction.data_removed,
            "error": prediction.error,
            "status": prediction.status,
            "created_at": prediction.created_at,
            "started_at": prediction.started_at,
            "completed_at": prediction.completed_at,
            "source": "api",
            "metrics": {"predict_time": 0.01, "total_time": 0.02}
            if prediction.status == "succeeded"
            else {},
            "urls": {
                "get": api,
                "cancel": f"{api}/cancel",
                "stream": f"{api}/stream",
                "web": f"https://replicate.com/p/{prediction.id}",
            },
        }


def _prediction_id() -> str:
    # 26 lower-case base32 characters, like Replicate's ids.
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()[:26]


def _parse_wait(prefer: str | None) -> int | None:
    if not prefer:
        return None
    for part in prefer.split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "wait":
            try:
                return max(1, min(60, int(value))) if value else 60
            except ValueError:
                return 60
    return None


def _embedded_schema(text: str) -> dict[str, Any] | None:
    start = text.find("{")
    while start != -1:
        depth = 0
        for end in range(start, len(text)):
            if text[end] == "{":
                depth += 1
            elif text[end] == "}":
                depth -= 1
                if depth == 0:
                    try:
                        candidate = json.loads(text[start : end + 1])
                    except ValueError:
                        break
                    if isinstance(candidate, dict) and (
                        "properties" in candidate or "$defs" in candidate
                    ):
                        return candidate
                    break
        start = text.find("{", start + 1)
    return None


def _media_for(spec: ModelSpec, values: dict[str, Any], *, seed: str) -> tuple[bytes, str]:
    kind = spec.kind
    if kind == "image":
        fmt = str(values.get("output_format") or "")
        if fmt not in {"png", "jpg", "jpeg", "webp"}:
            fmt = {"image/png": "png", "image/webp": "webp"}.get(spec.output_mime or "", "jpg")
        width, height = image_size(str(values.get("aspect_ratio") or "1:1"))
        return make_image(fmt, width, height, seed), "jpg" if fmt == "jpeg" else fmt
    if kind == "video":
        return mp4(with_audio=bool(values.get("generate_audio", False))), "mp4"
    if kind in {"audio", "music"}:
        return mp3(), "mp3"
    return json.dumps(values).encode(), "json"
