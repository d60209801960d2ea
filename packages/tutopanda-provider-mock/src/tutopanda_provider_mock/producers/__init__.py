"""One small module per kind: ``script``, ``prompt``, ``narration`` (audio), ``image``,
``video`` and ``music``. Each exposes ``produce(job) -> list[Artefact]``; the media ones are
synchronous and run in a worker thread.
"""

from __future__ import annotations
