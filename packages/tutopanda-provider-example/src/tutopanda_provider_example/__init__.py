"""An example tutopanda provider plugin: the made-up Acme image API (``acme/pixel-1``).

The plugin module is :mod:`tutopanda_provider_example.plugin` (entry point ``acme``).
"""

from __future__ import annotations

__all__: list[str] = []
