"""An opt-in result cache: the same request to the same model and handler version is served
from disk instead of calling the provider again.

The key is :func:`~tutopanda_providers.handler.request_fingerprint`: the sha256 of
``(provider, model, environment, mode, handler version, validated inputs, upstream blob
hashes)`` as canonical JSON, so a change of any of them is a miss. It is the runner's job
fingerprint too: one function decides "same output" for both. The
value is the :class:`~tutopanda_providers.contracts.ProducerResult` as JSON in
``<directory>/<key[:2]>/<key>.json`` (written atomically); media stays in blob storage, and a
hit is served only when every blob it names still exists there. A small in-memory front keeps
the most recent entries' JSON so repeated hits skip the disk read.

A hit has ``meta.cached = True``, ``"cache"`` in ``meta.middleware``, a cost of 0 with the
original cost in ``cost.estimated_live``, and emits ``provider.cache.hit``.
"""

from __future__ import annotations

import os
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutopanda_providers import telemetry as events
from tutopanda_providers.contracts import Cost, ProducerResult, scrub
from tutopanda_providers.handler import request_fingerprint

if TYPE_CHECKING:
    from tutopanda_providers.pipeline.context import InvokeContext, Next
    from tutopanda_providers.storage import BlobStore


@dataclass(frozen=True)
class CacheOptions:
    """Result-cache settings; off unless ``enabled``.

    Attributes:
        enabled: turn the cache on.
        directory: where results are stored as JSON.
        memory_entries: how many recent results to keep in memory as well.
    """

    enabled: bool = False
    directory: str | os.PathLike[str] = ".tutopanda/cache"
    memory_entries: int = 256


def cache_key(context: InvokeContext) -> str:
    """The cache key of an invoke (call after validation: the inputs are the model's own).

    The request's :func:`~tutopanda_providers.handler.request_fingerprint`, the same value the
    runner records as the job's fingerprint.
    """
    request = context.request
    return request_fingerprint(
        request.descriptor,
        context.mode,
        context.state.get("handler_version", ""),
        request.inputs,
        request.upstream,
    )


class ResultCache:
    """Stores results as JSON files under ``directory``, with a small in-memory front."""

    def __init__(self, directory: str | os.PathLike[str], memory_entries: int = 256) -> None:
        self.directory = Path(directory)
        self.memory_entries = memory_entries
        self._memory: OrderedDict[str, str] = OrderedDict()

    def path_for(self, key: str) -> Path:
        """The file an entry lives in."""
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str, storage: BlobStore) -> ProducerResult | None:
        """The stored result for ``key`` when every blob it names still exists, else ``None``."""
        text = self._memory.get(key)
        if text is None:
            try:
                text = self.path_for(key).read_text(encoding="utf-8")
            except (FileNotFoundError, NotADirectoryError):
                return None
            except OSError:
                return None
        try:
            result = ProducerResult.model_validate_json(text)
        except ValueError:
            self.drop(key)  # a damaged entry is a miss, not an error
            return None
        for artefact in result.artefacts:
            if artefact.blob is not None and not storage.exists(artefact.blob):
                self.drop(key)
                return None
        self._remember(key, text)
        return result

    def put(self, key: str, result: ProducerResult) -> None:
        """Store ``result`` under ``key`` (atomically; secrets scrubbed from the text)."""
        text = scrub(result.model_dump_json())
        path = self.path_for(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".entry-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return  # a cache that cannot write is a cache that misses; never fail the job
        self._remember(key, text)

    def drop(self, key: str) -> None:
        """Forget an entry."""
        self._memory.pop(key, None)
        self.path_for(key).unlink(missing_ok=True)

    def _remember(self, key: str, text: str) -> None:
        if self.memory_entries <= 0:
            return
        self._memory[key] = text
        self._memory.move_to_end(key)
        while len(self._memory) > self.memory_entries:
            self._memory.popitem(last=False)


class CacheMiddleware:
    """Serves repeated requests from the :class:`ResultCache`; stores successful results."""

    name = "cache"
    order = 40

    def __init__(self, cache: ResultCache) -> None:
        self.cache = cache

    async def __call__(self, context: InvokeContext, call_next: Next) -> ProducerResult:
        """Return a stored result when there is one; otherwise call and store."""
        key = cache_key(context)
        stored = self.cache.get(key, context.request.storage)
        if stored is not None:
            original = stored.provider.cost
            stored.provider.cost = Cost(
                status="known",
                amount_usd=0.0,
                unit="call",
                quantity=1,
                source="cache",
                reason="served from the result cache; no provider call was made",
                estimated_live=original,
            )
            stored.provider.attempts = 0
            stored.meta.cached = True
            # What acted on the original call does not describe this one.
            stored.meta.middleware = [self.name]
            context.request.telemetry.emit(events.CACHE_HIT, cache_key=key[:16])
            return stored
        result = await call_next(context)
        if not result.meta.cached:
            self.cache.put(key, result)
        return result


def describe(options: CacheOptions) -> dict[str, Any]:
    """The options as a JSON-able dict."""
    return {
        "enabled": options.enabled,
        "directory": str(options.directory),
        "memory_entries": options.memory_entries,
    }


__all__ = ["CacheMiddleware", "CacheOptions", "ResultCache", "cache_key", "describe"]
