"""The hook specifications a tutopanda provider plugin implements.

A plugin is a module (or object) registered under the entry-point group ``tutopanda.providers``
whose functions carry the :data:`hookimpl` marker. Every hook receives a ``register`` callback:
the plugin describes what it offers and the registry decides what to do with it. Hooks are
called once, when :func:`~tutopanda_providers.create_provider_registry` builds a registry, in
the order of plugin names; a hook that raises is reported against its plugin (whose
registrations are dropped and whose later hooks are not called) and the others go on.

A plugin declares ``TUTOPANDA_HOOK_CONTRACT = 1``: an ``int`` literal, the major version of this
contract it was written for (never core's :data:`HOOK_CONTRACT_VERSION` imported, which would
always match). A plugin that declares another major version, or a value that is not an ``int``,
is refused at load time with a message naming both numbers, as is a plugin implementing a
``tutopanda_*`` hook that is not specified here; one that declares nothing loads as a plugin of
the current contract. ``docs/hooks.md`` documents
every hook; a test keeps it in step with this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from tutopanda_providers.pipeline.context import Middleware
    from tutopanda_providers.plugins.implementation import Implementation
    from tutopanda_providers.secrets import SecretResolver

#: The pluggy project name.
PROJECT_NAME = "tutopanda_providers"
#: The entry-point group plugins are found under.
ENTRY_POINT_GROUP = "tutopanda.providers"
#: Major version of the hook contract; bumped when a hook's signature changes incompatibly.
HOOK_CONTRACT_VERSION = 1

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Decorate a plugin's hook functions with this.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def tutopanda_register_providers(register: Callable[[Implementation], None]) -> None:
    """Advertise the (provider, model, environment, mode) implementations a plugin serves.

    Called once per registry build, before the other hooks. Each call to ``register`` adds one
    :class:`~tutopanda_providers.registry.Implementation`: its ``match`` (provider, model and
    environment, each exact or an ``fnmatch`` pattern such as ``*``), its ``mode`` (``live`` or
    ``mock``), a lazy ``factory`` that builds the handler (import the vendor SDK inside it, not
    at module level), and, for a concrete model, its :class:`~tutopanda_providers.cards.ModelCard`.
    Which implementation serves a descriptor is decided by specificity, not by the order of
    registration (see :mod:`tutopanda_providers.registry`).

    Args:
        register: callback taking one ``Implementation``.

    Returns:
        Nothing; results are delivered through ``register``.
    """


@hookspec
def tutopanda_register_middleware(register: Callable[[Middleware], None]) -> None:
    """Contribute invoke middleware that wraps every handler's ``invoke``.

    Called once per registry build, after the built-in middleware is assembled. Middleware
    from plugins runs inside the built-in chain, just around the handler (see
    :mod:`tutopanda_providers.pipeline` for the order), sorted by ``order`` then name.

    Args:
        register: callback taking one object that follows the
            :class:`~tutopanda_providers.pipeline.Middleware` protocol.

    Returns:
        Nothing; results are delivered through ``register``.
    """


@hookspec
def tutopanda_register_secret_resolvers(register: Callable[[SecretResolver], None]) -> None:
    """Contribute secret resolvers (a vault, a keychain) to the registry's chain.

    Called once per registry build. The chain asks the caller's resolver first, then the
    plugins' resolvers in plugin-name order, then the environment.

    Args:
        register: callback taking one :class:`~tutopanda_providers.secrets.SecretResolver`.

    Returns:
        Nothing; results are delivered through ``register``.
    """


#: Every hook name, for the documentation test and ``tutopanda-providers plugins``.
HOOK_NAMES = (
    "tutopanda_register_providers",
    "tutopanda_register_middleware",
    "tutopanda_register_secret_resolvers",
)
