"""An honest summary: "spent" includes what failed jobs were billed, and a live run does not
say what "the same run live" would cost."""

from __future__ import annotations

from tutopanda_providers.contracts import Cost, ProducerKind
from tutopanda_providers.runner import JobOutcome, RunReport


def _outcome(
    job: str, status: str, *, usd: float = 0.0, mocked: bool = False, **kw: object
) -> JobOutcome:
    return JobOutcome(
        job_id=job,
        producer="P",
        kind=ProducerKind.SCRIPT,
        model="openai/gpt-5",
        mode="mock" if mocked else "live",
        status=status,  # type: ignore[arg-type]
        mocked=mocked,
        cost=Cost(status="known", amount_usd=usd),
        estimated_live=Cost(status="estimated", amount_usd=0.5),
        **kw,  # type: ignore[arg-type]
    )


def test_spent_includes_what_a_failed_job_was_billed() -> None:
    report = RunReport(movie="m", plan="p", dry_run=False, live=True)
    report.outcomes = [
        _outcome("script", "succeeded", usd=0.10),
        _outcome(
            "prompts",
            "failed",
            error={"message": "truncated", "details": {"cost_usd": 0.03}},
        ),
        _outcome("narration_0", "failed", error={"message": "refused", "details": {}}),
        _outcome("image_0", "blocked"),
    ]
    assert report.spent().known_usd == 0.13
    assert report.spent_on_failures() == 0.03
    line = report.summary_line()
    assert line.startswith("spent $0.1300 ($0.0300 of it billed for failed jobs)")
    assert report.to_dict()["spent_on_failures_usd"] == 0.03


def test_a_live_run_does_not_say_what_the_same_run_live_would_cost() -> None:
    report = RunReport(movie="m", plan="p", dry_run=False, live=True)
    report.outcomes = [_outcome("script", "succeeded", usd=0.10)]
    assert "the same run live would cost" not in report.summary_line()
    mixed = RunReport(movie="m", plan="p", dry_run=False, live=True)
    mixed.outcomes = [
        _outcome("script", "succeeded", usd=0.10),
        _outcome("music", "succeeded", mocked=True),
    ]
    assert "the same run live would cost $1.0000" in mixed.summary_line()
    mock = RunReport(movie="m", plan="p", dry_run=False, live=False)
    mock.outcomes = [_outcome("script", "succeeded", mocked=True)]
    assert mock.summary_line() == "spent $0.0000; the same run live would cost $0.5000"
