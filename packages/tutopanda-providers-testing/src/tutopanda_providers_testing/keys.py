"""Fake keys for tests and the stand-alone servers. Obviously fake; never real-looking.

The canaries are what the conformance suite searches for in events, logs and errors: a
handler that leaks its key leaks one of these.
"""

from __future__ import annotations

#: The Replicate token tests hand to handlers; the fake server accepts only it.
CANARY_REPLICATE_TOKEN = "r8_CANARY-fake-123"
#: The OpenAI key tests hand to handlers; the fake server accepts only it.
CANARY_OPENAI_KEY = "sk-test-canary-secret-123"
#: The keys ``serve`` prints for a person to export (the servers it starts accept any key).
LOCAL_REPLICATE_TOKEN = "r8_fake-local-token"
LOCAL_OPENAI_KEY = "sk-fake-local-key"

#: The environment variable each provider reads its secret from.
SECRET_NAMES = {"replicate": "REPLICATE_API_TOKEN", "openai": "OPENAI_API_KEY"}
