"""docs/pipeline.md keeps up with the code: every middleware, order, option and event is there."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from tutopanda_providers import telemetry
from tutopanda_providers.pipeline import PipelineOptions, default_middleware
from tutopanda_providers.pipeline.budget import Budget
from tutopanda_providers.pipeline.cache import CacheOptions

DOC = Path(__file__).resolve().parents[3] / "docs" / "pipeline.md"


@pytest.fixture(scope="module")
def doc() -> str:
    if not DOC.exists():
        pytest.skip("docs/ is not shipped with this checkout")
    return DOC.read_text(encoding="utf-8")


def test_every_built_in_middleware_is_documented_with_its_order(doc, tmp_path):
    options = PipelineOptions(
        cache=CacheOptions(enabled=True, directory=tmp_path),
        fallbacks={"a/b": ["c/d"]},
        budget=Budget(1.0),
    )
    for mw in default_middleware(options):
        assert f"| {mw.order} | `{mw.name}` |" in doc, mw.name


def test_every_pipeline_option_is_documented(doc):
    for option in dataclasses.fields(PipelineOptions):
        assert option.name in doc, option.name


def test_every_pipeline_event_is_documented(doc):
    for name in (
        telemetry.INVOKE_START,
        telemetry.INVOKE_END,
        telemetry.INVOKE_ERROR,
        telemetry.INVOKE_RETRY,
        telemetry.RATE_LIMIT_WAIT,
        telemetry.FALLBACK,
        telemetry.CACHE_HIT,
    ):
        assert f"`{name}`" in doc, name
