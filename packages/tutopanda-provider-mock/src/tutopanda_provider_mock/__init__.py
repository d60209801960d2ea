"""tutopanda-provider-mock: real, deterministic media for every tutopanda model, for free.

Installed, it serves every (provider, model) any plugin registers a card for, in mock mode,
through one wildcard implementation; it also brings six demo models (``mock/script``,
``mock/prompt``, ``mock/audio``, ``mock/image``, ``mock/video``, ``mock/music``)::

    from tutopanda_providers import Descriptor, create_provider_registry

    registry = create_provider_registry(mode="mock")
    result = await registry.invoke(Descriptor.parse("mock/video"), {"prompt": "a red fox"})
    result.artefacts[0].facts.duration_seconds  # 5.0, read back from the MP4
"""

from __future__ import annotations

from tutopanda_provider_mock.fingerprint import fingerprint
from tutopanda_provider_mock.request import MediaRequest, interpret, narration_seconds

__version__ = "0.1.0"

__all__ = ["MediaRequest", "__version__", "fingerprint", "interpret", "narration_seconds"]
