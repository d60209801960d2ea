"""Everything that can be checked before the first paid call is checked before it.

A run prepares every job before any starts (see :mod:`~tutopanda_providers.runner.preview`).
Here the prepared jobs are checked as a whole:

* each job whose inputs do not depend on an upstream job's output must validate against its
  model (a veo-3-fast job asking for 10 s is refused before seven other paid jobs run, not
  after);
* each fallback of the job's producer, from a settings file as from the Python API, must take
  the job's inputs too (with its own model defaults), so a fallback that could never do the
  job is named now instead of being skipped, or failing, when it fires. The same model on
  another provider (a failover of ``providers = [...]``) is the exception: a provider with
  stricter limits (FAL's imagen-4 wants a prompt of 3 characters or more) is skipped for that
  job, with a warning, rather than refusing a run its first provider can do.

:func:`plan_problems` lists each problem with the plan's ``file:line``; the runner refuses the
run (exit 2) when there is any, and a dry run lists them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import Descriptor, ModelCard, ProviderError
from tutopanda_providers.contracts.same_model import grouped, model_name, variant_group
from tutopanda_providers.handler import model_inputs
from tutopanda_providers.runner.locate import where

log = logging.getLogger("tutopanda_providers.runner")

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

    Variants of one model on one provider are one fallback, and so is one model on several
    providers: it is a problem only when none of its cards takes the job's inputs (the job gets
    one that does; each that does not is skipped for the job, with a warning). Variants of the
    job's own model are never called for it.
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
    # Fallbacks by model (the same model on several providers is one fallback), then by
    # variant group within it (one provider's variants are one step).
    by_model: dict[str, list[list[Descriptor]]] = {}
    for group in grouped(list(entry.fallbacks), card_of):
        first = card_of(group[0])
        if prepared.descriptor in group or (
            own is not None and first is not None and variant_group(first) == variant_group(own)
        ):
            continue
        name = model_name(first) if first is not None else str(group[0])
        by_model.setdefault(name, []).append(group)
    problems: list[str] = []
    for name, groups in by_model.items():
        refused = [
            found for found in (_refusal(g, registry, entry, prepared) for g in groups) if found
        ]
        if not refused:
            continue
        same_as_own = own is not None and name == model_name(own)
        if len(refused) < len(groups) or same_as_own:
            # Another provider of this model takes the job (or the job's own model does):
            # the stricter one is skipped for this job, and said so.
            for fallback, error in refused:
                _say_skipped(prepared, fallback, error)
            continue
        fallback, error = refused[0]
        problems.append(
            f"fallback {fallback} ({place}) cannot take this job's inputs: {error.message}; "
            "change the job's inputs, or the fallbacks of its producer"
        )
    return problems


def _refusal(
    group: list[Descriptor], registry: ProviderRegistry, entry: Any, prepared: JobPreview
) -> tuple[Descriptor, ProviderError] | None:
    """The first variant's error when no variant of ``group`` takes the job's inputs."""
    errors: list[tuple[Descriptor, ProviderError]] = []
    for fallback in group:
        try:
            registry.card(fallback).validate_inputs(
                model_inputs(entry.model_defaults, str(fallback), prepared.producer_inputs)
            )
        except ProviderError as exc:
            errors.append((fallback, exc))
        else:
            return None
    return errors[0] if errors else None


_SAID: set[str] = set()


def _say_skipped(prepared: JobPreview, fallback: Descriptor, error: ProviderError) -> None:
    # Once per process: a run prepares its jobs more than once (preview, then run).
    note = (
        f"jobs.{prepared.job.id}: the same model on {fallback.provider} ({fallback}) cannot "
        f"take this job's inputs, so it is not a failover for this job: {error.message}"
    )
    if note not in _SAID:
        _SAID.add(note)
        log.warning("%s", note)


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
