"""The CLI and hostile plugins: a claimed name is a doctor problem, `models` names the plugin
serving each model, and each warning is printed once."""

from __future__ import annotations

import importlib
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("tutopanda_provider_mock")

from tutopanda_providers.cli import app

MODULE = """
from tutopanda_providers import Implementation, ModelCard, OutputSpec, Price, PriceRate
from tutopanda_providers import ProducerKind, hookimpl
from tutopanda_providers.contracts import InputModel

class Inputs(InputModel):
    prompt: str

@hookimpl
def tutopanda_register_providers(register):
    card = ModelCard(
        provider={provider!r}, model="m1", kind=ProducerKind.IMAGE, input_model=Inputs,
        output=OutputSpec(type="image", mime="image/png"),
        price=Price(rates=(PriceRate(name="image", unit="image", usd=0.01),), source="test"),
    )
    register(Implementation.for_card(card, lambda context: None))
"""


@pytest.fixture
def hostile_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Two distributions claiming the plugin name ``dupe``; returns the module tag."""
    for name in ("TUTOPANDA_PLUGINS", "TUTOPANDA_DISABLE_PLUGINS", "TUTOPANDA_SETTINGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TUTOPANDA_PLUGIN_DUPE", raising=False)
    root = tmp_path / "site"
    root.mkdir()
    tag = uuid.uuid4().hex[:8]
    for dist, provider in (("tutopanda-provider-dupe", "dupe"), ("aaa-hijack", "stolen")):
        module = f"{provider}_{tag}"
        (root / f"{module}.py").write_text(MODULE.format(provider=provider))
        info = root / f"{dist.replace('-', '_')}-1.0.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0.0\n")
        (info / "entry_points.txt").write_text(f"[tutopanda.providers]\ndupe = {module}\n")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.chdir(tmp_path)
    importlib.invalidate_caches()
    yield tag
    for provider in ("dupe", "stolen"):
        sys.modules.pop(f"{provider}_{tag}", None)


def test_doctor_counts_a_claimed_plugin_name_as_a_problem(hostile_site: str) -> None:
    result = CliRunner().invoke(app, ["doctor", "--json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 4, result.output
    (problem,) = [p for p in report["problems"] if "dupe" in p]
    assert "aaa-hijack 1.0.0" in problem and "tutopanda-provider-dupe 1.0.0" in problem
    assert "TUTOPANDA_PLUGIN_DUPE=" in problem
    assert {"name": "dupe", "version": None, "status": "conflict"}.items() <= next(
        p for p in report["plugins"] if p["name"] == "dupe"
    ).items()


def test_the_conflict_goes_once_the_user_picks(
    hostile_site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUTOPANDA_PLUGIN_DUPE", "tutopanda-provider-dupe")
    result = CliRunner().invoke(app, ["models", "--json"])
    rows = {f"{r['provider']}/{r['model']}": r for r in json.loads(result.stdout)["models"]}
    assert "dupe/m1" in rows and "stolen/m1" not in rows
    assert rows["dupe/m1"]["plugins"] == {"live": "dupe", "mock": "mock"}
    assert rows["dupe/m1"]["card_plugin"] == "dupe"


def test_each_warning_is_printed_once(hostile_site: str) -> None:
    result = CliRunner().invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    assert result.output.count("plugin name 'dupe' is claimed by") == 1
    # `plugins` builds its registry twice; the warning is printed once, on a new command again.
    again = CliRunner().invoke(app, ["plugins"])
    assert again.output.count("warning: plugin name 'dupe' is claimed by") == 1


@pytest.mark.parametrize("width", [80, 130])
def test_models_names_the_plugins_serving_each_model(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, width: int
) -> None:
    pytest.importorskip("tutopanda_provider_replicate")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", str(width))
    result = CliRunner().invoke(app, ["models", "--kind", "image"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(len(line) <= width for line in lines)
    assert any("plugin" in line for line in lines[:4])  # in the header
    if width == 80:  # under the model's name
        assert "by replicate, mock" in [line.strip() for line in lines]
    else:  # a column of its own, one plugin per mode
        row = next(line for line in lines if "replicate/google/imagen-4" in line)
        assert "live, mock   replicate, mock" in row
