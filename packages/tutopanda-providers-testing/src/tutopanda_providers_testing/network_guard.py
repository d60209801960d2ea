"""A guard that makes any connection beyond 127.0.0.1 fail, loudly.

Inside :class:`NetworkGuard`, ``socket.socket.connect``/``connect_ex``,
``socket.create_connection`` and ``socket.getaddrinfo`` refuse every address that is not
loopback (or a Unix socket) by raising :class:`NetworkAccessBlocked`, and the guard records the
attempt in :attr:`NetworkGuard.violations`. An SDK may swallow the exception into its own
connection error and a handler may turn that into a retryable failure; the record is what lets
the pytest plugin fail the test anyway.

The global switch: set ``TUTOPANDA_ALLOW_NETWORK=1`` (or :data:`ALLOW_NETWORK` to ``True``) to
turn the guard off, for a person deliberately running live smoke tests with a real key.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
from types import TracebackType
from typing import Any, ClassVar, Self

#: Global switch, like pydantic-ai's ``ALLOW_MODEL_REQUESTS``; also ``TUTOPANDA_ALLOW_NETWORK=1``.
ALLOW_NETWORK = False

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", ""})


def network_allowed() -> bool:
    """Whether the global switch lets real network calls through."""
    return ALLOW_NETWORK or os.environ.get("TUTOPANDA_ALLOW_NETWORK", "").lower() in {
        "1",
        "true",
        "yes",
    }


class NetworkAccessBlocked(RuntimeError):
    """A test tried to reach a host that is not loopback."""


def is_loopback(host: Any) -> bool:
    """Whether ``host`` (a name, an IP string or bytes) is this machine's loopback."""
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class NetworkGuard:
    """Patch the socket module so only loopback connections work; record every refusal.

    Re-entrant across threads (the patch is process-wide, as sockets are); nest guards freely.
    """

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _depth: ClassVar[int] = 0
    _saved: ClassVar[dict[str, Any] | None] = None
    _active: ClassVar[list[NetworkGuard]] = []

    def __init__(self) -> None:
        self.violations: list[str] = []

    # -- patching ------------------------------------------------------------------------------
    def __enter__(self) -> Self:
        cls = type(self)
        with cls._lock:
            cls._active.append(self)
            if cls._depth == 0:
                cls._saved = {
                    "connect": socket.socket.connect,
                    "connect_ex": socket.socket.connect_ex,
                    "create_connection": socket.create_connection,
                    "getaddrinfo": socket.getaddrinfo,
                }
                _install(cls._saved)
            cls._depth += 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        cls = type(self)
        with cls._lock:
            cls._active.remove(self)
            cls._depth -= 1
            if cls._depth == 0 and cls._saved is not None:
                saved = cls._saved
                socket.socket.connect = saved["connect"]  # type: ignore[method-assign]
                socket.socket.connect_ex = saved["connect_ex"]  # type: ignore[method-assign]
                socket.create_connection = saved["create_connection"]
                socket.getaddrinfo = saved["getaddrinfo"]
                cls._saved = None

    @classmethod
    def _refuse(cls, what: str) -> NetworkAccessBlocked:
        message = (
            f"network access blocked in tests: {what}. Tests may only reach 127.0.0.1 (use the "
            "fake servers of tutopanda_providers_testing); set TUTOPANDA_ALLOW_NETWORK=1 to allow."
        )
        with cls._lock:
            # The innermost guard owns the refusal (a pytester run nests one inside the
            # outer test's guard).
            if cls._active:
                cls._active[-1].violations.append(message)
        return NetworkAccessBlocked(message)


def _address_host(address: Any) -> Any:
    if isinstance(address, tuple) and address:
        return address[0]
    return None


def _install(saved: dict[str, Any]) -> None:
    real_connect = saved["connect"]
    real_connect_ex = saved["connect_ex"]
    real_create = saved["create_connection"]
    real_getaddrinfo = saved["getaddrinfo"]

    def allowed(sock: socket.socket, address: Any) -> bool:
        return sock.family not in (socket.AF_INET, socket.AF_INET6) or is_loopback(
            _address_host(address)
        )

    def connect(self: socket.socket, address: Any) -> None:
        if not allowed(self, address):
            raise NetworkGuard._refuse(f"connect to {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not allowed(self, address):
            raise NetworkGuard._refuse(f"connect_ex to {address!r}")
        return int(real_connect_ex(self, address))

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if not is_loopback(_address_host(address)):
            raise NetworkGuard._refuse(f"create_connection to {address!r}")
        return real_create(address, *args, **kwargs)  # type: ignore[no-any-return]

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not is_loopback(host):
            raise NetworkGuard._refuse(f"name lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.create_connection = create_connection
    socket.getaddrinfo = getaddrinfo
