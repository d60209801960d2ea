"""The options the FAL handler reads from ``provider_options["fal"]`` (settings or code)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from tutopanda_providers import ConfigurationError

from tutopanda_provider_fal.names import PROVIDER

#: FAL's queue host (``reference/fal-api.md`` section A).
DEFAULT_BASE_URL = "https://queue.fal.run"
#: The environment variable that overrides it when no ``base_url`` option is given (the fake
#: FAL of ``python -m tutopanda_providers_testing.serve fal`` prints it).
BASE_URL_VARIABLE = "FAL_QUEUE_URL"


class FalSettings(BaseModel):
    """Options of the FAL handler.

    Attributes:
        base_url: the queue API's origin (``https://queue.fal.run``); the endpoint id follows.
        poll_interval: seconds before the first status poll; then times ``poll_factor``.
        poll_factor: how much the pause grows after each poll (1 keeps it constant).
        poll_max: the longest pause between two polls, in seconds.
        request_timeout: seconds one HTTP call may take when the job has no deadline.
        cancel_timeout: seconds the best-effort cancel may take on the way out.
        download_timeout: seconds allowed to connect and between two reads of an output file.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    base_url: str = DEFAULT_BASE_URL
    poll_interval: float = Field(default=0.5, gt=0)
    poll_factor: float = Field(default=1.5, ge=1)
    poll_max: float = Field(default=5.0, gt=0)
    request_timeout: float = Field(default=60.0, gt=0)
    cancel_timeout: float = Field(default=5.0, gt=0)
    download_timeout: float = Field(default=120.0, gt=0)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (or http:// for a local fake)")
        return value

    @classmethod
    def from_options(
        cls, options: Mapping[str, Any], environ: Mapping[str, str] | None = None
    ) -> FalSettings:
        """Settings from ``provider_options["fal"]`` (unknown keys are ignored); without a
        ``base_url`` option, ``$FAL_QUEUE_URL`` (from ``environ``, ``os.environ`` by default).

        Raises:
            ConfigurationError: an option has a value of the wrong type or range; the message
                names the option.
        """
        values = dict(options)
        from_env = (os.environ if environ is None else environ).get(BASE_URL_VARIABLE)
        if "base_url" not in values and from_env:
            values["base_url"] = from_env
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigurationError(
                f"provider_options for fal are invalid ({problems}); fix them in your "
                "settings file (or $FAL_QUEUE_URL for base_url)",
                provider=PROVIDER,
            ) from exc


__all__ = ["BASE_URL_VARIABLE", "DEFAULT_BASE_URL", "FalSettings"]
