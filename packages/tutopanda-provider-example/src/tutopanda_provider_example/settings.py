"""The options the Acme handler reads from ``provider_options["acme"]`` (settings or code)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tutopanda_providers import ConfigurationError

#: Where the real (made-up) API lives.
DEFAULT_BASE_URL = "https://api.acme.example"
#: The environment variable that overrides it when no ``base_url`` option is given.
BASE_URL_VARIABLE = "ACME_BASE_URL"


class AcmeSettings(BaseModel):
    """Options of the Acme handler.

    Attributes:
        base_url: the API's root URL, without ``/v1``.
        poll_interval: seconds between the first polls of a job; doubles up to ``poll_max``.
        poll_max: the longest wait between two polls, in seconds.
        request_timeout: seconds one HTTP request may take when the job has no deadline.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    base_url: str = DEFAULT_BASE_URL
    poll_interval: float = Field(default=0.5, gt=0)
    poll_max: float = Field(default=5.0, gt=0)
    request_timeout: float = Field(default=60.0, gt=0)

    @classmethod
    def from_options(
        cls, options: Mapping[str, Any], environ: Mapping[str, str] | None = None
    ) -> AcmeSettings:
        """Settings from ``provider_options["acme"]`` (unknown keys are ignored); without a
        ``base_url`` option, ``$ACME_BASE_URL`` (from ``environ``, ``os.environ`` by default).

        Raises:
            ConfigurationError: an option has a value of the wrong type or range.
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
                f"provider_options for acme are invalid ({problems}); "
                "fix them in your settings file",
                provider="acme",
            ) from exc
