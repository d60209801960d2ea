"""Warm start: resolve each handler, check its secrets and run its ``warm_start``, under one
time budget, before the first job (a missing key fails here, not in the first job)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from tutopanda_providers.contracts import (
    AuthError,
    Descriptor,
    EventEmitter,
    Mode,
    ModelCard,
    ProducerKind,
    ProviderError,
    TelemetrySink,
)
from tutopanda_providers.handler import WarmStartContext
from tutopanda_providers.registry.resolved import ResolvedHandler
from tutopanda_providers.secrets import SecretResolver
from tutopanda_providers.telemetry import WARM_START


class WarmableRegistry(Protocol):
    """What a warm start needs of a registry (:class:`ProviderRegistry` has it all).

    A protocol rather than the facade itself, so this module does not import the facade
    that calls it.
    """

    @property
    def mode(self) -> Mode:
        """The registry's mode."""
        ...

    @property
    def secrets(self) -> SecretResolver:
        """Where secret values come from."""
        ...

    @property
    def telemetry(self) -> TelemetrySink:
        """Where the warm-start events go."""
        ...

    def card(self, descriptor: Descriptor | str) -> ModelCard:
        """The card of ``descriptor``; raises ``UnknownModelError``."""
        ...

    def mode_for_job(
        self, producer: str | None = None, kind: ProducerKind | str | None = None
    ) -> Mode:
        """The mode a job of ``producer`` / ``kind`` runs in."""
        ...

    def resolve(
        self,
        descriptor: Descriptor,
        *,
        producer: str | None = None,
        kind: ProducerKind | str | None = None,
        mode: Mode | None = None,
    ) -> ResolvedHandler:
        """The handler for ``descriptor``, wrapped in the pipeline."""
        ...


@dataclass
class WarmStartReport:
    """How one handler's warm start went."""

    descriptor: Descriptor
    mode: Mode
    status: Literal["ready", "failed", "skipped"]
    error: str | None = None
    duration_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-able dict."""
        return {
            "provider": self.descriptor.provider,
            "model": self.descriptor.model,
            "environment": self.descriptor.environment,
            "mode": self.mode,
            "status": self.status,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 2),
        }


def check_secrets(registry: WarmableRegistry, resolved: ResolvedHandler) -> bool:
    """Raise when a live handler's secrets are missing; True when some were checked.

    Raises:
        AuthError: naming every missing secret and how to set it.
    """
    names = resolved.card.secret_names if resolved.mode == "live" else ()
    missing = [name for name in names if registry.secrets.resolve(name) is None]
    if missing:
        raise AuthError(
            f"missing secret {', '.join(missing)} for live {resolved.descriptor}: set it in "
            "the environment or in .env, or run this producer in mock mode",
            provider=resolved.provider,
            model=resolved.model,
            details={"missing_secrets": missing},
        )
    return bool(names)


async def _warm_one(
    registry: WarmableRegistry,
    descriptor: Descriptor,
    chosen: Mode,
    producer: str | None,
    remaining: float,
) -> WarmStartReport:
    resolved = registry.resolve(descriptor, producer=producer, mode=chosen)
    checked = check_secrets(registry, resolved)
    if getattr(resolved.handler, "warm_start", None) is not None:
        context = WarmStartContext(
            telemetry=EventEmitter(
                registry.telemetry, {"provider": descriptor.provider, "model": descriptor.model}
            ),
            timeout=max(0.0, remaining),
        )
        await resolved.warm_start(context)
        checked = True
    return WarmStartReport(descriptor, chosen, "ready" if checked else "skipped")


async def warm_start(
    registry: WarmableRegistry,
    descriptors: Iterable[Descriptor],
    timeout: float = 10.0,
    *,
    producer: str | None = None,
    mode: Mode | None = None,
) -> list[WarmStartReport]:
    """See :meth:`ProviderRegistry.warm_start`."""
    import asyncio

    wanted = list(dict.fromkeys(descriptors))
    started = time.perf_counter()
    reports: dict[int, WarmStartReport] = {}
    modes: dict[int, Mode] = {}

    async def one(index: int, descriptor: Descriptor) -> None:
        began = time.perf_counter()
        chosen: Mode = mode or registry.mode
        try:
            card = registry.card(descriptor)
            chosen = mode or registry.mode_for_job(producer, card.kind)
            modes[index] = chosen
            remaining = timeout - (time.perf_counter() - started)
            report = await _warm_one(registry, descriptor, chosen, producer, remaining)
        except ProviderError as exc:
            report = WarmStartReport(descriptor, chosen, "failed", exc.message)
        except Exception as exc:
            report = WarmStartReport(descriptor, chosen, "failed", f"{type(exc).__name__}: {exc}")
        report.duration_ms = (time.perf_counter() - began) * 1000
        reports[index] = report

    tasks = [asyncio.ensure_future(one(i, d)) for i, d in enumerate(wanted)]
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            # Cancel and move on: a warm start that ignores cancellation must not stretch
            # the budget, so it is not awaited here.
            task.cancel()
            task.add_done_callback(_retrieve)
    out: list[WarmStartReport] = []
    for index, descriptor in enumerate(wanted):
        report = reports.get(index) or WarmStartReport(
            descriptor,
            modes.get(index, mode or registry.mode),
            "failed",
            f"warm start did not finish within the {timeout:g}s budget",
            duration_ms=(time.perf_counter() - started) * 1000,
        )
        EventEmitter(registry.telemetry).emit(WARM_START, **report.to_dict())
        out.append(report)
    return out


def _retrieve(task: Any) -> None:
    if not task.cancelled():
        task.exception()


__all__ = ["WarmStartReport", "WarmableRegistry", "check_secrets", "warm_start"]
