"""The fake Replicate server, driven by the real ``replicate`` SDK over loopback."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

replicate = pytest.importorskip("replicate")
httpx = pytest.importorskip("httpx")

from PIL import Image  # noqa: E402
from replicate.exceptions import ModelError, ReplicateError  # noqa: E402
from tutopanda_providers_testing import FakeReplicateServer, Fault  # noqa: E402
from tutopanda_providers_testing.fake_replicate import version_id  # noqa: E402

TOKEN = "r8_test-canary-123"


@pytest.fixture
def srv() -> Iterator[FakeReplicateServer]:
    with FakeReplicateServer(api_key=TOKEN) as server:
        yield server


def client(srv: FakeReplicateServer, **kwargs: Any) -> Any:
    return replicate.Client(api_token=TOKEN, base_url=srv.base_url, **kwargs)


def poll_fast(prediction: Any) -> None:
    prediction._client.poll_interval = 0.001
    prediction.wait()


def test_run_by_model_returns_a_real_image_served_by_the_fake(srv: FakeReplicateServer) -> None:
    output = client(srv).run("google/imagen-4", input={"prompt": "a cat", "aspect_ratio": "16:9"})
    assert isinstance(output, str)  # http:// URLs are left as plain str by the SDK
    assert output.startswith(srv.base_url + "/files/")
    image = Image.open(io.BytesIO(httpx.get(output).content))
    assert image.format == "JPEG"
    assert image.width > image.height


def test_prefer_wait_answers_terminal_and_echoes_preference(srv: FakeReplicateServer) -> None:
    client(srv).run("google/nano-banana", input={"prompt": "x"}, wait=10)
    create = srv.log.for_route("create")[0]
    assert create.header("prefer") == "wait=10"
    assert create.header("authorization") == f"Bearer {TOKEN}"
    assert srv.log.for_route("get") == []
    assert srv.predictions[0].status == "succeeded"


def test_prediction_goes_starting_processing_succeeded_over_polls() -> None:
    with FakeReplicateServer(polls_to_finish=3) as srv:
        prediction = client(srv).predictions.create(
            model="bytedance/seedance-1-lite", input={"prompt": "a wave"}
        )
        assert prediction.status == "starting"
        prediction.reload()
        assert prediction.status == "processing"
        poll_fast(prediction)
        assert prediction.status == "succeeded"
        assert prediction.output.endswith(".mp4")
        assert len(srv.log.for_route("get")) == 3


def test_create_by_version_uses_the_models_fake_version(srv: FakeReplicateServer) -> None:
    prediction = client(srv).predictions.create(
        version=version_id("google/imagen-4"), input={"prompt": "x"}
    )
    assert prediction.model == "google/imagen-4"
    assert srv.log.for_route("create")[0].path == "/v1/predictions"


def test_text_model_outputs_a_list_of_string_chunks(srv: FakeReplicateServer) -> None:
    output = client(srv).run(
        "google/gemini-2.5-flash", input={"prompt": "volcanoes"}, use_file_output=False
    )
    assert isinstance(output, list)
    assert all(isinstance(chunk, str) for chunk in output)
    assert "volcanoes" in "".join(output)


def test_text_model_asked_for_json_returns_a_script() -> None:
    from tutopanda_providers.contracts import Script

    with FakeReplicateServer() as srv:
        output = client(srv).run(
            "google/gemini-2.5-flash",
            input={"prompt": "Write about volcanoes", "system_instruction": "Answer in JSON."},
            use_file_output=False,
        )
    script = Script.model_validate_json("".join(output))
    assert script.segments


def test_data_uri_outputs_become_file_outputs() -> None:
    with FakeReplicateServer(output_mode="data") as srv:
        output = client(srv).run("minimax/speech-02-hd", input={"text": "hello"})
    assert output.url.startswith("data:audio/mpeg;base64,")
    assert output.read()[:3] == b"ID3"


def test_array_output_model_returns_a_list_of_urls(srv: FakeReplicateServer) -> None:
    output = client(srv).run(
        "bytedance/seedream-4",
        input={"prompt": "x", "sequential_image_generation": "auto", "max_images": 3},
    )
    assert isinstance(output, list) and len(output) == 3


@pytest.mark.parametrize(
    ("model", "inputs", "field"),
    [
        ("google/veo-3-fast", {"prompt": "x", "duration": 10}, "duration"),
        ("google/veo-3-fast", {"prompt": "x", "resolution": "480p"}, "resolution"),
        ("bytedance/seedance-1-pro-fast", {"prompt": "x", "duration": 13}, "duration"),
        ("minimax/speech-02-hd", {"voice_id": "Wise_Woman"}, "text"),
        ("elevenlabs/v3", {"prompt": "x", "stability": "high"}, "stability"),
    ],
)
def test_bad_input_is_a_422_problem_naming_the_field(
    srv: FakeReplicateServer, model: str, inputs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ReplicateError) as caught:
        client(srv).predictions.create(model=model, input=inputs)
    assert caught.value.status == 422
    assert f"input.{field}" in (caught.value.detail or "")
    assert srv.predictions_created == 0


def test_unknown_model_is_a_404(srv: FakeReplicateServer) -> None:
    with pytest.raises(ReplicateError) as caught:
        client(srv).predictions.create(model="nobody/nothing", input={"prompt": "x"})
    assert caught.value.status == 404


def test_missing_or_wrong_token_is_a_401_problem(srv: FakeReplicateServer) -> None:
    wrong = replicate.Client(api_token="r8_wrong-token-9", base_url=srv.base_url)
    with pytest.raises(ReplicateError) as caught:
        wrong.predictions.create(model="google/imagen-4", input={"prompt": "x"})
    assert caught.value.status == 401
    assert caught.value.title == "Unauthenticated"
    answer = httpx.post(f"{srv.base_url}/v1/models/google/imagen-4/predictions", json={})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


def test_answers_carry_ratelimit_headers(srv: FakeReplicateServer) -> None:
    answer = httpx.get(
        f"{srv.base_url}/v1/predictions", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert answer.headers["ratelimit-remaining"].isdigit()
    assert answer.headers["ratelimit-reset"] == "1"


def test_list_pages_with_next_and_previous() -> None:
    with FakeReplicateServer(page_size=2) as srv:
        c = client(srv)
        for i in range(3):
            c.predictions.create(model="google/imagen-4", input={"prompt": f"p{i}"})
        first = c.predictions.list()
        assert len(first.results) == 2 and first.next is not None and first.previous is None
        second = c.predictions.list(first.next)
        assert len(second.results) == 1 and second.next is None
        assert second.results[0].input["prompt"] == "p0"


def test_cancel_reaches_the_server_and_cancels(srv: FakeReplicateServer) -> None:
    srv.faults.add("create", Fault.never_finishes())
    c = client(srv)
    prediction = c.predictions.create(model="google/veo-3-fast", input={"prompt": "x"})
    prediction.reload()
    assert prediction.status == "processing"
    prediction.cancel()
    prediction.reload()
    assert prediction.status == "canceled"
    assert len(srv.log.for_route("cancel")) == 1


def test_never_finishing_prediction_answers_starting_to_prefer_wait(
    srv: FakeReplicateServer,
) -> None:
    srv.faults.add("create", Fault.never_finishes())
    prediction = client(srv).predictions.create(
        model="google/imagen-4", input={"prompt": "x"}, wait=5
    )
    assert prediction.status == "starting"


def test_cancel_after_deadline_aborts_a_prediction_that_never_started(
    srv: FakeReplicateServer,
) -> None:
    srv.faults.add("create", Fault.never_finishes())
    headers = {"Authorization": f"Bearer {TOKEN}", "Cancel-After": "1ms"}
    url = f"{srv.base_url}/v1/models/google/imagen-4/predictions"
    created = httpx.post(url, json={"input": {"prompt": "x"}}, headers=headers).json()
    srv.prediction(created["id"]).deadline = 0.0  # deadline already passed, without sleeping
    got = httpx.get(f"{srv.base_url}/v1/predictions/{created['id']}", headers=headers).json()
    assert got["status"] == "aborted"
    # The 1.0.7 SDK cannot parse the new status: handlers must expect that.
    with pytest.raises(Exception, match="status"):
        client(srv).predictions.get(created["id"])


def test_failed_prediction_raises_model_error_with_the_error_text(
    srv: FakeReplicateServer,
) -> None:
    srv.faults.add("create", Fault.prediction_fails("NSFW content detected"))
    c = client(srv)
    c.poll_interval = 0.001
    with pytest.raises(ModelError) as caught:
        c.run("google/imagen-4", input={"prompt": "x"}, wait=False)
    assert caught.value.prediction.error == "NSFW content detected"


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_error_status_on_create_is_raised_at_once_without_sdk_retry(
    srv: FakeReplicateServer, status: int
) -> None:
    srv.faults.add("create", Fault.status(status, retry_after=0))
    with pytest.raises(ReplicateError) as caught:
        client(srv).predictions.create(model="google/imagen-4", input={"prompt": "x"})
    assert caught.value.status == status
    assert len(srv.log.for_route("create")) == 1  # POST is never retried by the SDK
    assert srv.predictions_created == 0


def test_throttle_text_and_retry_after_header(srv: FakeReplicateServer) -> None:
    srv.faults.add("create", Fault.rate_limited(retry_after=7))
    answer = httpx.post(
        f"{srv.base_url}/v1/models/google/imagen-4/predictions",
        json={"input": {"prompt": "x"}},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "7"
    assert answer.json()["detail"] == "Request was throttled. Your rate limit resets in ~7s."


def test_a_429_on_get_is_retried_by_the_sdk_honouring_retry_after(
    srv: FakeReplicateServer,
) -> None:
    c = client(srv)
    prediction = c.predictions.create(model="google/imagen-4", input={"prompt": "x"})
    srv.faults.add("get", Fault.rate_limited(retry_after=0))
    again = c.predictions.get(prediction.id)
    assert again.id == prediction.id
    assert len(srv.log.for_route("get")) == 2


def test_reset_before_processing_creates_nothing(srv: FakeReplicateServer) -> None:
    srv.faults.add("create", Fault.reset_before())
    with pytest.raises(httpx.TransportError):
        client(srv).predictions.create(model="google/imagen-4", input={"prompt": "x"})
    assert srv.predictions_created == 0


def test_reset_after_processing_leaves_a_prediction_the_client_never_saw(
    srv: FakeReplicateServer,
) -> None:
    srv.faults.add("create", Fault.reset_after())
    with pytest.raises(httpx.TransportError):
        client(srv).predictions.create(model="google/imagen-4", input={"prompt": "x"})
    assert srv.predictions_created == 1
    # A client can find it again through the list route.
    listed = client(srv).predictions.list()
    assert [p.id for p in listed.results] == [srv.predictions[0].id]


def test_slow_answer_past_the_client_timeout_is_a_read_timeout(
    srv: FakeReplicateServer,
) -> None:
    c = client(srv, timeout=httpx.Timeout(0.2))
    prediction = c.predictions.create(model="google/imagen-4", input={"prompt": "x"})
    srv.faults.add("get", Fault.slow(5))
    # Note: the SDK sends create without ``wait`` with timeout=None (no timeout at all), so a
    # deadline on create must come from the caller; polls use the client's timeout.
    with pytest.raises(httpx.ReadTimeout):
        c.predictions.get(prediction.id)


def test_slow_create_still_creates_the_prediction(srv: FakeReplicateServer) -> None:
    srv.faults.add("create", Fault.slow(5))
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{srv.base_url}/v1/models/google/imagen-4/predictions",
            json={"input": {"prompt": "x"}},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=0.2,
        )
    assert srv.predictions_created == 1


def test_malformed_json_answer_fails_to_parse(srv: FakeReplicateServer) -> None:
    srv.faults.add("create", Fault.malformed_json())
    with pytest.raises(ValueError):
        client(srv).predictions.create(model="google/imagen-4", input={"prompt": "x"})


def test_truncated_download_is_a_protocol_error(srv: FakeReplicateServer) -> None:
    url = client(srv).run("google/imagen-4", input={"prompt": "x"})
    srv.faults.add("file", Fault.truncated_download())
    with pytest.raises(httpx.TransportError):
        httpx.get(url)


def test_slow_download_trickles_past_a_read_timeout(srv: FakeReplicateServer) -> None:
    url = client(srv).run("google/imagen-4", input={"prompt": "x"})
    srv.faults.add("file", Fault.slow_download(5))
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(url, timeout=0.2)


def test_slow_download_eventually_completes(srv: FakeReplicateServer) -> None:
    url = client(srv).run("google/imagen-4", input={"prompt": "x"})
    whole = httpx.get(url).content
    srv.faults.add("file", Fault.slow_download(0.05))
    assert httpx.get(url).content == whole


@pytest.mark.parametrize("status", [404, 410])
def test_expired_output_url_answers_not_found_or_gone(
    srv: FakeReplicateServer, status: int
) -> None:
    url = client(srv).run("google/imagen-4", input={"prompt": "x"})
    srv.faults.add("file", Fault.expired(status))
    assert httpx.get(url).status_code == status
    assert httpx.get(url).status_code == 200


def test_expire_files_removes_every_output(srv: FakeReplicateServer) -> None:
    c = client(srv)
    url = c.run("google/imagen-4", input={"prompt": "x"})
    srv.expire_files()
    assert httpx.get(url).status_code == 404
    assert srv.predictions[0].data_removed is True


def test_server_side_rate_limit_answers_429() -> None:
    with FakeReplicateServer(rate_limit=2) as srv:
        c = client(srv)
        statuses = []
        for _ in range(6):
            try:
                c.predictions.create(model="google/imagen-4", input={"prompt": "x"})
                statuses.append(201)
            except ReplicateError as exc:
                statuses.append(exc.status)
    assert 429 in statuses
    assert srv.log.counter("rate_limited") == statuses.count(429)


def test_faults_fire_after_and_times_as_scripted(srv: FakeReplicateServer) -> None:
    rule = srv.faults.add("create", Fault.status(503), after=1, times=2)
    c = client(srv)
    outcomes = []
    for _ in range(4):
        try:
            c.predictions.create(model="google/imagen-4", input={"prompt": "x"})
            outcomes.append("ok")
        except ReplicateError as exc:
            outcomes.append(exc.status)
    assert outcomes == ["ok", 503, 503, "ok"]
    assert rule.fired == 2 and rule.exhausted


async def test_async_create_and_wait_work_against_the_fake(srv: FakeReplicateServer) -> None:
    c = client(srv)
    c.poll_interval = 0.001
    prediction = await c.predictions.async_create(
        model="stability-ai/stable-audio-2.5", input={"prompt": "calm", "duration": 10}
    )
    await prediction.async_wait()
    assert prediction.status == "succeeded"
    assert prediction.output.endswith(".mp3")
