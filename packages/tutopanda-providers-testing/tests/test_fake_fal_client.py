"""The official ``fal_client`` against :class:`FakeFal`: the fake speaks FAL's real queue
protocol (``reference/fal-api.md`` section G: the client's queue URL is the module global
``QUEUE_URL_FORMAT``, read at call time, so tests point it at the fake)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tutopanda_providers_testing.fake_fal import CANARY_FAL_KEY, FakeFal, ModelError

fal_client = pytest.importorskip("fal_client")
client_module = pytest.importorskip("fal_client.client")

pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]

IMAGE = "fal-ai/imagen4/preview/fast"
SUBPATH = "fal-ai/veo3/fast/image-to-video"


@pytest.fixture
def client(fake_fal: FakeFal, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A ``SyncClient`` on the fake, with no retries (a test sees each call once)."""
    monkeypatch.setattr(client_module, "QUEUE_URL_FORMAT", fake_fal.base_url + "/")
    monkeypatch.setattr(client_module, "MAX_ATTEMPTS", 1)
    yield fal_client.SyncClient(key=CANARY_FAL_KEY)


def test_submit_status_get(client: Any, fake_fal: FakeFal) -> None:
    fake_fal.jobs.queue_seconds = fake_fal.jobs.run_seconds = 60.0
    handle = client.submit(IMAGE, arguments={"prompt": "a red panda", "aspect_ratio": "16:9"})
    queued = handle.status()
    assert isinstance(queued, fal_client.Queued) and queued.position == 0
    fake_fal.begin(handle.request_id)
    running = handle.status(with_logs=True)
    assert isinstance(running, fal_client.InProgress) and running.logs
    fake_fal.finish(handle.request_id)
    done = handle.status(with_logs=True)
    assert isinstance(done, fal_client.Completed) and done.error is None
    assert done.metrics["inference_time"] >= 0 and done.logs
    result = handle.get()
    [image] = result["images"]
    assert (image["width"], image["height"]) == (1024, 576)
    assert image["content_type"] == "image/png" and image["url"].startswith(fake_fal.origin)
    [submit] = fake_fal.log.for_route("submit")
    assert submit.json == {"prompt": "a red panda", "aspect_ratio": "16:9"}  # no wrapper


def test_iter_events_ends_completed(client: Any, fake_fal: FakeFal) -> None:
    handle = client.submit(IMAGE, arguments={"prompt": "a cat"})
    events = list(handle.iter_events(with_logs=True, interval=0.01))
    assert isinstance(events[-1], fal_client.Completed)


def test_logs_only_when_asked(client: Any, fake_fal: FakeFal) -> None:
    handle = client.submit(IMAGE, arguments={"prompt": "a cat"})
    assert handle.status(with_logs=False).logs is None
    assert handle.status(with_logs=True).logs[0]["message"]


def test_subpath_endpoints_poll_owner_app(client: Any, fake_fal: FakeFal) -> None:
    arguments = {"prompt": "a wave", "image_url": "https://example.test/a.png", "duration": "4s"}
    handle = client.submit(SUBPATH, arguments=arguments)
    result = handle.get()
    assert result["video"]["content_type"] == "video/mp4"
    paths = {r.path for r in fake_fal.requests if r.route in ("status", "result")}
    assert paths and all(p.startswith("/fal-ai/veo3/requests/") for p in paths)
    # The client's own URL building (from QUEUE_URL_FORMAT and the app id) agrees.
    assert isinstance(client.status(SUBPATH, handle.request_id), fal_client.Completed)


def test_cancel_then_already_completed(client: Any, fake_fal: FakeFal) -> None:
    fake_fal.jobs.queue_seconds = 60.0
    handle = client.submit(IMAGE, arguments={"prompt": "a cat"})
    handle.cancel()
    assert fake_fal.log.counter("requests_cancelled") == 1
    done = handle.status()
    assert isinstance(done, fal_client.Completed) and done.error
    with pytest.raises(fal_client.client.FalClientHTTPError) as caught:
        handle.cancel()
    assert caught.value.status_code == 400


def test_a_bad_input_is_a_422_detail_list(client: Any) -> None:
    with pytest.raises(fal_client.client.FalClientHTTPError) as caught:
        client.submit(IMAGE, arguments={"aspect_ratio": "2:1", "num_images": 9})
    error = caught.value
    assert error.status_code == 422
    fields = sorted(tuple(item["loc"]) for item in error.message)
    assert fields == [("body", "aspect_ratio"), ("body", "num_images"), ("body", "prompt")]


def test_completed_with_error_replays_the_model_error(client: Any, fake_fal: FakeFal) -> None:
    fake_fal.fail_next(ModelError.content_policy("flagged"))
    handle = client.submit(IMAGE, arguments={"prompt": "a cat"})
    done = handle.status(with_logs=True)
    assert isinstance(done, fal_client.Completed)
    assert done.error and done.error_type == "content_policy_violation"
    with pytest.raises(fal_client.client.FalClientHTTPError) as caught:
        handle.get()
    assert caught.value.status_code == 422
    assert caught.value.message[0]["type"] == "content_policy_violation"


def test_an_infrastructure_error_has_its_type(client: Any, fake_fal: FakeFal) -> None:
    from tutopanda_providers_testing import Fault

    fake_fal.faults.add("submit", Fault.status(503, code="runner_scheduling_failure"))
    with pytest.raises(fal_client.client.FalClientHTTPError) as caught:
        client.submit(IMAGE, arguments={"prompt": "a cat"})
    assert caught.value.error_type == "runner_scheduling_failure"
    assert fake_fal.submitted == 0


def test_a_wrong_key_is_401(fake_fal: FakeFal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "QUEUE_URL_FORMAT", fake_fal.base_url + "/")
    monkeypatch.setattr(client_module, "MAX_ATTEMPTS", 1)
    with pytest.raises(fal_client.client.FalClientHTTPError) as caught:
        fal_client.SyncClient(key="wrong:key").submit(IMAGE, arguments={"prompt": "a cat"})
    assert caught.value.status_code == 401 and isinstance(caught.value.message, str)
    assert fake_fal.submitted == 0


def test_sync_mode_returns_a_data_uri(client: Any, fake_fal: FakeFal) -> None:
    result = client.submit(IMAGE, arguments={"prompt": "a cat", "sync_mode": True}).get()
    assert result["images"][0]["url"].startswith("data:image/png;base64,")
    assert fake_fal.files.keys == []
