"""Checks the conformance suite applies to results: file types, media facts, secrets."""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tutopanda_providers.contracts import (
    Artefact,
    MediaFacts,
    MediaReaderMissingError,
    read_media_facts,
)


def facts_from_bytes(data: bytes, mime: str) -> MediaFacts | None:
    """Facts read from the file's bytes with core's readers
    (:func:`tutopanda_providers.contracts.read_media_facts`: Pillow for images, ``wave`` for
    WAV, PyAV for the rest); ``None`` when the reader this type needs is not installed here."""
    try:
        return read_media_facts(data, mime)
    except MediaReaderMissingError:
        return None


def check_facts(artefact: Artefact, data: bytes) -> list[str]:
    """Every way the artefact's facts disagree with the file (empty when they agree)."""
    problems: list[str] = []
    facts = artefact.facts
    family = artefact.mime.split("/")[0]
    if family in {"image", "video"} and not (facts.width and facts.height):
        problems.append(f"{artefact.name}: {family} without width and height facts")
    if family in {"audio", "video"} and not facts.duration_seconds:
        problems.append(f"{artefact.name}: {family} without a duration")
    read = facts_from_bytes(data, artefact.mime)
    if read is None:
        return problems
    for name in ("width", "height"):
        mine, theirs = getattr(read, name), getattr(facts, name)
        if mine is not None and theirs is not None and mine != theirs:
            problems.append(f"{artefact.name}: {name} is {theirs} in the facts, {mine} in the file")
    if (
        read.duration_seconds
        and facts.duration_seconds
        and abs(read.duration_seconds - facts.duration_seconds)
        > max(0.1, 0.05 * read.duration_seconds)
    ):
        problems.append(
            f"{artefact.name}: duration is {facts.duration_seconds}s in the facts, "
            f"{read.duration_seconds:.3f}s in the file"
        )
    return problems


def exception_texts(error: BaseException) -> list[str]:
    """``str``, ``repr``, ``to_dict`` and the formatted traceback of an error and its causes."""
    texts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    to_dict = getattr(error, "to_dict", None)
    if callable(to_dict):
        texts.append(json.dumps(to_dict(), default=str))
    return texts


def find_secret(secret: str, texts: Iterable[str]) -> list[str]:
    """The texts (shortened) that contain ``secret``."""
    return [t[:300] for t in texts if secret in t]


def files_containing(root: Path, secret: str) -> list[str]:
    """Files under ``root`` whose bytes contain ``secret``."""
    needle = secret.encode()
    if not root.exists():
        return []
    return [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def as_text(value: Any) -> str:
    """Any value as text for a secret scan (JSON where possible)."""
    try:
        return json.dumps(value, default=repr)
    except (TypeError, ValueError):
        return repr(value)
