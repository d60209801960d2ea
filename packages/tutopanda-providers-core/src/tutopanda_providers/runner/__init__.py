"""The runner: settings and the producer catalog, lesson plans, movies, and running them.

::

    from tutopanda_providers.runner import Catalog, Runner, RunOptions, load_plan, load_settings

    settings = load_settings()                     # shipped defaults + ./tutopanda.toml
    plan = load_plan("examples/lesson.toml", settings.producers)
    report = await Runner(plan, Catalog.from_settings(settings), "out/movie").run()
"""

from __future__ import annotations

from tutopanda_providers.runner.catalog import Catalog, CatalogEntry, parse_overrides
from tutopanda_providers.runner.errors import BudgetRefusedError, FileProblemError, MovieBusyError
from tutopanda_providers.runner.movie import MovieStore
from tutopanda_providers.runner.plan import Job, Plan, load_plan, parse_plan
from tutopanda_providers.runner.runner import (
    CostSummary,
    JobOutcome,
    JobPreview,
    RunListener,
    Runner,
    RunOptions,
    RunReport,
)
from tutopanda_providers.runner.settings import Settings, load_settings

__all__ = [
    "BudgetRefusedError",
    "Catalog",
    "CatalogEntry",
    "CostSummary",
    "FileProblemError",
    "Job",
    "JobOutcome",
    "JobPreview",
    "MovieBusyError",
    "MovieStore",
    "Plan",
    "RunListener",
    "RunOptions",
    "RunReport",
    "Runner",
    "Settings",
    "load_plan",
    "load_settings",
    "parse_overrides",
    "parse_plan",
]
