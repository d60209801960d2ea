"""The Acme handler's own behaviour, beyond the conformance suite: resume, options, error
kinds, the key never sent to the file host, the job lifecycle seen through the fake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tutopanda_provider_example.plugin as acme_plugin
from tutopanda_providers import (
    ConfigurationError,
    Descriptor,
    ErrorKind,
    JobInfo,
    ProducerKind,
    ProviderError,
    ProviderRegistry,
)
from tutopanda_providers.handler import RESUME_REMOTE_JOB, RemoteJob
from tutopanda_providers.secrets import MappingSecretResolver
from tutopanda_providers_testing import Fault
from tutopanda_providers_testing.fakes import fake_registry
from tutopanda_providers_testing.keys import canary_for

pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]
# Marked, not left to an asyncio_mode setting: a copy of this folder runs as it is.
pytestmark = pytest.mark.asyncio

PIXEL = Descriptor.parse("acme/pixel-1")
KEY = canary_for("ACME_API_KEY")


def registry_for(fake: Any, tmp_path: Path, **options: Any) -> ProviderRegistry:
    return fake_registry(
        [("acme", acme_plugin)],
        storage=tmp_path / "blobs",
        secrets=MappingSecretResolver({"ACME_API_KEY": KEY}),
        provider_options={
            "acme": {"base_url": fake.base_url, "poll_interval": 0.005, "poll_max": 0.01, **options}
        },
    )


async def run(registry: ProviderRegistry, inputs: dict[str, Any], **resume: Any) -> Any:
    handler = registry.resolve(PIXEL)
    reported: list[RemoteJob] = []
    request = registry.new_request(
        PIXEL, inputs, job=JobInfo(id="job-1", producer="Image", kind=ProducerKind.IMAGE)
    )
    request.resume = resume
    request.on_remote_job = reported.append
    result = await handler.invoke(request)
    return result, reported


async def test_a_job_goes_submitted_running_succeeded_and_reports_its_id(
    fake_acme: Any, tmp_path: Path
) -> None:
    fake_acme.jobs.queue_seconds, fake_acme.jobs.run_seconds = 0.02, 0.02
    result, reported = await run(registry_for(fake_acme, tmp_path), {"prompt": "a panda"})
    [job] = fake_acme.jobs.jobs
    assert [r.id for r in reported] == [job.id] and not reported[0].resumed
    assert result.provider.remote_job_id == job.id
    assert job.status == "succeeded" and job.started_at is not None
    assert result.provider.cost.amount_usd == pytest.approx(0.03)
    assert result.artefacts[0].facts.width and result.artefacts[0].mime == "image/png"


async def test_a_resumed_job_is_polled_not_submitted_again(fake_acme: Any, tmp_path: Path) -> None:
    earlier = fake_acme.jobs.submit({"prompt": "a panda"})
    result, reported = await run(
        registry_for(fake_acme, tmp_path), {"prompt": "a panda"}, **{RESUME_REMOTE_JOB: earlier.id}
    )
    assert fake_acme.log.for_route("submit") == []
    assert result.provider.remote_job_id == earlier.id
    assert reported[0].resumed


async def test_a_forgotten_job_is_submitted_anew(fake_acme: Any, tmp_path: Path) -> None:
    result, reported = await run(
        registry_for(fake_acme, tmp_path), {"prompt": "a panda"}, **{RESUME_REMOTE_JOB: "job_gone"}
    )
    assert len(fake_acme.log.for_route("submit")) == 1
    assert result.provider.remote_job_id != "job_gone" and not reported[0].resumed


async def test_the_key_goes_to_the_api_and_never_to_the_file_host(
    fake_acme: Any, tmp_path: Path
) -> None:
    await run(registry_for(fake_acme, tmp_path), {"prompt": "a panda"})
    assert {r.header("authorization") for r in fake_acme.log.for_route("submit")} == {f"Key {KEY}"}
    downloads = fake_acme.log.for_route("file")
    assert downloads and all(r.header("authorization") is None for r in downloads)


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (Fault.status(402, message="no credit left"), ErrorKind.QUOTA),
        (Fault.status(403), ErrorKind.AUTH),
        (Fault.status(422, message="prompt too long"), ErrorKind.INVALID_INPUT),
        (Fault.status(400, message="seed out of range"), ErrorKind.INVALID_INPUT),
        (Fault.status(400, message="unsafe", code="content_policy"), ErrorKind.CONTENT_POLICY),
    ],
)
async def test_error_answers_become_their_kinds(
    fake_acme: Any, tmp_path: Path, fault: Fault, kind: ErrorKind
) -> None:
    fake_acme.faults.add("submit", fault)
    with pytest.raises(ProviderError) as caught:
        await run(registry_for(fake_acme, tmp_path), {"prompt": "a panda"})
    assert caught.value.kind is kind


async def test_a_job_canceled_on_acmes_side_is_a_canceled_error(
    fake_acme: Any, tmp_path: Path
) -> None:
    registry = registry_for(fake_acme, tmp_path)
    fake_acme.faults.add("submit", Fault.never_finishes())

    original = fake_acme.jobs.get

    def cancel_on_second_poll(job_id: str, *, poll: bool = True) -> Any:
        job = original(job_id, poll=poll)
        if job is not None and job.polls >= 2:
            fake_acme.jobs.cancel(job_id)
            job = original(job_id, poll=False)
        return job

    fake_acme.jobs.get = cancel_on_second_poll
    with pytest.raises(ProviderError) as caught:
        await run(registry, {"prompt": "a panda"})
    assert caught.value.kind is ErrorKind.CANCELED


async def test_bad_options_are_a_configuration_error_naming_the_option(
    fake_acme: Any, tmp_path: Path
) -> None:
    registry = registry_for(fake_acme, tmp_path, poll_interval="soon")
    with pytest.raises(ConfigurationError, match="poll_interval"):
        registry.resolve(PIXEL)


async def test_the_warm_start_without_a_key_names_it(fake_acme: Any, tmp_path: Path) -> None:
    registry = fake_registry(
        [("acme", acme_plugin)],
        storage=tmp_path / "blobs",
        secrets=MappingSecretResolver({}),
        provider_options={"acme": {"base_url": fake_acme.base_url}},
    )
    [report] = await registry.warm_start([PIXEL], timeout=5)
    assert report.status == "failed" and "ACME_API_KEY" in (report.error or "")


async def test_check_credentials_asks_the_account_route(fake_acme: Any, tmp_path: Path) -> None:
    handler = registry_for(fake_acme, tmp_path).resolve(PIXEL).handler
    await handler.check_credentials()  # type: ignore[attr-defined]
    assert len(fake_acme.log.for_route("account")) == 1


async def test_base_url_comes_from_the_option_then_the_environment() -> None:
    from tutopanda_provider_example.settings import DEFAULT_BASE_URL, AcmeSettings

    env = {"ACME_BASE_URL": "http://127.0.0.1:9"}
    assert AcmeSettings.from_options({}, env).base_url == "http://127.0.0.1:9"
    assert AcmeSettings.from_options({"base_url": "http://x"}, env).base_url == "http://x"
    assert AcmeSettings.from_options({}, {}).base_url == DEFAULT_BASE_URL
