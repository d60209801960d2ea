"""The public fake-server toolkit: routes of any method, auth schemes, the job lifecycle,
hosted files with Range, faults and the request log — through real HTTP (stdlib client)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from tutopanda_providers_testing.fakeserver import (
    BEARER,
    KEY,
    NO_AUTH,
    FakeServer,
    Fault,
    HeaderAuth,
    JobQueue,
    JobStatus,
    RecordedRequest,
    Reply,
    compile_path,
)


def call(
    url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Echo(FakeServer):
    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            self.add_route(method, "/v1/things/{id}", f"thing-{method.lower()}", self._echo)

    def _echo(self, request: RecordedRequest, fault: Fault | None) -> Reply:
        return Reply.json(200, {"method": request.method, "id": request.params["id"]})


@pytest.fixture
def echo() -> Iterator[Echo]:
    with Echo(auth=NO_AUTH) as server:
        yield server


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_routes_of_any_method_answer_with_their_path_parameters(echo: Echo, method: str) -> None:
    status, _, body = call(
        f"{echo.base_url}/v1/things/t-1", method, body={} if method != "GET" else None
    )
    assert status == 200 and json.loads(body) == {"method": method, "id": "t-1"}
    [seen] = echo.log.requests
    assert seen.route == f"thing-{method.lower()}" and seen.params == {"id": "t-1"}


def test_an_unknown_route_is_a_404_in_the_default_dialect(echo: Echo) -> None:
    status, _, body = call(f"{echo.base_url}/v2/nothing", "PUT", body={})
    assert status == 404 and "no route for PUT /v2/nothing" in json.loads(body)["error"]["message"]
    assert echo.log.requests[0].route == "unknown"


def test_path_templates_match_one_segment_or_the_rest() -> None:
    assert compile_path("/v1/jobs/{id}").match("/v1/jobs/abc/")
    assert not compile_path("/v1/jobs/{id}").match("/v1/jobs/a/b")
    assert compile_path("/files/{key:path}").match("/files/a/b.png")["key"] == "a/b.png"  # type: ignore[index]


@pytest.mark.parametrize(
    ("auth", "good", "bad"),
    [
        (BEARER, {"Authorization": "Bearer k-1"}, {"Authorization": "Token k-1"}),
        (KEY, {"Authorization": "Key k-1"}, {"Authorization": "Bearer k-1"}),
        (HeaderAuth("X-API-Key", schemes=()), {"x-api-key": "k-1"}, {"Authorization": "k-1"}),
        (
            HeaderAuth(schemes=("Token",)),
            {"Authorization": "token k-1"},
            {"Authorization": "Token k-2"},
        ),
    ],
)
def test_auth_schemes_accept_their_header_and_refuse_others(
    auth: HeaderAuth, good: dict[str, str], bad: dict[str, str]
) -> None:
    with Echo(auth=auth, api_key="k-1") as server:
        assert call(f"{server.base_url}/v1/things/1", headers=good)[0] == 200
        assert call(f"{server.base_url}/v1/things/1", headers=bad)[0] == 401
        assert call(f"{server.base_url}/v1/things/1")[0] == 401
        assert server.log.counter("unauthorised") == 2


def test_without_an_api_key_any_non_empty_key_passes() -> None:
    with Echo(auth=KEY) as server:
        assert call(f"{server.base_url}/v1/things/1", headers={"Authorization": "Key x"})[0] == 200


def test_no_auth_lets_everything_through(echo: Echo) -> None:
    assert call(f"{echo.base_url}/v1/things/1")[0] == 200


def test_faults_apply_to_declared_routes_with_retry_after(echo: Echo) -> None:
    echo.faults.add("thing-put", Fault.rate_limited(retry_after=3))
    status, headers, body = call(f"{echo.base_url}/v1/things/1", "PUT", body={})
    assert status == 429 and headers["Retry-After"] == "3"
    assert "error" in json.loads(body)
    assert call(f"{echo.base_url}/v1/things/1", "PUT", body={})[0] == 200


# -- the job lifecycle -------------------------------------------------------------------------
def test_a_job_is_submitted_then_running_then_succeeded_on_the_timing_set() -> None:
    queue = JobQueue(queue_seconds=0.05, run_seconds=0.05, make_output=lambda job: "done")
    job = queue.submit({"prompt": "x"})
    assert queue.get(job.id).status is JobStatus.SUBMITTED  # type: ignore[union-attr]
    time.sleep(0.06)
    assert queue.get(job.id).status is JobStatus.RUNNING  # type: ignore[union-attr]
    time.sleep(0.06)
    done = queue.get(job.id)
    assert done is not None and done.status is JobStatus.SUCCEEDED and done.output == "done"
    assert done.polls == 3 and done.started_at is not None and done.finished_at is not None


def test_faults_make_jobs_fail_or_never_finish_until_canceled() -> None:
    queue = JobQueue()
    failing = queue.submit({}, fault=Fault.prediction_fails("GPU on fire"))
    stuck = queue.submit({}, fault=Fault.never_finishes())
    failed = queue.get(failing.id)
    assert (
        failed is not None and failed.status is JobStatus.FAILED and failed.error == "GPU on fire"
    )
    assert queue.get(stuck.id).status is JobStatus.RUNNING  # type: ignore[union-attr]
    assert queue.cancel(stuck.id).status is JobStatus.CANCELED  # type: ignore[union-attr]
    assert queue.cancel(failing.id).status is JobStatus.FAILED  # type: ignore[union-attr]
    assert queue.get("job_unknown") is None and queue.cancel("job_unknown") is None


def test_finish_ends_a_job_now() -> None:
    queue = JobQueue(queue_seconds=60, make_output=lambda job: 1)
    job = queue.submit({}, fault=Fault.never_finishes())
    assert queue.finish(job.id).status is JobStatus.SUCCEEDED


# -- hosted files ------------------------------------------------------------------------------
DATA = bytes(range(100))


@pytest.fixture
def hosted(echo: Echo) -> str:
    return echo.files.put(DATA, "application/octet-stream", name="blob.bin")


def test_a_hosted_file_is_served_whole_without_auth(hosted: str) -> None:
    with Echo(api_key="secret") as server:
        url = server.files.put(DATA, "image/png")
        status, headers, body = call(url)
    assert status == 200 and body == DATA and headers["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("header", "part", "content_range"),
    [
        ("bytes=10-19", DATA[10:20], "bytes 10-19/100"),
        ("bytes=90-", DATA[90:], "bytes 90-99/100"),
        ("bytes=-5", DATA[95:], "bytes 95-99/100"),
        ("bytes=95-500", DATA[95:], "bytes 95-99/100"),
    ],
)
def test_range_requests_get_206_and_the_part(
    hosted: str, header: str, part: bytes, content_range: str
) -> None:
    status, headers, body = call(hosted, headers={"Range": header})
    assert status == 206 and body == part and headers["Content-Range"] == content_range


def test_an_unsatisfiable_range_is_416(hosted: str) -> None:
    status, headers, _ = call(hosted, headers={"Range": "bytes=200-"})
    assert status == 416 and headers["Content-Range"] == "bytes */100"


def test_expired_files_answer_404_and_faults_apply(echo: Echo, hosted: str) -> None:
    echo.faults.add("file", Fault.expired(410))
    assert call(hosted)[0] == 410
    assert call(hosted)[0] == 200
    echo.files.expire()
    assert call(hosted)[0] == 404


def test_a_truncated_download_breaks_off(echo: Echo, hosted: str) -> None:
    import http.client

    echo.faults.add("file", Fault.truncated_download())
    with pytest.raises((http.client.IncompleteRead, ConnectionError)):
        call(hosted)
