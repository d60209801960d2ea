"""The bounds of every number the command line takes, checked where the number enters.

A number that guards money or sizes work (``--max-cost``, ``--concurrency``, ``--timeout``,
``--wait``) is refused with a usage error (exit 2) before anything is loaded, allocated or
called when it is not finite, is negative, or is beyond what any real run needs. Click's own
``min``/``max`` let ``nan`` through (every comparison with NaN is false), hence these callbacks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import typer

#: The largest ``--max-cost`` (US dollars) accepted; a larger guard is no guard.
MAX_COST_USD = 100_000.0
#: The most jobs in flight at once (the same bound as the settings' ``runner.concurrency``).
MAX_CONCURRENCY = 256
#: The longest ``--timeout`` of ``invoke`` (seconds): one day.
MAX_TIMEOUT_SECONDS = 86_400.0
#: The longest ``--wait`` for another run of the same movie (seconds): one day.
MAX_WAIT_SECONDS = 86_400.0


def number_in_range(
    option: str, low: float, high: float, *, low_open: bool = False, unit: str = ""
) -> Callable[[float | None], float | None]:
    """A Typer callback refusing a value that is not finite or not within ``[low, high]``.

    ``low_open`` makes the lower bound exclusive (``(low, high]``). ``None`` (not given) passes.

    Raises:
        typer.BadParameter: the message names the option, the value and the allowed range.
    """
    bracket = "(" if low_open else "["
    allowed = f"{bracket}{low:g}, {high:g}]{(' ' + unit) if unit else ''}"

    def check(value: float | None) -> float | None:
        if value is None:
            return None
        too_low = value <= low if low_open else value < low
        if not math.isfinite(value) or too_low or value > high:
            raise typer.BadParameter(
                f"{option} {value!r} is out of range; give a finite number in {allowed}"
            )
        return value

    return check


__all__ = [
    "MAX_CONCURRENCY",
    "MAX_COST_USD",
    "MAX_TIMEOUT_SECONDS",
    "MAX_WAIT_SECONDS",
    "number_in_range",
]
