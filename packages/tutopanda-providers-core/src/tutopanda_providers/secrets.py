"""Secrets: a masked type, pluggable resolvers, and a scrubber for anything we emit.

A :class:`Secret` never shows its value in ``str``/``repr``/pickles of events; the only way to
read it is :meth:`Secret.reveal`, called where the value is handed to a vendor SDK. Every secret
that is resolved is remembered (in this process) so :func:`scrub` can blank it out of messages,
events and log lines, whatever path it took to get there.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from tutopanda_providers.contracts import AuthError

from tutopanda_providers.contracts.redaction import MASK, has_known_secrets, remember_secret, scrub

log = logging.getLogger(__name__)


class Secret:
    """A secret value that masks itself everywhere but :meth:`reveal`.

    Args:
        name: the name it was resolved under, e.g. ``REPLICATE_API_TOKEN`` (safe to show).
        value: the secret itself.
    """

    __slots__ = ("_value", "name")

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self._value = value
        remember_secret(value)

    def reveal(self) -> str:
        """The real value; call only where it is handed to the provider's client."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.name!r}, '{MASK}')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Secret, self.name))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


@runtime_checkable
class SecretResolver(Protocol):
    """Finds a secret by name. Return ``None`` when this resolver does not have it."""

    def resolve(self, name: str) -> Secret | None:
        """Return the secret called ``name``, or ``None`` to let the next resolver try."""
        ...


class EnvSecretResolver:
    """Reads secrets from environment variables, then from an optional ``.env`` file.

    Args:
        environ: the mapping to read (``os.environ`` by default).
        dotenv: a ``.env`` file to read when the variable is not set; missing files are fine.
    """

    def __init__(
        self, environ: Mapping[str, str] | None = None, dotenv: str | Path | None = None
    ) -> None:
        self._environ = environ if environ is not None else os.environ
        self._dotenv = Path(dotenv) if dotenv is not None else None
        self._dotenv_values: dict[str, str] | None = None

    def resolve(self, name: str) -> Secret | None:
        """Return ``name`` from the environment or the ``.env`` file, or ``None``."""
        value = self._environ.get(name)
        if not value and self._dotenv is not None:
            value = self._read_dotenv().get(name)
        return Secret(name, value) if value else None

    def _read_dotenv(self) -> dict[str, str]:
        if self._dotenv_values is None:
            self._dotenv_values = parse_dotenv(self._dotenv) if self._dotenv else {}
        return self._dotenv_values

    def __repr__(self) -> str:
        return f"EnvSecretResolver(dotenv={str(self._dotenv) if self._dotenv else None!r})"


class MappingSecretResolver:
    """Serves secrets from a mapping; handy for tests and for secrets fetched by the caller."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)
        for value in self._values.values():
            remember_secret(value)

    def resolve(self, name: str) -> Secret | None:
        """Return ``name`` from the mapping, or ``None``."""
        value = self._values.get(name)
        return Secret(name, value) if value else None

    def __repr__(self) -> str:
        return f"MappingSecretResolver(names={sorted(self._values)!r})"


class ChainSecretResolver:
    """Asks each resolver in turn; the first that has the secret wins."""

    def __init__(self, resolvers: Iterable[SecretResolver]) -> None:
        self.resolvers = list(resolvers)

    def resolve(self, name: str) -> Secret | None:
        """Return the first resolver's answer that is not ``None``."""
        for resolver in self.resolvers:
            secret = resolver.resolve(name)
            if secret is not None:
                return secret
        return None

    def __repr__(self) -> str:
        return f"ChainSecretResolver({self.resolvers!r})"


class CachingSecretResolver:
    """Asks the resolver it wraps once per name and remembers the answer (found or not).

    For resolvers that are slow or rate-limited themselves (a vault, a keychain prompt): a
    provider client fetches its key once when it is created, and a second client of the same
    provider gets the remembered value.
    """

    def __init__(self, resolver: SecretResolver) -> None:
        self.resolver = resolver
        self._cache: dict[str, Secret | None] = {}
        self._lock = threading.Lock()

    def resolve(self, name: str) -> Secret | None:
        """The wrapped resolver's answer for ``name``, fetched at most once."""
        with self._lock:
            if name in self._cache:
                return self._cache[name]
        secret = self.resolver.resolve(name)
        with self._lock:
            return self._cache.setdefault(name, secret)

    def forget(self, name: str | None = None) -> None:
        """Drop one remembered answer (or all), e.g. after a key is rotated."""
        with self._lock:
            if name is None:
                self._cache.clear()
            else:
                self._cache.pop(name, None)

    def __repr__(self) -> str:
        return f"CachingSecretResolver({self.resolver!r})"


class ScopedSecretResolver:
    """Serves only the secrets named in ``names``; any other name resolves to ``None``.

    The registry hands one to each handler factory (``HandlerContext.secrets``), scoped to the
    ``secret_names`` of the model's card, so a plugin cannot read another provider's key by
    asking for its name.
    """

    def __init__(self, resolver: SecretResolver, names: Iterable[str]) -> None:
        self.resolver = resolver
        self.names = frozenset(names)

    def resolve(self, name: str) -> Secret | None:
        """The wrapped resolver's answer for a name in scope; ``None`` for any other name."""
        if name not in self.names:
            log.debug("a handler asked for secret %s, which its card does not name", name)
            return None
        return self.resolver.resolve(name)

    def __repr__(self) -> str:
        return f"ScopedSecretResolver(names={sorted(self.names)!r})"


def require_secret(
    resolver: SecretResolver, name: str, *, provider: str | None = None, check: bool = True
) -> Secret:
    """The secret called ``name``, or an :class:`~tutopanda_providers.errors.AuthError` that
    says which variable to set (never a value). Call it in a handler factory or warm start, so a
    missing key fails before the first job.

    Args:
        check: also refuse a value that cannot be an API key (see :func:`check_secret_value`),
            so a pasted newline fails here rather than in every job.

    Raises:
        AuthError: the secret is missing or malformed; ``details["secret"]`` is ``name``.
    """
    secret = resolver.resolve(name)
    if secret is None:
        raise _missing(name, provider)
    if check:
        check_secret_value(name, secret, provider=provider)
    return secret


def secret_value_problem(value: str) -> str | None:
    """What makes ``value`` unusable as an API key or token in an HTTP header, or ``None``.

    API keys are printable ASCII without spaces. A value with a line break, a space, a control
    character or a non-ASCII character (a smart quote, a no-break space from a copy) cannot be
    sent in an ``Authorization`` header: the HTTP client fails before any byte leaves the
    machine. The answer names the kind of character and its position, never the value.
    """
    if not value.strip():
        return "is empty"
    for index, char in enumerate(value, start=1):
        if char in "\r\n":
            return f"holds a line break at character {index}"
        if char.isspace():
            return f"holds a space or tab at character {index}"
        if ord(char) < 0x20 or ord(char) == 0x7F:
            return f"holds a control character at character {index}"
        if ord(char) > 0x7E:
            return f"holds a non-ASCII character (U+{ord(char):04X}) at character {index}"
    return None


def check_secret_value(name: str, secret: Secret | str, *, provider: str | None = None) -> None:
    """Refuse a secret whose value cannot work as an API key (see :func:`secret_value_problem`).

    Raises:
        AuthError: naming the variable and what is wrong with it (never the value), with
            ``details["secret"] = name``.
    """
    from tutopanda_providers.contracts import AuthError

    value = secret.reveal() if isinstance(secret, Secret) else secret
    problem = secret_value_problem(value)
    if problem is None:
        return
    who = f" ({provider})" if provider else ""
    raise AuthError(
        f"{name}{who} {problem}, so it cannot be a valid key and nothing was sent. Set "
        f"{name} again to the key exactly as issued (printable ASCII, no spaces or line "
        "breaks; a copied key often carries a trailing newline or a smart quote).",
        provider=provider,
        retryable=False,
        details={"secret": name, "problem": problem},
    )


def _missing(name: str, provider: str | None) -> AuthError:
    from tutopanda_providers.contracts import AuthError

    who = f"{provider} needs" if provider else "missing secret:"
    return AuthError(
        f"{who} {name}: set the environment variable {name} (or put it in .env), "
        "or register a secret resolver that provides it.",
        provider=provider,
        details={"secret": name},
    )


class SecretScrubFilter(logging.Filter):
    """A logging filter that blanks known secrets out of a record's message and traceback.

    Attach it to a handler (``handler.addFilter(SecretScrubFilter())``) to cover log lines that
    code outside this package writes, such as an SDK's debug logging of request URLs. It rewrites
    the record itself, so handlers that see the record after this one get the scrubbed text too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        if not has_known_secrets():
            return True
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg = clean
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


def parse_dotenv(path: Path) -> dict[str, str]:
    """Parse ``KEY=value`` lines of a ``.env`` file (comments, ``export`` and quotes allowed)."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM (Windows Notepad) is fine
    except FileNotFoundError:
        return values
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
        remember_secret(value)
    return values


__all__ = [
    "CachingSecretResolver",
    "ChainSecretResolver",
    "EnvSecretResolver",
    "MappingSecretResolver",
    "Secret",
    "SecretResolver",
    "SecretScrubFilter",
    "ScopedSecretResolver",
    "check_secret_value",
    "parse_dotenv",
    "require_secret",
    "secret_value_problem",
]
