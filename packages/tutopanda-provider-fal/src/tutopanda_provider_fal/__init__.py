"""The tutopanda provider plugin for FAL (``fal``): the seed's media models on FAL's queue API.

The plugin module is :mod:`tutopanda_provider_fal.plugin` (entry point ``fal``).
"""

from __future__ import annotations

__all__: list[str] = []
