"""What each injected fault must become: the error kinds a handler may raise for it.

A provider package runs the table of the server it talks to. It can narrow or widen a row's
kinds through ``ProviderConformance.expected_kinds`` and skip rows through ``skip_faults``
(with a reason), but the defaults are the project's contract (``docs/conformance.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

from tutopanda_providers.contracts import ErrorKind

from tutopanda_providers_testing.faults import Fault

K = ErrorKind


@dataclass(frozen=True)
class FaultCase:
    """One fault and what it must turn into.

    Attributes:
        id: the test id.
        route: the server route the fault is put on.
        fault: the fault.
        kinds: the error kinds accepted; ``None`` in the set means success is accepted too.
        timeout: the job's timeout in seconds (for faults that only a deadline ends).
        single_request: the route must see exactly one request (no retry inside the SDK or
            the handler, with the registry's retries off).
        needs_file: only for models whose output is a file the fake serves.
        expect_cancel: when the handler supports cancel, the server must see one.
    """

    id: str
    route: str
    fault: Fault
    kinds: frozenset[ErrorKind | None]
    timeout: float | None = None
    single_request: bool = True
    needs_file: bool = False
    expect_cancel: bool = False


def _case(id: str, route: str, fault: Fault, *kinds: ErrorKind | None, **kw: object) -> FaultCase:
    return FaultCase(id, route, fault, frozenset(kinds), **kw)  # type: ignore[arg-type]


def _status_rows(route: str) -> list[FaultCase]:
    return [
        _case(f"{route}-{code}", route, Fault.status(code), K.TRANSIENT)
        for code in (500, 502, 503, 504)
    ]


REPLICATE_FAULTS: tuple[FaultCase, ...] = (
    _case("create-429", "create", Fault.rate_limited(retry_after=2), K.RATE_LIMITED),
    *_status_rows("create"),
    _case("create-401", "create", Fault.status(401), K.AUTH),
    _case("create-reset-before", "create", Fault.reset_before(), K.TRANSIENT),
    # The prediction exists: a handler may find it again (and succeed) or fail retryably,
    # but it must never create a second one.
    _case("create-reset-after", "create", Fault.reset_after(), K.TRANSIENT, None),
    _case("create-slow", "create", Fault.slow(30), K.TIMEOUT, K.TRANSIENT, None, timeout=1.5),
    _case("create-malformed-json", "create", Fault.malformed_json(), K.TRANSIENT, None),
    _case(
        "prediction-fails",
        "create",
        Fault.prediction_fails("Prediction failed: CUDA out of memory"),
        K.PROVIDER_FAILED,
    ),
    _case(
        "prediction-never-finishes",
        "create",
        Fault.never_finishes(),
        K.TIMEOUT,
        K.CANCELED,
        timeout=1.5,
        expect_cancel=True,
    ),
    _case("poll-503", "get", Fault.status(503), K.TRANSIENT, None, single_request=False),
    _case("poll-reset", "get", Fault.reset_before(), K.TRANSIENT, None, single_request=False),
    _case(
        "download-truncated",
        "file",
        Fault.truncated_download(),
        K.TRANSIENT,
        None,
        single_request=False,
        needs_file=True,
    ),
    _case(
        "download-slow",
        "file",
        Fault.slow_download(30),
        K.TIMEOUT,
        K.TRANSIENT,
        timeout=1.5,
        single_request=False,
        needs_file=True,
    ),
    _case(
        "download-expired",
        "file",
        Fault.expired(404),
        K.NOT_FOUND,
        K.PROVIDER_FAILED,
        K.TRANSIENT,
        single_request=False,
        needs_file=True,
    ),
)

OPENAI_FAULTS: tuple[FaultCase, ...] = (
    _case("responses-429", "responses", Fault.rate_limited(retry_after=2), K.RATE_LIMITED),
    _case("responses-insufficient-quota", "responses", Fault.insufficient_quota(), K.QUOTA),
    *_status_rows("responses"),
    _case("responses-401", "responses", Fault.status(401), K.AUTH),
    _case(
        "responses-400", "responses", Fault.status(400, message="Invalid input"), K.INVALID_INPUT
    ),
    _case("responses-reset-before", "responses", Fault.reset_before(), K.TRANSIENT),
    _case("responses-reset-after", "responses", Fault.reset_after(), K.TRANSIENT),
    _case("responses-slow", "responses", Fault.slow(30), K.TIMEOUT, timeout=1.5),
    _case("responses-malformed-json", "responses", Fault.malformed_json(), K.TRANSIENT),
    _case("responses-incomplete", "responses", Fault.incomplete(), K.PROVIDER_FAILED),
    _case(
        "responses-failed",
        "responses",
        Fault.prediction_fails("server overloaded"),
        K.PROVIDER_FAILED,
    ),
)


def queue_faults(
    submit: str = "submit", poll: str = "status", file: str = "file"
) -> tuple[FaultCase, ...]:
    """The fault table of any queue-style API (submit a job, poll it, download its files),
    for a fake whose routes are named ``submit``, ``poll`` and ``file`` (see
    :class:`~tutopanda_providers_testing.fakeserver.JobQueue`). Row ids start with the route
    name: ``submit-429``, ``status-503``, ``file-truncated``...

    The submit route's job must honour ``Fault.prediction_fails`` and
    ``Fault.never_finishes`` (``JobQueue.submit(..., fault=fault)`` does).
    """
    return (
        _case(f"{submit}-429", submit, Fault.rate_limited(retry_after=2), K.RATE_LIMITED),
        *_status_rows(submit),
        _case(f"{submit}-401", submit, Fault.status(401), K.AUTH),
        _case(f"{submit}-reset-before", submit, Fault.reset_before(), K.TRANSIENT),
        # The job exists; the handler got no answer: retryable, or found again.
        _case(f"{submit}-reset-after", submit, Fault.reset_after(), K.TRANSIENT, None),
        _case(f"{submit}-slow", submit, Fault.slow(30), K.TIMEOUT, K.TRANSIENT, None, timeout=1.5),
        _case(f"{submit}-malformed-json", submit, Fault.malformed_json(), K.TRANSIENT, None),
        _case("job-fails", submit, Fault.prediction_fails("out of memory"), K.PROVIDER_FAILED),
        _case(
            "job-never-finishes",
            submit,
            Fault.never_finishes(),
            K.TIMEOUT,
            K.CANCELED,
            timeout=1.5,
            expect_cancel=True,
        ),
        _case(f"{poll}-503", poll, Fault.status(503), K.TRANSIENT, None, single_request=False),
        _case(f"{poll}-reset", poll, Fault.reset_before(), K.TRANSIENT, None, single_request=False),
        _case(
            f"{file}-truncated",
            file,
            Fault.truncated_download(),
            K.TRANSIENT,
            None,
            single_request=False,
            needs_file=True,
        ),
        _case(
            f"{file}-slow",
            file,
            Fault.slow_download(30),
            K.TIMEOUT,
            K.TRANSIENT,
            timeout=1.5,
            single_request=False,
            needs_file=True,
        ),
        _case(
            f"{file}-expired",
            file,
            Fault.expired(404),
            K.NOT_FOUND,
            K.PROVIDER_FAILED,
            K.TRANSIENT,
            single_request=False,
            needs_file=True,
        ),
    )


#: The fault table of each fake server.
FAULTS_BY_SERVER: dict[str, tuple[FaultCase, ...]] = {
    "replicate": REPLICATE_FAULTS,
    "openai": OPENAI_FAULTS,
}
