"""Preparing jobs: each job's model, mode, inputs (model defaults merged in one place),
validation, estimate and fingerprint, computed once and reused by execution.

:class:`JobPreparer` prepares one job against the outputs of its dependencies; :func:`preview`
prepares a whole plan without calling anything, with the manifest's artefacts for jobs that
ran before and stand-ins of the right shape (:mod:`~tutopanda_providers.runner.samples`) for
the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tutopanda_providers.contracts import Artefact, Descriptor, ModelCard, ProviderError
from tutopanda_providers.contracts.same_model import model_name, pick_variant, variant_group
from tutopanda_providers.handler import model_inputs, preview_requests, request_fingerprint
from tutopanda_providers.pricing import estimate_cost
from tutopanda_providers.runner.catalog import Catalog, CatalogEntry
from tutopanda_providers.runner.plan import Job, Plan
from tutopanda_providers.runner.portable import location_free, relocated
from tutopanda_providers.runner.recording import artefacts_from, matches_record
from tutopanda_providers.runner.references import BadReferenceError, resolve_inputs
from tutopanda_providers.runner.reports import JobPreview
from tutopanda_providers.runner.samples import sample_artefacts
from tutopanda_providers.runner.targets import fit_prompt_inputs

if TYPE_CHECKING:
    from tutopanda_providers.registry import ProviderRegistry
    from tutopanda_providers.storage import BlobStore


#: The ``reason`` of an estimate built from stand-ins for upstream output not made yet.
UPSTREAM_ESTIMATE = "estimated from what the plan asks of upstream jobs that have not run"


def job_descriptor(job: Job, entry: CatalogEntry) -> Descriptor:
    """The model of ``job``: its own pin, else its producer's (in the producer's environment)."""
    return Descriptor.parse(job.model, entry.model.environment) if job.model else entry.model


def primary_variant(
    registry: ProviderRegistry,
    entry: CatalogEntry,
    descriptor: Descriptor,
    producer_inputs: Mapping[str, Any],
) -> Descriptor:
    """The card of ``descriptor``'s model that a job should call.

    When the producer's chain holds several cards serving that model (FAL's text-to-video and
    image-to-video endpoints; the same model on the next provider), the first, in the chain's
    order, whose ``validate_inputs`` accepts the job's producer-level inputs (with its own
    model defaults): a job the first provider refuses (a stricter prompt length) starts on the
    next provider of the same model instead of failing. Else ``descriptor``. A job pinned to a
    model outside the chain keeps to that model's own variants.
    """
    try:
        card = registry.card(descriptor)
    except ProviderError:
        return descriptor  # the catalog check reports it
    in_chain = descriptor in entry.candidates()

    def same(other: ModelCard) -> bool:
        if in_chain:
            return model_name(other) == model_name(card)
        return variant_group(other) == variant_group(card)

    variants: list[ModelCard] = []
    for candidate in entry.candidates():
        try:
            other = registry.card(candidate)
        except ProviderError:
            continue
        if same(other):
            variants.append(other)
    if len(variants) < 2:
        return descriptor
    chosen = pick_variant(
        variants, lambda c: model_inputs(entry.model_defaults, c.ref, producer_inputs)
    )
    return Descriptor(
        provider=chosen.provider, model=chosen.model, environment=descriptor.environment
    )


def upstream_of(job: Job, outputs: Mapping[str, list[Artefact]]) -> dict[str, Artefact]:
    """The artefacts a job's dependencies made, by name: ``dep`` then ``dep:<name>``."""
    return {
        f"{dep}:{a.name}" if i else dep: a
        for dep in job.depends_on
        for i, a in enumerate(outputs.get(dep, []))
    }


class JobPreparer:
    """Prepares jobs of one run: resolves the handler, merges defaults, validates, estimates
    and fingerprints, once per job (again only when an upstream job's outputs changed)."""

    def __init__(
        self,
        registry: ProviderRegistry,
        catalog: Catalog,
        store: BlobStore,
        plan: Plan | None = None,
    ) -> None:
        self.registry = registry
        self.catalog = catalog
        self.store = store
        #: Old → new movie folder URIs (see :func:`~tutopanda_providers.runner.portable.relocated`).
        self.relocations: dict[str, str] = {}
        #: With the plan, a prompt job's targets are fitted to the models that will use them
        #: (:mod:`~tutopanda_providers.runner.targets`).
        self.plan = plan

    def prepare(self, job: Job, outputs: Mapping[str, list[Artefact]]) -> JobPreview:
        """Prepare ``job`` against ``outputs`` (the artefacts of the jobs it depends on)."""
        entry = self.catalog.entry(job.producer)
        descriptor = job_descriptor(job, entry)
        prepared = JobPreview(
            job, entry, descriptor, self.registry.mode_for_job(job.producer, entry.kind)
        )
        prepared.upstream_outputs = {d: list(outputs.get(d, [])) for d in job.depends_on}
        try:
            resolved = resolve_inputs(job.inputs, outputs)
        except BadReferenceError as exc:
            prepared.problems.append(str(exc))
            prepared.failure = {"kind": "invalid_input", "message": str(exc)}
            return prepared
        prepared.producer_inputs = {**dict(entry.inputs), **resolved}
        if self.plan is not None:
            prepared.producer_inputs = fit_prompt_inputs(
                self.plan, job, prepared.producer_inputs, self.catalog, self.registry
            )
        if not job.model:  # variants of one model: the one that takes this job's inputs
            descriptor = prepared.descriptor = primary_variant(
                self.registry, entry, descriptor, prepared.producer_inputs
            )
        prepared.inputs = model_inputs(
            entry.model_defaults, str(descriptor), prepared.producer_inputs
        )
        prepared.upstream = upstream_of(job, outputs)
        try:
            card = self.registry.card(descriptor)
            prepared.payload = card.validate_inputs(prepared.inputs)
            prepared.estimate = estimate_cost(card, prepared.payload, validated=True)
        except ProviderError as exc:
            prepared.problems.append(exc.message)
            prepared.failure = exc.to_dict()
            return prepared
        try:
            prepared.handler = self.registry.resolve(
                descriptor, producer=job.producer, kind=entry.kind
            )
        except ProviderError as exc:
            # Not a problem of the plan (a preview still shows the job); running it fails.
            prepared.failure = exc.to_dict()
            return prepared
        if prepared.mode == "live":
            try:
                prepared.requests = preview_requests(prepared.handler.handler, prepared.payload)
            except ProviderError as exc:
                prepared.problems.append(exc.message)
                prepared.failure = exc.to_dict()
                return prepared
        prepared.fingerprint = request_fingerprint(
            descriptor,
            prepared.mode,
            prepared.handler.version,
            location_free(prepared.payload, prepared.upstream),
            prepared.upstream,
        )
        prepared.located_fingerprints = [
            request_fingerprint(
                descriptor, prepared.mode, prepared.handler.version, payload, prepared.upstream
            )
            for payload in [prepared.payload, *relocated(prepared.payload, self.relocations)]
        ]
        return prepared

    def still_current(self, prepared: JobPreview, outputs: Mapping[str, list[Artefact]]) -> bool:
        """True when the outputs of the job's dependencies are those it was prepared from."""
        return all(
            outputs.get(dep, []) == prepared.upstream_outputs.get(dep, [])
            for dep in prepared.job.depends_on
        )

    def up_to_date(self, prepared: JobPreview, record: Mapping[str, Any] | None) -> bool:
        """True when ``record`` (the manifest's) was made from the same fingerprint and its
        artefacts still exist."""
        if not record or record.get("status") != "succeeded" or prepared.fingerprint is None:
            return False
        if not matches_record(record, prepared):
            return False
        return all(a.blob is None or self.store.exists(a.blob) for a in artefacts_from(record))


def preview(plan: Plan, preparer: JobPreparer, manifest: Mapping[str, Any]) -> list[JobPreview]:
    """Prepare every job of ``plan`` in order, calling nothing.

    Upstream outputs come from the manifest (``manifest["jobs"]``) when they exist, else from
    stand-ins of the right shape.
    """
    records = manifest["jobs"]
    outputs: dict[str, list[Artefact]] = {}
    sampled: set[str] = set()
    previews: list[JobPreview] = []
    for job in plan.ordered():
        prepared = preparer.prepare(job, outputs)
        prepared.uses_samples = bool(sampled.intersection(job.depends_on))
        if prepared.uses_samples and prepared.estimate.amount_usd is not None:
            # Built from stand-ins of the upstream output the plan asks for (a narration as
            # long as the asked duration, prompts for the asked targets): say so.
            prepared.estimate = prepared.estimate.model_copy(
                update={"status": "estimated", "reason": UPSTREAM_ESTIMATE}
            )
        record = records.get(job.id)
        succeeded = bool(record) and record.get("status") == "succeeded"
        if not prepared.uses_samples:
            prepared.up_to_date = preparer.up_to_date(prepared, record)
        if succeeded and not prepared.uses_samples:
            outputs[job.id] = artefacts_from(record)
        else:
            outputs[job.id] = sample_artefacts(
                job.id, prepared.entry.kind, prepared.payload or prepared.inputs
            )
            sampled.add(job.id)
        previews.append(prepared)
    return previews


__all__ = [
    "UPSTREAM_ESTIMATE",
    "JobPreparer",
    "job_descriptor",
    "preview",
    "primary_variant",
    "upstream_of",
]
