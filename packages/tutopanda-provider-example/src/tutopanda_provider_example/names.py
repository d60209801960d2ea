"""Names the plugin module and the handler both use, in a module of their own so that the
handler never imports the plugin module back (the plugin imports the handler lazily)."""

from __future__ import annotations

#: The provider's name, as cards and errors spell it.
PROVIDER = "acme"
#: The environment variable (or secret store entry) holding the API key.
SECRET_NAME = "ACME_API_KEY"

__all__ = ["PROVIDER", "SECRET_NAME"]
