"""The invoke pipeline: middleware composed around a handler's ``invoke``.

A :class:`Middleware` is an object with a ``name``, an ``order`` and an async
``__call__(context, call_next)``. The registry sorts the chain by ``order`` (outermost first)
and wraps every resolved handler in it. The built-in chain, outermost first (the reasons are in
``docs/pipeline.md``):

=====  ============  ==========================================================================
order  name          does
=====  ============  ==========================================================================
0      lifecycle     ``provider.invoke.start|end|error``; latency; unexpected errors made safe
10     deadline      one deadline per job, around retries and fallbacks together
20     fallback      on a failure that allows it, the next configured (provider, model)
30     validate      adapt producer-level inputs and validate them against the model's card
40     cache         opt-in: serve a stored result for the same validated request
50     budget        refuse a call whose estimate would push the run past its budget
60     retry         retry retryable failures (tenacity), one attempt budget per job
70     ratelimit     wait for the bucket's window and in-flight slots, per attempt
100+   (plugins)     plugin middleware, just around the handler
=====  ============  ==========================================================================

Each middleware that acts on a result appends its name to ``result.meta.middleware`` so a
caller can see what happened (validated, retried, cached, fell back, waited, budgeted).
"""

from __future__ import annotations

from tutopanda_providers.pipeline.budget import Budget, BudgetMiddleware
from tutopanda_providers.pipeline.cache import CacheOptions
from tutopanda_providers.pipeline.context import (
    ORDER_BUDGET,
    ORDER_CACHE,
    ORDER_DEADLINE,
    ORDER_FALLBACK,
    ORDER_LIFECYCLE,
    ORDER_PLUGIN,
    ORDER_RATELIMIT,
    ORDER_RETRY,
    ORDER_VALIDATE,
    InvokeContext,
    Middleware,
    Next,
    compose,
)
from tutopanda_providers.pipeline.lifecycle import LifecycleMiddleware
from tutopanda_providers.pipeline.options import (
    PipelineOptions,
    bind_middleware,
    default_middleware,
)
from tutopanda_providers.pipeline.ratelimit import RateLimit
from tutopanda_providers.pipeline.retry import RetryPolicy
from tutopanda_providers.pipeline.validate import ValidationMiddleware

__all__ = [
    "ORDER_BUDGET",
    "ORDER_CACHE",
    "ORDER_DEADLINE",
    "ORDER_FALLBACK",
    "ORDER_LIFECYCLE",
    "ORDER_PLUGIN",
    "ORDER_RATELIMIT",
    "ORDER_RETRY",
    "ORDER_VALIDATE",
    "Budget",
    "BudgetMiddleware",
    "CacheOptions",
    "InvokeContext",
    "LifecycleMiddleware",
    "Middleware",
    "Next",
    "PipelineOptions",
    "RateLimit",
    "RetryPolicy",
    "ValidationMiddleware",
    "bind_middleware",
    "compose",
    "default_middleware",
]
