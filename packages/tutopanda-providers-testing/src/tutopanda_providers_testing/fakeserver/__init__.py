"""A toolkit for fake HTTP provider APIs: what the Replicate and OpenAI fakes are built on, and
what a plugin for any other provider builds its own fake with.

- :class:`FakeServer`: a real HTTP/1.1 server on 127.0.0.1 in a background thread. Declare
  routes of any method with :meth:`FakeServer.add_route` (``/v1/jobs/{id}``); it checks the
  key with a pluggable :class:`AuthScheme`, applies scripted faults (``server.faults``, see
  :mod:`tutopanda_providers_testing.faults`), latency and a rate limit, and records every
  request (``server.log``).
- :class:`HeaderAuth` / :data:`NO_AUTH`: ``Authorization: Bearer|Token|Key <key>``, a header of
  your choice holding the bare key, or none.
- :class:`JobQueue`: submitted → running → succeeded / failed / canceled, with the timing you
  set.
- :class:`FileHost` (``server.files``): output files served by URL, with Range support,
  expiry and the download faults.
- :class:`Reply`: what a route answers.

``docs/testing.md`` walks through a complete fake; ``packages/tutopanda-provider-example`` has
one (``tests/conftest.py``).
"""

from __future__ import annotations

from tutopanda_providers_testing.fakeserver.auth import (
    BEARER,
    BEARER_OR_TOKEN,
    KEY,
    NO_AUTH,
    AuthScheme,
    HeaderAuth,
    NoAuth,
    authorised,
)
from tutopanda_providers_testing.fakeserver.files import FileHost, HostedFile
from tutopanda_providers_testing.fakeserver.jobs import Job, JobQueue, JobStatus
from tutopanda_providers_testing.fakeserver.reply import Reply
from tutopanda_providers_testing.fakeserver.server import (
    FakeServer,
    Route,
    RouteHandler,
    TokenBucket,
    compile_path,
)
from tutopanda_providers_testing.faults import Fault, FaultKind, FaultPlan, FaultRule
from tutopanda_providers_testing.requestlog import RecordedRequest, RequestLog

__all__ = [
    "BEARER",
    "BEARER_OR_TOKEN",
    "KEY",
    "NO_AUTH",
    "AuthScheme",
    "FakeServer",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "FaultRule",
    "FileHost",
    "HeaderAuth",
    "HostedFile",
    "Job",
    "JobQueue",
    "JobStatus",
    "NoAuth",
    "RecordedRequest",
    "Reply",
    "RequestLog",
    "Route",
    "RouteHandler",
    "TokenBucket",
    "authorised",
    "compile_path",
]
