"""Images: the requested size and format, showing the prompt, the model and the job."""

from __future__ import annotations

import io

from tutopanda_providers.contracts import Artefact

from tutopanda_provider_mock.job import MockJob
from tutopanda_provider_mock.render import label_card

#: Pillow format name and save options per MIME type (all deterministic).
FORMATS: dict[str, tuple[str, dict[str, object]]] = {
    "image/png": ("PNG", {"compress_level": 1}),
    "image/jpeg": ("JPEG", {"quality": 90}),
    "image/webp": ("WEBP", {"quality": 85, "method": 3}),
}


def produce(job: MockJob) -> list[Artefact]:
    """One image per requested output (``num_outputs``, ``max_images``)."""
    from PIL import Image

    media = job.media
    width, height = media.width or 1024, media.height or 1024
    mime = media.mime if media.mime in FORMATS else "image/png"
    pil_format, options = FORMATS[mime]
    artefacts = []
    for index in job.watch(range(media.count)):
        lines = [
            f"model  {job.ref}",
            f"job    {job.job_id}",
            f"{width}x{height} ({media.aspect_ratio})  {pil_format.lower()}  "
            f"image {index + 1} of {media.count}",
        ]
        if media.negative_prompt:
            lines.append(f"avoid  {media.negative_prompt}")
        pixels = label_card(
            width,
            height,
            seed=job.seed(index),
            title="MOCK IMAGE",
            prompt=media.prompt,
            lines=lines,
        )
        buffer = io.BytesIO()
        Image.fromarray(pixels, "RGB").save(buffer, format=pil_format, **options)
        artefacts.append(job.store(buffer.getvalue(), mime, index))
    return artefacts
