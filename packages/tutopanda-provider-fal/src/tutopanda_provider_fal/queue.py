"""Where FAL's queue API lives for one endpoint: the submit URL and a request's status, result
and cancel URLs (``reference/fal-api.md`` section B).

The submit path is the whole endpoint id (``/fal-ai/veo3/fast/image-to-video``); a request's
other URLs use the app only (``/fal-ai/veo3/requests/{id}/status``): owner/app, or three
segments in the ``workflows/`` and ``comfy/`` namespaces. The URLs a submit answer returns are
preferred when they are on the queue's own origin (the key is never sent elsewhere).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

#: Namespaces whose app id keeps a third segment.
NAMESPACES = ("workflows", "comfy")


def app_id(endpoint: str) -> str:
    """The app a request of ``endpoint`` lives under: ``fal-ai/veo3/fast`` → ``fal-ai/veo3``,
    ``workflows/me/flow/run`` → ``workflows/me/flow``."""
    parts = [p for p in endpoint.strip("/").split("/") if p]
    keep = 3 if parts and parts[0] in NAMESPACES else 2
    return "/".join(parts[:keep])


def submit_url(base_url: str, endpoint: str) -> str:
    """The submit URL: ``{base_url}/{endpoint}`` (POST, the model input as the body)."""
    return f"{base_url.rstrip('/')}/{endpoint.strip('/')}"


@dataclass(frozen=True)
class RequestUrls:
    """The URLs of one queued request."""

    request_id: str
    status: str
    result: str
    cancel: str

    @classmethod
    def build(
        cls,
        base_url: str,
        endpoint: str,
        request_id: str,
        answer: Mapping[str, Any] | None = None,
    ) -> RequestUrls:
        """The request's URLs on ``base_url``, or those of the submit ``answer``
        (``status_url``, ``response_url``, ``cancel_url``) when they share its origin."""
        root = f"{base_url.rstrip('/')}/{app_id(endpoint)}/requests/{request_id}"
        built = cls(request_id, f"{root}/status", root, f"{root}/cancel")
        if not answer:
            return built
        return cls(
            request_id,
            _same_origin(base_url, answer.get("status_url"), built.status),
            _same_origin(base_url, answer.get("response_url"), built.result),
            _same_origin(base_url, answer.get("cancel_url"), built.cancel),
        )


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _same_origin(base_url: str, offered: Any, fallback: str) -> str:
    if isinstance(offered, str) and offered and _origin(offered) == _origin(base_url):
        return offered
    return fallback


__all__ = ["NAMESPACES", "RequestUrls", "app_id", "submit_url"]
