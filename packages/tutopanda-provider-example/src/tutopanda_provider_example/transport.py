"""What Acme's error answers mean, on top of core's shared HTTP helpers.

Network errors (:func:`tutopanda_providers.http_helpers.error_for_transport`) and output
downloads (:class:`tutopanda_providers.http_helpers.OutputDownloader`) come from core as
they are; only the status mapping needs Acme's own rules for two answers core cannot know:
a ``content_policy`` error code, and a 400 meaning a bad input.
"""

from __future__ import annotations

from collections.abc import Mapping

from tutopanda_providers import ContentPolicyError, InvalidInputError, ProviderError, http_helpers

from tutopanda_provider_example.names import PROVIDER, SECRET_NAME


def error_for_status(
    status: int,
    message: str,
    *,
    action: str = "answer the request",
    headers: Mapping[str, str] | None = None,
    code: str | None = None,
    model: str | None = None,
) -> ProviderError:
    """The error an HTTP error answer of Acme's API means.

    ``code == "content_policy"`` is a ``content_policy`` refusal whatever the status, and a
    400 is ``invalid_input`` (Acme answers 400 for a bad field); every other status is
    mapped by core's :func:`~tutopanda_providers.http_helpers.error_for_status` (401/403
    ``auth`` naming ``ACME_API_KEY``, 402 ``quota``, 404/410 ``not_found``, 422
    ``invalid_input``, 429 ``rate_limited`` with the wait asked for, 408 ``timeout``, 5xx
    ``transient``).

    ``message`` is the API's own text; the error scrubs anything secret-looking from it.
    """
    if code == "content_policy":
        return ContentPolicyError(
            f"acme answered {status}: {message}", provider=PROVIDER, model=model
        )
    if status == 400:
        return InvalidInputError(
            f"acme answered {status}: {message}", provider=PROVIDER, model=model
        )
    return http_helpers.error_for_status(
        status,
        provider=PROVIDER,
        model=model,
        action=action,
        detail=message,
        headers=headers,
        secret_names=(SECRET_NAME,),
    )


__all__ = ["error_for_status"]
