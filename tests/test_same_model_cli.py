"""The same model on two providers, through the command: `models` and `models show` side by
side, `estimate` naming the cheaper provider, and a run that fails over saying why (issue 17).

Two in-test plugins, ``alpha`` and ``beta``, are installed as distributions on ``sys.path``
for the test (entry points), each serving ``maker/pic-1``; beta is the cheaper.
"""

from __future__ import annotations

import importlib
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tutopanda_providers.cli import app
from typer.testing import CliRunner

MODULE = """
import json
import os

from tutopanda_providers import (
    Artefact, Implementation, ModelCard, OutputSpec, Price, PriceRate, ProducerKind,
    ProducerResult, ProviderMetadata, ResultMeta, hookimpl,
)
from tutopanda_providers.contracts import InputModel, ProviderFailedError

class Inputs(InputModel):
    prompt: str

class Handler:
    def __init__(self, context):
        self.context = context
        self.provider = context.descriptor.provider
        self.model = context.descriptor.model
        self.environment = context.descriptor.environment
        self.mode = context.mode

    async def invoke(self, request):
        calls = os.environ["SAME_MODEL_CALLS"]
        with open(calls, "a") as out:
            out.write(f"{{self.provider}}/{{self.model}} {{request.job.id}}\\n")
        if self.provider in os.environ.get("SAME_MODEL_FAIL", "").split(","):
            raise ProviderFailedError(
                f"{{self.provider}} is down", provider=self.provider, model=self.model
            )
        body = json.dumps(dict(request.inputs)).encode()
        blob = request.storage.write_bytes(body, mime="application/octet-stream", suffix=".bin")
        cost = self.context.card.estimate_cost(request.inputs)
        return ProducerResult(
            artefacts=[Artefact(kind=ProducerKind.IMAGE, mime=blob.mime, blob=blob)],
            provider=ProviderMetadata(
                provider=self.provider, model=self.model,
                cost=cost.model_copy(update={{"status": "known"}}),
            ),
            meta=ResultMeta(mocked=self.mode == "mock"),
        )

@hookimpl
def tutopanda_register_providers(register):
    card = ModelCard(
        provider={provider!r}, model={model!r}, kind=ProducerKind.IMAGE, input_model=Inputs,
        output=OutputSpec(type="image", mime="image/png"),
        price=Price(rates=(PriceRate(name="image", unit="image", usd={usd}),), source="test"),
        canonical_model="maker/pic-1",
    )
    for mode in ("live", "mock"):
        register(Implementation.for_card(card, Handler, mode=mode))
"""

SETTINGS = """
[producers.PictureProducer]
kind = "image"
model = "maker/pic-1"
providers = ["alpha", "beta"]
"""

PLAN = """
[jobs.cover]
producer = "PictureProducer"
inputs.prompt = "a lighthouse"

[jobs.back]
producer = "PictureProducer"
inputs.prompt = "the lighthouse at night"
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """alpha and beta installed, nothing else enabled; returns the work folder."""
    for name in ("TUTOPANDA_DISABLE_PLUGINS", "TUTOPANDA_SETTINGS", "SAME_MODEL_FAIL"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "site"
    root.mkdir()
    tag = uuid.uuid4().hex[:8]
    modules = []
    for provider, model, usd in (("alpha", "pic-1", 0.04), ("beta", "maker/pic-1/v2", 0.03)):
        module = f"{provider}_{tag}"
        modules.append(module)
        (root / f"{module}.py").write_text(MODULE.format(provider=provider, model=model, usd=usd))
        info = root / f"tutopanda_provider_{provider}_{tag}-1.0.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: tutopanda-provider-{provider}-{tag}\nVersion: 1.0.0\n"
        )
        (info / "entry_points.txt").write_text(f"[tutopanda.providers]\n{provider} = {module}\n")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("TUTOPANDA_PLUGINS", "alpha,beta")
    monkeypatch.setenv("SAME_MODEL_CALLS", str(tmp_path / "calls.txt"))
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "settings.toml").write_text(SETTINGS)
    (tmp_path / "plan.toml").write_text(PLAN)
    importlib.invalidate_caches()
    yield tmp_path
    for module in modules:
        sys.modules.pop(module, None)


def _fits_80(output: str) -> None:
    too_long = [line for line in output.splitlines() if len(line) > 80]
    assert not too_long, too_long


def test_models_says_on_which_other_providers_a_model_is(site: Path) -> None:
    result = CliRunner().invoke(app, ["models", "--json"])
    assert result.exit_code == 0, result.output
    rows = {f"{r['provider']}/{r['model']}": r for r in json.loads(result.stdout)["models"]}
    assert rows["alpha/pic-1"]["also_on"] == ["beta"]
    assert rows["beta/maker/pic-1/v2"]["also_on"] == ["alpha"]
    assert rows["alpha/pic-1"]["canonical_model"] == "maker/pic-1"
    shown = CliRunner().invoke(app, ["models"])
    assert "also on beta" in shown.stdout and "also on alpha" in shown.stdout
    _fits_80(shown.stdout)


def test_models_show_puts_every_provider_of_a_model_side_by_side(site: Path) -> None:
    result = CliRunner().invoke(app, ["models", "show", "maker/pic-1", "--json"])
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    assert view["model"] == "maker/pic-1" and view["providers"] == ["alpha", "beta"]
    assert [c["rates"][0]["usd"] for c in view["cards"]] == [0.04, 0.03]
    text = CliRunner().invoke(app, ["models", "show", "maker/pic-1"]).stdout
    assert "maker/pic-1 on 2 provider(s)" in text
    assert "alpha" in text and "beta" in text and "$0.04" in text and "$0.03" in text
    _fits_80(text)
    # A card's own ref: its details, then its model side by side.
    card = json.loads(CliRunner().invoke(app, ["models", "show", "alpha/pic-1", "--json"]).stdout)
    assert card["provider"] == "alpha" and card["same_model"]["providers"] == ["alpha", "beta"]


def test_estimate_names_the_cheaper_provider(site: Path) -> None:
    args = ["estimate", "plan.toml", "--settings", "settings.toml"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    cover = next(j for j in data["jobs"] if j["job"] == "cover")
    assert cover["model"] == "alpha/pic-1"
    assert cover["cheapest"] == "beta/maker/pic-1/v2"
    assert [p["estimate"]["amount_usd"] for p in cover["providers"]] == [0.04, 0.03]
    assert data["total"]["known_usd"] == pytest.approx(0.08)
    assert data["total_on_cheapest"]["known_usd"] == pytest.approx(0.06)
    text = CliRunner().invoke(app, args).stdout
    assert "total on the cheapest providers: $0.0600" in text
    _fits_80(text)


def test_a_run_fails_over_to_the_other_provider_once_per_job_and_says_why(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAME_MODEL_FAIL", "alpha")
    args = ["run", "plan.toml", "--settings", "settings.toml", "--movie", "movie", "--live"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    outcomes = {o["job"]: o for o in json.loads(result.stdout)["jobs"]}
    assert outcomes["cover"]["model"] == "beta/maker/pic-1/v2"
    assert outcomes["cover"]["failover"] == (
        "served by beta/maker/pic-1/v2 after alpha/pic-1 failed: provider_failed: alpha is down"
    )
    calls = (site / "calls.txt").read_text().splitlines()
    assert sorted(calls) == sorted(
        [
            "alpha/pic-1 cover",
            "alpha/pic-1 back",
            "beta/maker/pic-1/v2 cover",
            "beta/maker/pic-1/v2 back",
        ]
    )
    page = (site / "movie" / "index.html").read_text()
    assert "served by beta/maker/pic-1/v2 after alpha/pic-1 failed" in page
    status = CliRunner().invoke(app, ["status", "movie", "--settings", "settings.toml"])
    flat = " ".join(status.stdout.split())
    assert "kept same model and inputs; failed over after alpha/pic-1 (provider_failed)" in flat
    _fits_80(status.stdout)


def test_the_run_summary_says_which_provider_served_each_job(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAME_MODEL_FAIL", "alpha")
    args = ["run", "plan.toml", "--settings", "settings.toml", "--movie", "movie", "--live"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "failover: cover: served by beta/maker/pic-1/v2 after alpha/pic-1" in " ".join(
        result.stdout.split()
    )
