"""The project's conformance suite, run on every FAL endpoint of this plugin (18 cards) with
the fake FAL queue as the server.

Valid and invalid inputs are written in FAL's own field names (``duration: "4s"``,
``seconds_total``, ``image_size``, ``voice_setting``); each invalid case breaks one rule of the
endpoint's schema (an enum, a range, a length, a required field) so the card refuses it before
anything is sent. The fault table is the kit's queue table on the fake's route names
(``submit``, ``status``, ``file``), so every row runs.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any, ClassVar

import pytest
from tutopanda_provider_fal.cards import CARDS
from tutopanda_providers_testing.conformance import (
    ModelCase,
    ProviderConformance,
    SuiteContext,
    override_standard_test,
    queue_faults,
)

pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]

#: An input image for the edit and image-to-video endpoints: the fake never fetches it.
IMAGE_URL = "https://example.test/panda.png"

CASES = (
    # -- narration -------------------------------------------------------------------------
    ModelCase(
        "fal/fal-ai/minimax/speech-02-hd",
        {"text": "Bees make honey.", "voice_setting": {"voice_id": "Wise_Woman", "speed": 1.0}},
        invalid={"text": "a" * 5001},
    ),
    ModelCase(
        "fal/fal-ai/elevenlabs/tts/eleven-v3",
        {"text": "Bees make honey.", "voice": "Rachel"},
        invalid={"text": "Bees make honey.", "stability": 1.5},
    ),
    ModelCase(
        "fal/fal-ai/elevenlabs/tts/turbo-v2.5",
        {"text": "Bees make honey.", "speed": 1.1},
        invalid={"text": "Bees make honey.", "speed": 3},
    ),
    # -- images ----------------------------------------------------------------------------
    ModelCase(
        "fal/fal-ai/bytedance/seedream/v4/text-to-image",
        {"prompt": "a bee", "image_size": "landscape_4_3"},
        invalid={"prompt": "a bee", "num_images": 7},
    ),
    ModelCase(
        "fal/fal-ai/bytedance/seedream/v4/edit",
        {"prompt": "make the bee blue", "image_urls": [IMAGE_URL], "image_size": "square"},
        invalid={"prompt": "make the bee blue"},
    ),
    ModelCase(
        "fal/fal-ai/imagen4/preview",
        {"prompt": "a bee on a flower", "aspect_ratio": "16:9"},
        invalid={"prompt": "a bee", "aspect_ratio": "2:1"},
    ),
    ModelCase(
        "fal/fal-ai/imagen4/preview/fast",
        {"prompt": "a bee on a flower", "output_format": "jpeg"},
        invalid={"prompt": "a bee", "output_format": "gif"},
    ),
    ModelCase(
        "fal/fal-ai/imagen4/preview/ultra",
        {"prompt": "a bee on a flower", "aspect_ratio": "3:4"},
        invalid={"prompt": "a bee", "resolution": "4K"},
    ),
    ModelCase(
        "fal/fal-ai/nano-banana",
        {"prompt": "a bee on a flower", "aspect_ratio": "4:3"},
        invalid={"prompt": "a bee", "aspect_ratio": "7:1"},
    ),
    ModelCase(
        "fal/fal-ai/nano-banana/edit",
        {"prompt": "make the bee blue", "image_urls": [IMAGE_URL], "output_format": "webp"},
        invalid={"prompt": "hi", "image_urls": [IMAGE_URL]},
    ),
    ModelCase(
        "fal/fal-ai/hunyuan-image/v3/text-to-image",
        {"prompt": "a bee", "image_size": "portrait_4_3"},
        invalid={"prompt": "a bee", "num_inference_steps": 51},
    ),
    # -- video -----------------------------------------------------------------------------
    ModelCase(
        "fal/fal-ai/bytedance/seedance/v1/pro/fast/text-to-video",
        {"prompt": "a bee", "duration": "3", "resolution": "480p"},
        invalid={"prompt": "a bee", "duration": "13"},
    ),
    ModelCase(
        "fal/fal-ai/bytedance/seedance/v1/pro/fast/image-to-video",
        {"prompt": "the bee flies", "image_url": IMAGE_URL, "duration": "2"},
        invalid={"prompt": "the bee flies", "duration": "2"},
    ),
    ModelCase(
        "fal/fal-ai/bytedance/seedance/v1/lite/text-to-video",
        {"prompt": "a bee", "duration": "2", "aspect_ratio": "1:1"},
        invalid={"prompt": "a bee", "resolution": "4k"},
    ),
    ModelCase(
        "fal/fal-ai/bytedance/seedance/v1/lite/image-to-video",
        {"prompt": "the bee flies", "image_url": IMAGE_URL, "duration": "3"},
        invalid={"prompt": "the bee flies", "image_url": IMAGE_URL, "aspect_ratio": "9:21"},
    ),
    ModelCase(
        "fal/fal-ai/veo3/fast",
        {"prompt": "a bee", "duration": "4s", "generate_audio": False},
        invalid={"prompt": "a bee", "duration": "10s"},
    ),
    ModelCase(
        "fal/fal-ai/veo3/fast/image-to-video",
        {"prompt": "the bee flies", "image_url": IMAGE_URL, "duration": "4s"},
        invalid={"prompt": "the bee flies", "image_url": IMAGE_URL, "aspect_ratio": "1:1"},
    ),
    # -- music -----------------------------------------------------------------------------
    ModelCase(
        "fal/fal-ai/stable-audio-25/text-to-audio",
        {"prompt": "calm piano", "seconds_total": 3},
        invalid={"prompt": "calm piano", "seconds_total": 191},
    ),
)


HAS_AV = importlib.util.find_spec("av") is not None


class TestFalConformance(ProviderConformance):
    """Every rule of the suite on every FAL card, against the fake FAL."""

    plugin_name = "fal"
    plugin_module = "tutopanda_provider_fal.plugin"
    mode = "live"
    cases = CASES
    uses_server = "fal"
    server_fixtures: ClassVar[Mapping[str, str]] = {"fal": "fake_fal"}
    submit_route = "submit"
    poll_route = "status"
    cancel_route = "cancel"
    fault_cases = queue_faults(submit="submit", poll="status", file="file")
    supports_cancel = True
    # The official SDK is a dev dependency of this package (the fake is checked against it);
    # the plugin itself must never import it, nor the other providers' SDKs.
    vendor_modules = ("fal_client", "openai", "replicate")
    provider_options: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "fal": {"poll_interval": 0.005, "poll_max": 0.02}
    }

    @override_standard_test(
        "PyAV is optional for this plugin: audio/video facts are skipped without it"
    )
    @pytest.mark.asyncio
    async def test_media_facts_are_read_from_the_file(
        self, suite: SuiteContext, case: ModelCase
    ) -> None:
        """As the suite's rule; audio and video facts need PyAV, which this package only uses
        when it is installed (it is not a dependency: FAL reports what it made)."""
        kind = suite.registry().card(case.parse()).kind.value
        if kind in {"audio", "video", "music"} and not HAS_AV:
            pytest.skip("PyAV is not installed: audio/video facts are not read from the file")
        await super().test_media_facts_are_read_from_the_file(suite, case)


def test_every_card_of_the_plugin_has_a_case() -> None:
    """A card added to the plugin without a conformance case fails here."""
    assert sorted(c.descriptor for c in CASES) == sorted(f"fal/{card.model}" for card in CARDS)
    assert all(c.invalid is not None for c in CASES)
