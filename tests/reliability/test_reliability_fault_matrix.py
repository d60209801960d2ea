"""Every fault the fake servers can inject, on every live handler, through the whole registry
with retries on: the job is retried and succeeds, or fails with the right kind and a message
that says what happened — and nothing half-written is ever left looking complete.

Rows come from the test kit's fault tables (``FAULTS_BY_SERVER``): the conformance suite runs
each row once per provider with retries off; here each row runs on each of the 14 live models
with the registry's retries on (backoff through a fake sleep), so the rows also prove that no
retry pays twice: the fake server never holds more created jobs than a clean run makes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from tutopanda_providers.contracts import Descriptor, ErrorKind, ProviderError
from tutopanda_providers.telemetry import INVOKE_ERROR, INVOKE_RETRY
from tutopanda_providers_testing.conformance.fault_cases import FAULTS_BY_SERVER, FaultCase
from tutopanda_providers_testing.faults import FaultKind

from .conftest import (
    FAST_REPLICATE,
    LIVE_CASES,
    TEXT_MODELS,
    FakeSleep,
    events_of,
    plugins,
    retrying_pipeline,
    scan_storage,
    server_of,
)

K = ErrorKind
OK = None  # the job succeeded

#: What each fault becomes once the registry may retry: a fault that a retry fixes must end
#: in success; the rest keep their kind. ``OK`` in a set: success is accepted.
WITH_RETRIES: dict[str, frozenset[ErrorKind | None]] = {
    # Replicate
    "create-429": frozenset({OK}),
    "create-500": frozenset({OK}),
    "create-502": frozenset({OK}),
    "create-503": frozenset({OK}),
    "create-504": frozenset({OK}),
    "create-401": frozenset({K.AUTH}),
    "create-reset-before": frozenset({OK}),
    # The prediction exists: the handler finds it again (lists predictions) and finishes it.
    "create-reset-after": frozenset({OK}),
    "create-slow": frozenset({K.TIMEOUT, K.TRANSIENT}),
    "create-malformed-json": frozenset({OK}),
    "prediction-fails": frozenset({K.PROVIDER_FAILED}),
    "prediction-never-finishes": frozenset({K.TIMEOUT, K.CANCELED}),
    "poll-503": frozenset({OK}),
    "poll-reset": frozenset({OK}),
    # The file is fetched again from the same prediction; nothing partial is kept.
    "download-truncated": frozenset({OK}),
    "download-slow": frozenset({K.TIMEOUT, K.TRANSIENT}),
    "download-expired": frozenset({K.NOT_FOUND, K.PROVIDER_FAILED, K.TRANSIENT}),
    # OpenAI
    "responses-429": frozenset({OK}),
    "responses-insufficient-quota": frozenset({K.QUOTA}),
    "responses-500": frozenset({OK}),
    "responses-502": frozenset({OK}),
    "responses-503": frozenset({OK}),
    "responses-504": frozenset({OK}),
    "responses-401": frozenset({K.AUTH}),
    "responses-400": frozenset({K.INVALID_INPUT}),
    # The SDK sees a read error after sending: it cannot know that nothing was made, so the
    # job is not re-sent (a billed response may exist).
    "responses-reset-before": frozenset({OK, K.TRANSIENT}),
    # The response may have been billed: never re-sent.
    "responses-reset-after": frozenset({K.TRANSIENT}),
    "responses-slow": frozenset({K.TIMEOUT}),
    "responses-malformed-json": frozenset({K.TRANSIENT}),
    "responses-incomplete": frozenset({K.PROVIDER_FAILED}),
    "responses-failed": frozenset({K.PROVIDER_FAILED}),
}

#: Words a failure's message must contain, so a person knows what happened.
MESSAGE_HINTS: dict[ErrorKind, tuple[str, ...]] = {
    K.AUTH: ("auth", "key", "token", "401", "credential"),
    K.QUOTA: ("quota", "credit", "billing"),
    K.PROVIDER_FAILED: ("fail", "incomplete", "stopped at", "expired", "overloaded", "cuda", "404"),
    K.TIMEOUT: ("time", "deadline", "second"),
    K.TRANSIENT: ("connect", "reset", "json", "transient", "incomplete", "interrupted", "try"),
    K.CANCELED: ("cancel", "deadline", "time"),
    K.NOT_FOUND: ("not found", "expired", "404", "gone"),
    K.INVALID_INPUT: ("input", "invalid"),
}

#: Seconds a job may take in the rows only a deadline ends.
# Long enough for create and polls on a loaded machine before the slow fault (30 s) bites.
SHORT_TIMEOUT = 3.0


def _rows() -> list[Any]:
    rows = []
    for ref in LIVE_CASES:
        for case in FAULTS_BY_SERVER[server_of(ref)]:
            if case.needs_file and ref in TEXT_MODELS:
                continue  # no output file to break
            rows.append(pytest.param(ref, case, id=f"{ref}-{case.id}"))
    return rows


ROWS = _rows()
_baseline_creates: dict[str, int] = {}


def _created(server: Any) -> int:
    counters = server.log.counters
    return int(counters.get("predictions_created", 0) + counters.get("responses_created", 0))


def _record(ref: str, case: FaultCase, outcome: ErrorKind | None) -> None:
    """Append the row's outcome to ``$TUTOPANDA_RELIABILITY_REPORT`` (for docs/reliability.md)."""
    target = os.environ.get("TUTOPANDA_RELIABILITY_REPORT")
    if target:
        row = {"model": ref, "fault": case.id, "outcome": outcome.value if outcome else "ok"}
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")


def test_the_matrix_covers_every_fault_kind_the_servers_inject() -> None:
    """Each fault kind the kit defines is exercised by some row (a new kind needs a row)."""
    injected = {case.fault.kind for case in (r.values[1] for r in ROWS)}
    assert injected == set(FaultKind)
    assert {c.id for table in FAULTS_BY_SERVER.values() for c in table} <= set(WITH_RETRIES)
    assert len({r.values[0] for r in ROWS}) == 14


@pytest.mark.parametrize(("ref", "case"), ROWS)
async def test_fault_is_retried_or_reported_and_nothing_partial_is_stored(
    ref: str,
    case: FaultCase,
    provider_registry: Any,
    fake_replicate: Any,
    fake_openai: Any,
    telemetry_events: Any,
    blob_store: Any,
) -> None:
    server = fake_replicate if server_of(ref) == "replicate" else fake_openai
    sleep = FakeSleep()
    registry = provider_registry(
        plugins=plugins(),
        pipeline=retrying_pipeline(sleep),
        provider_options={"replicate": FAST_REPLICATE},
    )
    descriptor = Descriptor.parse(ref)
    inputs = LIVE_CASES[ref]

    if ref not in _baseline_creates:  # how many paid calls a clean run of this model makes
        await registry.invoke(descriptor, inputs)
        _baseline_creates[ref] = _created(server)
        server.log.clear()
        telemetry_events.events.clear()
        for path in Path(blob_store.root).rglob("*"):
            if path.is_file():
                path.unlink()

    rule = server.faults.add(case.route, case.fault)
    timeout = SHORT_TIMEOUT if case.timeout else None
    outcome: ErrorKind | None = None
    error: ProviderError | None = None
    result = None
    try:
        result = await registry.invoke(descriptor, inputs, timeout=timeout)
    except ProviderError as exc:
        outcome, error = exc.kind, exc

    _record(ref, case, outcome)
    assert rule.fired == 1, f"the fault on {case.route} never fired"
    expected = WITH_RETRIES[case.id]
    assert outcome in expected, (
        f"{case.id} on {ref}: got {outcome} ({error}), expected one of "
        f"{sorted(str(k) for k in expected)}"
    )

    # Nobody pays twice: a retry never creates a job the clean run would not have created.
    assert _created(server) <= _baseline_creates[ref], (
        f"{_created(server)} paid jobs created, a clean run creates {_baseline_creates[ref]}"
    )

    # Nothing lost: complete, verified blobs, or a failure with its reason in the event log.
    scan = scan_storage(Path(blob_store.root))
    assert not scan.strays, f"partial or misnamed files left in storage: {scan.strays}"
    if result is not None:
        stored = set()
        for artefact in result.artefacts:
            if artefact.blob is None:
                continue
            path = blob_store.local_path(artefact.blob)
            data = path.read_bytes()
            assert hashlib.sha256(data).hexdigest() == artefact.blob.sha256
            assert len(data) == artefact.blob.size
            stored.add(path.resolve())
        if ref not in TEXT_MODELS:
            assert stored, "a media job succeeded without a stored file"
        assert {p.resolve() for p in scan.blobs} == stored
        if outcome is None and case.id.startswith(("create-4", "create-5", "responses-4")):
            assert events_of(telemetry_events, INVOKE_RETRY), "succeeded without a retry?"
    else:
        assert error is not None
        assert not scan.blobs, f"a failed job left blobs: {scan.blobs}"
        failures = [
            e
            for e in events_of(telemetry_events, INVOKE_ERROR)
            if e.get("error_kind") == outcome.value
        ]
        assert failures, f"no {INVOKE_ERROR} event with kind {outcome}"
        assert failures[-1]["error"] == error.message
        text = error.message.lower()
        assert len(text) >= 20, f"message too short to help: {error.message!r}"
        hints = MESSAGE_HINTS.get(outcome, ())
        assert any(h in text for h in hints), (
            f"the {outcome} message says none of {hints}: {error.message!r}"
        )
        if case.expect_cancel:  # the remote job is canceled, not left running (and billing)
            for _ in range(500):
                if server.log.for_route("cancel"):
                    break
                await asyncio.sleep(0.01)
            assert server.log.for_route("cancel"), "the never-ending prediction was not canceled"
        if case.fault.kind is FaultKind.PREDICTION_FAILS and case.fault.message:
            assert case.fault.message.split(":")[-1].strip().lower() in text
