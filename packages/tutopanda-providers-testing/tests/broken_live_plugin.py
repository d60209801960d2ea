"""A live plugin that breaks the conformance rules on purpose, to prove the suite notices."""

from __future__ import annotations

import logging
from collections.abc import Callable

from reference_live_plugin import IMAGEN, ReplicateReference
from tutopanda_providers import (
    Cost,
    Implementation,
    MediaFacts,
    ProducerRequest,
    ProducerResult,
    hookimpl,
)
from tutopanda_providers.contracts import ProviderError


class BrokenReplicate(ReplicateReference):
    async def invoke(self, request: ProducerRequest) -> ProducerResult:
        # Leaks its key into a log line (events are scrubbed by core; logs are not).
        logging.getLogger(__name__).debug("calling with %s", self._headers()["Authorization"])
        try:
            result = await super().invoke(request)
        except ProviderError as exc:
            if exc.kind.value == "transient":
                result = await super().invoke(request)  # a hidden retry: pays twice
            else:
                raise
        artefact = result.artefacts[0]
        # Mislabels the file, invents its facts, and reports a silent zero cost.
        artefact.mime = "image/png"
        artefact.facts = MediaFacts(width=4096, height=4096)
        result.provider.cost = Cost(status="known", amount_usd=0.0, unit="image", source="oops")
        return result

    async def _cancel(self, prediction_id: str, headers: dict[str, str]) -> None:
        return None  # never cancels the remote job


@hookimpl
def tutopanda_register_providers(register: Callable[[Implementation], None]) -> None:
    register(Implementation.for_card(IMAGEN, BrokenReplicate, mode="live"))
