"""docs/testing.md's table of how long a fake Replicate job takes follows the handler's backoff.

The handler waits ``poll_initial``, then ``poll_factor`` times longer after each poll, up to
``poll_max``; a fake prediction finishes on its ``--polls``-th poll. If the defaults change,
the documented seconds must change with them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("tutopanda_provider_replicate")

from tutopanda_provider_replicate.settings import HandlerSettings

DOC = Path(__file__).resolve().parents[1] / "docs" / "testing.md"


def seconds_for(polls: int, settings: HandlerSettings) -> float:
    delay, total = settings.poll_initial, 0.0
    for _ in range(polls):
        total += delay
        delay = min(delay * settings.poll_factor, settings.poll_max)
    return total


def test_the_documented_seconds_per_job_follow_the_handler_defaults() -> None:
    text = DOC.read_text(encoding="utf-8")
    polls_row = next(line for line in text.splitlines() if line.startswith("| `--polls` |"))
    seconds_row = next(line for line in text.splitlines() if line.startswith("| seconds per job"))
    polls = [int(re.match(r"\s*(\d+)", cell).group(1)) for cell in polls_row.split("|")[2:-1]]  # type: ignore[union-attr]
    seconds = [float(cell) for cell in seconds_row.split("|")[2:-1]]
    assert len(polls) == len(seconds) >= 5
    defaults = HandlerSettings()
    for n, documented in zip(polls, seconds, strict=True):
        assert documented == pytest.approx(seconds_for(n, defaults), rel=0.05, abs=0.05), n
    assert "REPLICATE_POLL_INTERVAL` does not change this" in text
