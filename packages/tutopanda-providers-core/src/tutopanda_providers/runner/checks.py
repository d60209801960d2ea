"""Everything that can be checked before the first paid call is checked before it.

A run prepares every job before any starts (see :mod:`~tutopanda_providers.runner.preview`).
Here the prepared jobs are checked as a whole:

* each job whose inputs do not depend on an upstream job's output must validate against its
  model (a veo-3-fast job asking for 10 s is refused before seven other paid jobs run, not
  after);
* each fallback of the job's producer, from a settings file as from the Python API, must take
  the job's inputs too (with its own model defaults), so a fallback that could never do the
  job is named now instead of being skipped, or failing, when it fires.

:func:`plan_problems` lists each problem with the plan's ``file:line``; the runner refuses the
run (exit 2) when there is any, and a dry run lists them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tutopanda_providers.contracts import Descriptor, ModelCard, ProviderError
from tutopanda_providers.contracts.same_model import grouped, variant_group
from tutopanda_providers.handler import model_inputs
from tutopanda_providers.runner.locate import where

if TYPE_CHECKING:
    from tutopanda_providers.registry import ProviderRegistry
    from tutopanda_providers.runner.catalog import Catalog
    from tutopanda_providers.runner.plan import Plan
    from tutopanda_providers.runner.reports import JobPreview


def fallback_problems(
    prepared: JobPreview, registry: ProviderRegistry, catalog: Catalog
) -> list[str]:
    """Why each fallback of ``prepared``'s producer cannot take the job's inputs (empty: all
    can). Checked only for jobs whose own inputs validated and depend on no stand-in.

    Variants of one model on one provider are one fallback: it is a problem only when none of
    them takes the job's inputs (the job gets the one that does); variants of the job's own
    model are never called for it.
    """
    if prepared.payload is None or prepared.uses_samples:
        return []
    entry = prepared.entry
    place = (
        catalog.settings.where(entry.producer, "fallbacks")
        if catalog.settings is not None and entry.source == "settings"
        else f"the fallbacks of {entry.producer}"
    )

    def card_of(descriptor: Descriptor) -> ModelCard | None:
        try:
            return registry.card(descriptor)
        except ProviderError:
            return None

    own = card_of(prepared.descriptor)
    problems: list[str] = []
    for group in grouped(list(entry.fallbacks), card_of):
        first = card_of(group[0])
        if prepared.descriptor in group or (
            own is not None and first is not None and variant_group(first) == variant_group(own)
        ):
            continue
        errors: list[tuple[Descriptor, ProviderError]] = []
        for fallback in group:
            try:
                registry.card(fallback).validate_inputs(
                    model_inputs(entry.model_defaults, str(fallback), prepared.producer_inputs)
                )
            except ProviderError as exc:
                errors.append((fallback, exc))
            else:
                break
        if len(errors) == len(group):
            fallback, error = errors[0]
            problems.append(
                f"fallback {fallback} ({place}) cannot take this job's inputs: {error.message}; "
                "change the job's inputs, or the fallbacks of its producer"
            )
    return problems


def check_fallbacks(
    previews: list[JobPreview], registry: ProviderRegistry, catalog: Catalog
) -> None:
    """Add each job's fallback problems to its ``problems`` (a dry run shows them)."""
    for prepared in previews:
        prepared.problems.extend(fallback_problems(prepared, registry, catalog))


def plan_problems(plan: Plan, previews: list[JobPreview]) -> list[str]:
    """Every problem known before any job runs, as ``plan.toml:LINE: jobs.<id>: what; fix``.

    Jobs prepared from stand-ins of upstream outputs are left out: their inputs are known
    only once the upstream jobs ran (they are validated then).
    """
    found: list[str] = []
    for prepared in previews:
        if prepared.uses_samples:
            continue
        job = prepared.job
        place = where(plan.source, plan.text, ("jobs", job.id))
        found.extend(f"{place}: jobs.{job.id}: {problem}" for problem in prepared.problems)
    return found


__all__ = ["check_fallbacks", "fallback_problems", "plan_problems"]
