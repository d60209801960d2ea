"""Names the plugin module, the cards and the handler share, in a module of their own so that
the handler never imports the plugin module back (the plugin imports the handler lazily)."""

from __future__ import annotations

#: The provider's name, as cards and errors spell it.
PROVIDER = "fal"
#: The environment variable (or secret store entry) holding the API key (``id:secret``).
SECRET_NAME = "FAL_KEY"

__all__ = ["PROVIDER", "SECRET_NAME"]
