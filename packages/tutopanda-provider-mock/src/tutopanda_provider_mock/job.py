"""What a mock producer is handed: the card, the request, the interpreted wish and its hash."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from tutopanda_providers.contracts import (
    Artefact,
    CanceledError,
    ModelCard,
    read_media_facts,
    suffix_for,
)
from tutopanda_providers.handler import ProducerRequest

from tutopanda_provider_mock.fingerprint import seed_of
from tutopanda_provider_mock.request import MediaRequest

T = TypeVar("T")


@dataclass(frozen=True)
class MockJob:
    """One mock invoke.

    Attributes:
        card: the card of the model being served.
        request: the request, with validated inputs in the model's own field names.
        media: the inputs read into plain terms.
        digest: the request's fingerprint (see :mod:`tutopanda_provider_mock.fingerprint`).
        stop: set when the caller gave up (cancel, deadline); producers check it between
            frames and blocks, so an abandoned job stops using a core and stores nothing.
    """

    card: ModelCard
    request: ProducerRequest
    media: MediaRequest
    digest: str
    stop: threading.Event = field(default_factory=threading.Event)

    def check(self) -> None:
        """Raise :class:`CanceledError` if the caller gave up on this job."""
        if self.stop.is_set():
            raise CanceledError(
                f"mock job {self.job_id} for {self.ref} was canceled; nothing was stored",
                provider=self.card.provider,
                model=self.card.model,
            )

    def watch(self, items: Iterable[T]) -> Iterator[T]:
        """``items``, checking for a cancel before each one."""
        for item in items:
            self.check()
            yield item

    @property
    def ref(self) -> str:
        """``provider/model`` of the model being served."""
        return self.card.ref

    @property
    def job_id(self) -> str:
        """The runner's job id."""
        return self.request.job.id

    def seed(self, index: int = 0, salt: str = "") -> int:
        """A seed for output ``index`` (and an optional stream ``salt``)."""
        return seed_of(self.digest, f"{index}:{salt}")

    def store(self, data: bytes, mime: str, index: int) -> Artefact:
        """Write ``data`` to storage and describe it, with facts read back from the bytes.

        The facts are never the ones asked for: they are what the decoders a consumer would
        use find in the file written, so a timeline built from them matches the media.
        """
        self.check()
        blob = self.request.storage.write_bytes(data, mime=mime, suffix=suffix_for(mime))
        return Artefact(
            name=artefact_name(index),
            kind=self.card.kind,
            mime=mime,
            blob=blob,
            facts=read_media_facts(data, mime),
        )


def artefact_name(index: int) -> str:
    """``output`` for the first artefact, ``output-2``, ``output-3``… for the next."""
    return "output" if index == 0 else f"output-{index + 1}"


__all__ = ["MockJob", "artefact_name"]
