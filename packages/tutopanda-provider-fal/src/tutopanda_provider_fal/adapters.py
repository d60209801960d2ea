"""Mapping producer-level inputs onto a FAL endpoint's own fields.

A runner speaks in generic names (:class:`~tutopanda_providers.contracts.GenericInputs`:
``prompt``, ``text``, ``duration_seconds``, ``aspect_ratio``, ``image_urls``, ``voice``,
``negative_prompt``, ``seed``); each FAL endpoint names and types its fields its own way
(veo3 takes ``duration: "8s"``, seedance ``duration: "5"``, stable-audio ``seconds_total: 30``;
seedream and hunyuan take an ``image_size`` preset instead of an aspect ratio; minimax nests its
voice under ``voice_setting.voice_id``). A :class:`FalMapping` says, per endpoint, where each
generic input goes and how it is written.

The rules are those of the Replicate plugin's adapters:

- An endpoint's own field names pass through untouched; validation judges them.
- A generic input set to ``None`` means "not given" and is dropped.
- A generic input the endpoint has no field for is left under its generic name, so validation
  refuses it and lists the endpoint's real inputs.
- Values are never coerced into range and never rounded: a duration in whole seconds (``8`` or
  ``8.0``) is written the way the endpoint spells it (``"8s"``, ``"8"`` or ``8``); ``7.5`` s or
  a duration the endpoint does not offer (veo3: 10 s) is left for validation to refuse with the
  allowed values, before anything is paid.
- An aspect ratio with no ``image_size`` preset is refused here, naming the ratios that have one
  (pass ``image_size`` as ``{"width": W, "height": H}`` instead).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tutopanda_providers.contracts import GenericInputs, InvalidInputError

from tutopanda_provider_fal.names import PROVIDER

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

#: ``W:H`` → FAL's ``image_size`` preset of that shape (fal's preset names; the seedream
#: endpoints also take ``auto``).
RATIO_PRESETS: dict[str, str] = {
    "1:1": "square_hd",
    "4:3": "landscape_4_3",
    "3:4": "portrait_4_3",
    "16:9": "landscape_16_9",
    "9:16": "portrait_16_9",
}

#: How an endpoint writes a duration in seconds: ``"8s"``, ``"8"`` or ``8``.
DurationStyle = Literal["suffix_s", "string", "integer"]


def seconds_as(value: Any, style: DurationStyle) -> Any:
    """Whole seconds written in ``style``; anything else is returned unchanged for validation.

    ``seconds_as(8.0, "suffix_s")`` → ``"8s"``; ``seconds_as(5, "string")`` → ``"5"``;
    ``seconds_as(30.0, "integer")`` → ``30``; ``seconds_as(7.5, ...)`` → ``7.5`` (refused by
    the endpoint's schema, never rounded).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and not value.is_integer():
        return value
    whole = int(value)
    if style == "suffix_s":
        return f"{whole}s"
    if style == "string":
        return str(whole)
    return whole


@dataclass(frozen=True)
class FalMapping:
    """Where one FAL endpoint takes each producer-level input.

    Attributes:
        model: the endpoint id, for error messages.
        renames: generic name → the endpoint's field (identity entries allowed).
        image_list: the field taking a list of upstream image URLs (``image_urls``), if any.
        single_image: the field taking exactly one upstream image URL (``image_url``), if any.
        duration: ``(field, style)``: where ``duration_seconds`` goes and how it is written.
        size_presets: ``aspect_ratio`` becomes an ``image_size`` preset (:data:`RATIO_PRESETS`,
            plus ``extra_presets``).
        extra_presets: more ``aspect_ratio`` values → preset (seedream: ``auto``).
        nested: generic name → ``(object field, inner field)``, e.g. minimax's voice goes to
            ``voice_setting.voice_id``; other inner fields given by the caller are kept.
    """

    model: str
    renames: Mapping[str, str] = field(default_factory=dict)
    image_list: str | None = None
    single_image: str | None = None
    duration: tuple[str, DurationStyle] | None = None
    size_presets: bool = False
    extra_presets: Mapping[str, str] = field(default_factory=dict)
    nested: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def __call__(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``inputs`` with generic names replaced by this endpoint's fields and formats.

        Raises:
            InvalidInputError: two inputs set the same field to different values, more
                upstream images were given than a single-image field takes, or an aspect ratio
                has no ``image_size`` preset.
        """
        out: dict[str, Any] = {}
        mapped: dict[str, str] = {}  # endpoint field -> generic name it came from
        for key, value in inputs.items():
            if key in GENERIC_NAMES and value is None:
                continue
            if key not in GENERIC_NAMES:
                self._put(out, mapped, key, value, source=key)
            elif key == GenericInputs.IMAGE_URLS and (self.image_list or self.single_image):
                self._map_images(value, out, mapped)
            elif key == GenericInputs.DURATION_SECONDS and self.duration is not None:
                name, style = self.duration
                self._put(out, mapped, name, seconds_as(value, style), source=key)
            elif key == GenericInputs.ASPECT_RATIO and self.size_presets:
                self._put(out, mapped, "image_size", self._preset(value), source=key)
            elif key in self.nested:
                self._put_nested(out, mapped, key, value)
            else:
                self._put(out, mapped, self.renames.get(key, key), value, source=key)
        return out

    def _preset(self, ratio: Any) -> str:
        presets = {**RATIO_PRESETS, **self.extra_presets}
        text = str(ratio).strip()
        if text in presets:
            return presets[text]
        raise self._error(
            GenericInputs.ASPECT_RATIO,
            f"aspect_ratio {ratio!r} has no image_size preset on {PROVIDER}/{self.model}; "
            f"use one of {', '.join(presets)}, or give image_size as "
            '{"width": W, "height": H}',
            "no preset",
        )

    def _map_images(self, value: Any, out: dict[str, Any], mapped: dict[str, str]) -> None:
        if not isinstance(value, str | list | tuple):
            # Not a URL nor a list of them: left for validation to refuse with the field's type.
            target = self.image_list or self.single_image
            assert target is not None
            self._put(out, mapped, target, value, source=GenericInputs.IMAGE_URLS)
            return
        urls = [value] if isinstance(value, str) else list(value)
        if self.image_list:
            self._put(out, mapped, self.image_list, urls, source=GenericInputs.IMAGE_URLS)
            return
        assert self.single_image is not None
        if not urls:
            return
        if len(urls) > 1:
            raise self._error(
                GenericInputs.IMAGE_URLS,
                f"image_urls has {len(urls)} images but {PROVIDER}/{self.model} takes one "
                f"start image ({self.single_image!r}). Pass one image",
                "more than one image",
            )
        self._put(out, mapped, self.single_image, urls[0], source=GenericInputs.IMAGE_URLS)

    def _put_nested(
        self, out: dict[str, Any], mapped: dict[str, str], key: str, value: Any
    ) -> None:
        outer, inner = self.nested[key]
        current = out.get(outer)
        obj = dict(current) if isinstance(current, Mapping) else {}
        if obj.get(inner, value) != value:
            raise self._error(
                f"{outer}.{inner}",
                f"{key!r} and {outer}.{inner} set the same field to different values. Give "
                "only one",
                "set twice",
            )
        obj[inner] = value
        out[outer] = obj
        mapped.setdefault(f"{outer}.{inner}", key)

    def _put(
        self, out: dict[str, Any], mapped: dict[str, str], target: str, value: Any, *, source: str
    ) -> None:
        if target in out and out[target] != value:
            if isinstance(out[target], Mapping) and isinstance(value, Mapping):
                # A nested object given whole after a generic input filled one of its fields:
                # merge, refusing a clash.
                for inner, inner_value in value.items():
                    if out[target].get(inner, inner_value) != inner_value:
                        break
                else:
                    out[target] = {**out[target], **value}
                    return
            first = mapped.get(target, target)
            raise self._error(
                target,
                f"{first!r} and {source!r} both set the endpoint's {target!r} field, to "
                "different values. Give only one",
                "set twice",
            )
        out[target] = value
        mapped.setdefault(target, source)

    def _error(self, field_name: str, message: str, problem: str) -> InvalidInputError:
        return InvalidInputError(
            f"invalid inputs for {PROVIDER}/{self.model}: {message}.",
            provider=PROVIDER,
            model=self.model,
            details={"errors": [{"field": field_name, "problem": problem}]},
        )


__all__ = ["GENERIC_NAMES", "RATIO_PRESETS", "DurationStyle", "FalMapping", "seconds_as"]
