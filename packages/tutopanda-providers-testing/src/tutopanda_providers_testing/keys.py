"""Fake keys for tests and the stand-alone servers. Obviously fake; never real-looking.

The canaries are what the conformance suite searches for in events, logs and errors: a
handler that leaks its key leaks one of these.
"""

from __future__ import annotations

#: The Replicate token tests hand to handlers; the fake server accepts only it.
CANARY_REPLICATE_TOKEN = "r8_CANARY-fake-123"
#: The OpenAI key tests hand to handlers; the fake server accepts only it.
CANARY_OPENAI_KEY = "sk-test-canary-secret-123"
#: The keys ``serve`` prints for a person to export; by default its servers accept only these.
LOCAL_REPLICATE_TOKEN = "r8_fake-local-token"
LOCAL_OPENAI_KEY = "sk-fake-local-key"

#: The environment variable each provider reads its secret from.
SECRET_NAMES = {"replicate": "REPLICATE_API_TOKEN", "openai": "OPENAI_API_KEY"}

#: The canary of each secret name the kit's fakes know.
KNOWN_CANARIES = {
    SECRET_NAMES["replicate"]: CANARY_REPLICATE_TOKEN,
    SECRET_NAMES["openai"]: CANARY_OPENAI_KEY,
}


def canary_for(secret_name: str) -> str:
    """The test key the conformance suite hands a plugin for ``secret_name``: the kit's own
    canary for Replicate and OpenAI (their fakes accept only those), else an obviously fake
    value derived from the name (``ACME_API_KEY`` → ``canary-acme-api-key-5e3f``) that a
    fake of yours accepts with ``api_key=canary_for("ACME_API_KEY")``."""
    known = KNOWN_CANARIES.get(secret_name)
    if known is not None:
        return known
    return f"canary-{secret_name.lower().replace('_', '-')}-5e3f"
