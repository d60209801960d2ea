"""The error class tree every handler and every middleware raises.

One base class, :class:`ProviderError`, carries an :class:`ErrorKind` and says whether the job
may be retried. Subclasses exist so callers can ``except RateLimitedError`` and so a handler can
raise the right kind by name. Messages are scrubbed of known secrets before they are stored (see
:mod:`tutopanda_providers.secrets`), so ``str(error)`` is always safe to log.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class ErrorKind(StrEnum):
    """What went wrong, independent of the provider that reported it."""

    RATE_LIMITED = "rate_limited"
    TRANSIENT = "transient"
    TIMEOUT = "timeout"
    AUTH = "auth"
    INVALID_INPUT = "invalid_input"
    CONTENT_POLICY = "content_policy"
    NOT_FOUND = "not_found"
    QUOTA = "quota"
    PROVIDER_FAILED = "provider_failed"
    CANCELED = "canceled"
    CONFIGURATION = "configuration"
    BUDGET_EXCEEDED = "budget_exceeded"
    STORAGE = "storage"


#: Kinds that a retry may fix. Everything else fails the attempt at once.
RETRYABLE_KINDS = frozenset({ErrorKind.RATE_LIMITED, ErrorKind.TRANSIENT, ErrorKind.TIMEOUT})


class ProviderError(Exception):
    """Base of every error raised by the registry, the pipeline and handlers.

    Args:
        message: what was wrong and what to do about it; must never contain a secret.
        kind: the error's :class:`ErrorKind`; defaults to the subclass's kind.
        retryable: overrides the default taken from the kind.
        retry_after: seconds the provider asked us to wait before trying again, if it said.
        provider: the provider name, when known.
        model: the model name, when known.
        details: small JSON-able facts for logs (field names, status codes, ids).
        request_sent: ``True`` when the request may have reached the provider, so a paid job
            may exist; the retry middleware never re-sends a create in that case unless the
            handler confirms no job exists.
    """

    default_kind: ClassVar[ErrorKind] = ErrorKind.PROVIDER_FAILED

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        provider: str | None = None,
        model: str | None = None,
        details: dict[str, Any] | None = None,
        request_sent: bool = False,
    ) -> None:
        from tutopanda_providers.contracts.redaction import scrub

        self.message = scrub(message)
        super().__init__(self.message)
        self.kind = kind or self.default_kind
        self.retryable = self.kind in RETRYABLE_KINDS if retryable is None else retryable
        self.retry_after = retry_after
        self.provider = provider
        self.model = model
        self.details = dict(details or {})
        self.request_sent = request_sent

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind.value!r}, message={self.message!r})"

    def to_dict(self) -> dict[str, Any]:
        """The error as a JSON-able dict for events and the runner's log."""
        return {
            "type": type(self).__name__,
            "kind": self.kind.value,
            "message": self.message,
            "retryable": self.retryable,
            "retry_after": self.retry_after,
            "provider": self.provider,
            "model": self.model,
            "details": self.details,
        }


class RateLimitedError(ProviderError):
    """The provider throttled us; ``retry_after`` says how long to wait when known."""

    default_kind = ErrorKind.RATE_LIMITED


class TransientError(ProviderError):
    """A failure that may pass on its own: 5xx, a reset connection, malformed JSON."""

    default_kind = ErrorKind.TRANSIENT


class ProviderTimeoutError(ProviderError):
    """The job's deadline passed, or one request took too long."""

    default_kind = ErrorKind.TIMEOUT


class AuthError(ProviderError):
    """The secret is missing, wrong or lacks permission."""

    default_kind = ErrorKind.AUTH


class InvalidInputError(ProviderError):
    """The inputs do not fit the model's schema; ``details['errors']`` lists every bad field."""

    default_kind = ErrorKind.INVALID_INPUT


class ContentPolicyError(ProviderError):
    """The provider refused the content."""

    default_kind = ErrorKind.CONTENT_POLICY


class NotFoundError(ProviderError):
    """The provider, model or remote job does not exist."""

    default_kind = ErrorKind.NOT_FOUND


class QuotaError(ProviderError):
    """The account is out of credit or over its quota; not retried."""

    default_kind = ErrorKind.QUOTA


class ProviderFailedError(ProviderError):
    """The provider ran the job and it failed (a failed prediction, an incomplete response)."""

    default_kind = ErrorKind.PROVIDER_FAILED


class CanceledError(ProviderError):
    """The job was canceled by the caller, by its deadline or by the provider."""

    default_kind = ErrorKind.CANCELED


class ConfigurationError(ProviderError):
    """The registry, a plugin or a settings file is wrong; nothing was sent anywhere."""

    default_kind = ErrorKind.CONFIGURATION


class UnknownModelError(ConfigurationError):
    """No plugin serves the requested (provider, model, environment, mode)."""

    default_kind = ErrorKind.NOT_FOUND


class BudgetExceededError(ProviderError):
    """Starting this call would push the run past its maximum cost."""

    default_kind = ErrorKind.BUDGET_EXCEEDED


__all__ = [
    "RETRYABLE_KINDS",
    "AuthError",
    "BudgetExceededError",
    "CanceledError",
    "ConfigurationError",
    "ContentPolicyError",
    "ErrorKind",
    "InvalidInputError",
    "NotFoundError",
    "ProviderError",
    "ProviderFailedError",
    "ProviderTimeoutError",
    "QuotaError",
    "RateLimitedError",
    "TransientError",
    "UnknownModelError",
]
