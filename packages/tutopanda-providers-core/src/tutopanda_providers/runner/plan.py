"""Lesson plans: jobs, their inputs and references, forming a graph run layer by layer.

A plan is a TOML file::

    [plan]
    title = "Why the sky is blue"

    [jobs.script]
    producer = "ScriptProducer"
    inputs = { topic = "Why is the sky blue?", segments = 3 }

    [jobs.narration_1]
    producer = "AudioProducer"
    inputs.text = "${script.segments[0].narration}"

A job may also name ``model = "provider/model"`` to pin a model for itself, and ``after =
["job"]`` for an order that no reference implies. References (see
:mod:`tutopanda_providers.runner.references`) make the edges of the graph. Loading checks that
every producer is known, every reference parses and points at a job, and that there is no
cycle; each problem names the file, the line and the fix.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tutopanda_providers.contracts import Descriptor
from tutopanda_providers.runner.errors import FileProblemError
from tutopanda_providers.runner.locate import dotted, where
from tutopanda_providers.runner.numbers import number_problems
from tutopanda_providers.runner.references import BadReferenceError, find_references


class JobSpec(BaseModel):
    """One job of a plan: which producer, with which inputs."""

    model_config = ConfigDict(extra="forbid")

    producer: str = Field(min_length=1)
    inputs: dict[str, Any] = Field(default_factory=dict)
    model: str | None = None
    after: list[str] = Field(default_factory=list)
    description: str = ""

    @field_validator("model")
    @classmethod
    def _model_ref(cls, value: str | None) -> str | None:
        if value is not None:
            Descriptor.parse(value)
        return value


class PlanHeader(BaseModel):
    """The ``[plan]`` table: a title and free notes."""

    model_config = ConfigDict(extra="allow")

    title: str = "untitled lesson"
    description: str = ""


class PlanFile(BaseModel):
    """The whole plan file as written."""

    model_config = ConfigDict(extra="forbid")

    plan: PlanHeader = Field(default_factory=PlanHeader)
    jobs: dict[str, JobSpec] = Field(min_length=1)


@dataclass
class Job:
    """A job of a loaded plan, with the jobs it depends on."""

    id: str
    producer: str
    inputs: dict[str, Any]
    model: str | None = None
    depends_on: tuple[str, ...] = ()
    description: str = ""


@dataclass
class Plan:
    """A validated plan: jobs by id and their topological layers."""

    title: str
    jobs: dict[str, Job]
    layers: list[list[str]]
    source: str = "<plan>"
    text: str | None = field(default=None, repr=False)

    def ordered(self) -> list[Job]:
        """Every job, layer by layer."""
        return [self.jobs[j] for layer in self.layers for j in layer]

    def producers(self) -> list[str]:
        """The producer names the plan uses, sorted."""
        return sorted({job.producer for job in self.jobs.values()})

    def downstream_of(self, job_ids: Iterable[str]) -> set[str]:
        """Every job that depends (directly or not) on one of ``job_ids``."""
        found = set(job_ids)
        changed = True
        while changed:
            changed = False
            for job in self.jobs.values():
                if job.id not in found and found.intersection(job.depends_on):
                    found.add(job.id)
                    changed = True
        return found - set(job_ids)


def load_plan(path: str | Path, known_producers: Iterable[str] | None = None) -> Plan:
    """Read, validate and order the plan at ``path``.

    Args:
        path: the TOML file.
        known_producers: the producer names of the active settings; unknown ones are refused.

    Raises:
        FileProblemError: listing every problem with its line and fix.
    """
    file = str(path)
    try:
        # utf-8-sig: Windows Notepad saves UTF-8 with a byte-order mark.
        text = Path(path).read_text(encoding="utf-8-sig")
    except IsADirectoryError:
        raise FileProblemError(
            file, [f"{file}: is a folder, not a plan; give the path of a TOML plan file"]
        ) from None
    except OSError as exc:
        raise FileProblemError(
            file, [f"{file}: cannot read the plan: {exc.strerror or exc}; check the path"]
        ) from None
    except UnicodeDecodeError as exc:
        raise FileProblemError(
            file,
            [
                f"{file}: byte {exc.start} is not UTF-8 text; a plan is a TOML text file "
                "saved as UTF-8 (is this the right file?)"
            ],
        ) from None
    return parse_plan(text, file, known_producers)


def parse_plan(
    text: str, file: str = "<plan>", known_producers: Iterable[str] | None = None
) -> Plan:
    """Validate and order a plan given as TOML text (see :func:`load_plan`)."""
    try:
        raw = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise FileProblemError(file, [f"{file}: not valid TOML: {exc}"]) from exc
    try:
        parsed = PlanFile.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            problems.append(f"{where(file, text, loc)}: {dotted(loc) or 'plan'}: {_fix_for(err)}")
        raise FileProblemError(file, problems) from exc
    return build_plan(parsed, file, text, known_producers)


def _fix_for(err: Mapping[str, Any]) -> str:
    kind = err.get("type")
    loc = err.get("loc", ())
    if kind == "missing" and loc and loc[-1] == "producer":
        return 'is missing; add producer = "ScriptProducer" (or another producer of the settings)'
    if kind == "missing" and loc == ("jobs",):
        return "the plan has no [jobs.<id>] tables; add at least one job"
    if kind == "extra_forbidden":
        return (
            "is not a known key; a job takes producer, inputs, model, after and description, "
            "and the file takes [plan] and [jobs.<id>]"
        )
    return str(err.get("msg", "is invalid"))


def build_plan(
    parsed: PlanFile,
    file: str = "<plan>",
    text: str | None = None,
    known_producers: Iterable[str] | None = None,
) -> Plan:
    """Check references, producers and cycles, and compute the layers."""
    known = sorted(known_producers) if known_producers is not None else None
    problems: list[str] = []
    jobs: dict[str, Job] = {}
    for job_id, spec in parsed.jobs.items():
        here = ("jobs", job_id)
        if known is not None and spec.producer not in known:
            close = difflib.get_close_matches(spec.producer, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(
                f"{where(file, text, (*here, 'producer'))}: jobs.{job_id}: unknown producer "
                f"{spec.producer!r}; {hint}the settings define: {', '.join(known)}"
            )
        for loc, what in number_problems(spec.inputs, (*here, "inputs")):
            problems.append(f"{where(file, text, loc)}: {dotted(loc)}: {what}")
        deps: list[str] = []
        for key, value in spec.inputs.items():
            try:
                refs = list(find_references(value))
            except BadReferenceError as exc:
                problems.append(f"{where(file, text, (*here, 'inputs', key))}: {exc}")
                continue
            for ref in refs:
                if ref.job == job_id:
                    problems.append(
                        f"{where(file, text, (*here, 'inputs', key))}: jobs.{job_id}.inputs.{key} "
                        f"refers to its own job ({ref}); point it at an upstream job"
                    )
                elif ref.job not in parsed.jobs:
                    close = difflib.get_close_matches(ref.job, list(parsed.jobs), n=1)
                    hint = f"; did you mean ${{{close[0]}...}}?" if close else ""
                    problems.append(
                        f"{where(file, text, (*here, 'inputs', key))}: jobs.{job_id}.inputs.{key} "
                        f"refers to {ref}, but there is no job {ref.job!r}{hint}"
                    )
                else:
                    deps.append(ref.job)
        for other in spec.after:
            if other not in parsed.jobs:
                problems.append(
                    f"{where(file, text, (*here, 'after'))}: jobs.{job_id}.after names "
                    f"{other!r}, which is not a job of this plan"
                )
            else:
                deps.append(other)
        jobs[job_id] = Job(
            id=job_id,
            producer=spec.producer,
            inputs=spec.inputs,
            model=spec.model,
            depends_on=tuple(dict.fromkeys(deps)),
            description=spec.description,
        )
    layers, cycle = _layers(jobs)
    if cycle:
        loop = " -> ".join([*cycle, cycle[0]])
        problems.append(
            f"{where(file, text, ('jobs', cycle[0]))}: the jobs form a cycle ({loop}); "
            "remove one of these references"
        )
    if problems:
        raise FileProblemError(file, problems)
    return Plan(title=parsed.plan.title, jobs=jobs, layers=layers, source=file, text=text)


def _layers(jobs: Mapping[str, Job]) -> tuple[list[list[str]], list[str]]:
    """Kahn's layering; on a cycle, return the layers so far and one cycle."""
    remaining = {j: set(job.depends_on) for j, job in jobs.items()}
    layers: list[list[str]] = []
    done: set[str] = set()
    while remaining:
        ready = sorted(j for j, deps in remaining.items() if deps <= done)
        if not ready:
            return layers, _one_cycle(remaining)
        layers.append(ready)
        done.update(ready)
        for j in ready:
            del remaining[j]
    return layers, []


def _one_cycle(remaining: Mapping[str, set[str]]) -> list[str]:
    start = sorted(remaining)[0]
    path: list[str] = []
    node = start
    while node not in path:
        path.append(node)
        node = sorted(d for d in remaining[node] if d in remaining)[0]
    return path[path.index(node) :]


__all__ = ["Job", "JobSpec", "Plan", "PlanFile", "build_plan", "load_plan", "parse_plan"]
