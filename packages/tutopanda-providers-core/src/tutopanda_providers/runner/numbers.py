"""Bounds of the numbers in plan and settings inputs, checked when the file is loaded.

An input that sizes work (``segments``, ``duration_seconds``, counts of outputs) is used
before any model validates it: a dry run or ``estimate`` builds stand-in outputs of that size
(see :mod:`tutopanda_providers.runner.samples`). So every number in a job's inputs is checked
at load time: it must be finite (TOML allows ``nan`` and ``inf``), an integer must fit a JSON
number exactly (``|n| <= 2**53``), and the sizing inputs of :data:`SIZE_BOUNDS` must lie in
their range. A model's own schema still checks the rest when the job is validated.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

#: The largest integer a plan may hold: larger ones lose precision as JSON and size nothing real.
MAX_SAFE_INTEGER = 2**53

#: Inputs that size work, by name: ``(low, high, low_open)``, inclusive unless ``low_open``.
#: ``segments`` and ``duration_seconds`` match :class:`~tutopanda_providers.contracts.schemas.ScriptInputs`
#: (a test keeps them in step); the counts bound how many outputs one job may ask for.
SIZE_BOUNDS: dict[str, tuple[float, float, bool]] = {
    "segments": (1, 50, False),
    "duration_seconds": (0, 3600, True),
    "num_outputs": (1, 16, False),
}


Loc = tuple[str | int, ...]


def number_problems(value: Any, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    """Every out-of-bounds number in ``value`` (walked through tables and lists).

    Yields:
        ``(loc, what)``: the key path of the number (``loc`` prefixed) and what is wrong,
        with the allowed range.
    """
    if isinstance(value, bool):
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from number_problems(item, (*loc, str(key)))
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from number_problems(item, (*loc, i))
        return
    if not isinstance(value, (int, float)):
        return
    if isinstance(value, float) and not math.isfinite(value):
        yield loc, f"{value!r} is not a finite number; write a number"
        return
    if isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER:
        yield loc, f"{value} is too large; integers must lie within +/-{MAX_SAFE_INTEGER}"
        return
    name = loc[-1] if loc else None
    if isinstance(name, str) and name in SIZE_BOUNDS:
        low, high, low_open = SIZE_BOUNDS[name]
        too_low = value <= low if low_open else value < low
        if too_low or value > high:
            bracket = "(" if low_open else "["
            yield loc, f"{value!r} is out of range; {name} must lie in {bracket}{low:g}, {high:g}]"


__all__ = ["MAX_SAFE_INTEGER", "SIZE_BOUNDS", "number_problems"]
