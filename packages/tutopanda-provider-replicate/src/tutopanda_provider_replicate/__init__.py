"""Replicate producers for tutopanda: the seed's twelve Replicate models, live.

The plugin (:mod:`tutopanda_provider_replicate.plugin`) registers one live implementation per
model card (:mod:`tutopanda_provider_replicate.cards`); the handler
(:mod:`tutopanda_provider_replicate.handler`) and the ``replicate`` SDK are imported only when
the registry creates a handler.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
