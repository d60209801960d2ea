"""Mapping producer-level inputs onto a Replicate model's own fields.

A runner speaks in generic names (:class:`~tutopanda_providers.cards.GenericInputs`:
``prompt``, ``text``, ``duration_seconds``, ``aspect_ratio``, ``image_urls``, ``voice``,
``negative_prompt``, ``seed``); each model names its fields its own way (minimax reads
``text``, ElevenLabs reads ``prompt``, seedream takes ``image_input`` while veo takes one
``image``). An :class:`InputMapping` says, per model, where each generic input goes.

Rules, the same for every model:

- A model's own field names pass through untouched; validation judges them.
- A generic input set to ``None`` means "not given" and is dropped.
- A generic input the model has no field for is left under its generic name, so validation
  refuses it and lists the model's real inputs: a model that cannot use upstream images must
  not silently ignore them.
- Values are never coerced into range. The only conversion is explicit and exact: a duration
  in seconds given as a float with no fractional part (``8.0``) becomes the integer the
  model's field takes (``8``); ``7.5`` stays ``7.5`` and validation reports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tutopanda_providers.contracts import GenericInputs, InvalidInputError

#: Every producer-level input name.
GENERIC_NAMES = frozenset(
    {
        GenericInputs.PROMPT,
        GenericInputs.TEXT,
        GenericInputs.DURATION_SECONDS,
        GenericInputs.ASPECT_RATIO,
        GenericInputs.IMAGE_URLS,
        GenericInputs.VOICE,
        GenericInputs.NEGATIVE_PROMPT,
        GenericInputs.SEED,
    }
)


def whole_seconds(value: Any) -> Any:
    """Seconds as the integer a model's field takes, when the value is a whole number.

    ``8.0`` → ``8``; ``8`` → ``8``; ``7.5`` → ``7.5`` (left for validation to refuse, never
    rounded); anything else is returned as it is.
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass(frozen=True)
class InputMapping:
    """Where one model takes each producer-level input.

    Attributes:
        model: ``owner/name``, for error messages.
        renames: generic name → the model's field (identity entries allowed).
        image_list: the model's field taking a list of upstream image URLs, if any.
        single_image: the model's field taking exactly one upstream image URL, if any.
        integer_seconds: model fields that hold whole seconds (see :func:`whole_seconds`).
    """

    model: str
    renames: Mapping[str, str] = field(default_factory=dict)
    image_list: str | None = None
    single_image: str | None = None
    integer_seconds: tuple[str, ...] = ()

    def __call__(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``inputs`` with generic names replaced by this model's field names.

        Raises:
            InvalidInputError: two inputs name the same field with different values, or
                more upstream images were given than a single-image field takes.
        """
        out: dict[str, Any] = {}
        mapped: dict[str, str] = {}  # model field -> generic name it came from
        for key, value in inputs.items():
            if key in GENERIC_NAMES and value is None:
                continue
            if key == GenericInputs.IMAGE_URLS and (self.image_list or self.single_image):
                self._map_images(value, out, mapped)
                continue
            target = self.renames.get(key, key) if key in GENERIC_NAMES else key
            self._put(out, mapped, target, value, source=key)
        for name in self.integer_seconds:
            if name in out:
                out[name] = whole_seconds(out[name])
        return out

    def _map_images(self, value: Any, out: dict[str, Any], mapped: dict[str, str]) -> None:
        urls = [value] if isinstance(value, str) else list(value)
        if self.image_list:
            self._put(out, mapped, self.image_list, urls, source=GenericInputs.IMAGE_URLS)
            return
        assert self.single_image is not None
        if not urls:
            return
        if len(urls) > 1:
            raise InvalidInputError(
                f"invalid inputs for replicate/{self.model}: image_urls has {len(urls)} images "
                f"but the model takes one start image ({self.single_image!r}). Pass one image.",
                provider="replicate",
                model=self.model,
                details={"errors": [{"field": "image_urls", "problem": "more than one image"}]},
            )
        self._put(out, mapped, self.single_image, urls[0], source=GenericInputs.IMAGE_URLS)

    def _put(
        self,
        out: dict[str, Any],
        mapped: dict[str, str],
        target: str,
        value: Any,
        *,
        source: str,
    ) -> None:
        if target in out and out[target] != value:
            first = mapped.get(target, target)
            raise InvalidInputError(
                f"invalid inputs for replicate/{self.model}: {first!r} and {source!r} both set "
                f"the model's {target!r} field, to different values. Give only one.",
                provider="replicate",
                model=self.model,
                details={"errors": [{"field": target, "problem": "set twice"}]},
            )
        out[target] = value
        mapped.setdefault(target, source)


__all__ = ["GENERIC_NAMES", "InputMapping", "whole_seconds"]
