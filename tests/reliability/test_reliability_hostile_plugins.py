"""Hostile and broken plugins, installed for real (a ``*.dist-info`` with entry points on the
path of a fresh interpreter): one raises on import, one in its registration hook, one in its
handler factory, one in invoke, one claims a model another plugin owns, two hang in warm start.
Each is isolated and reported; the mock plugin keeps working; warm start returns within its
budget."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import cli_command

COMMON = """
from tutopanda_providers import (
    Artefact,
    Implementation,
    ModelCard,
    OutputSpec,
    Price,
    PriceRate,
    ProducerKind,
    ProducerResult,
    ProviderMetadata,
    ResultMeta,
    hookimpl,
)
from tutopanda_providers.contracts import InputModel


class Inputs(InputModel):
    prompt: str


def card(provider, model, kind="image"):
    return ModelCard(
        provider=provider, model=model, kind=ProducerKind(kind), input_model=Inputs,
        output=OutputSpec(type="text", mime="text/plain"),
        price=Price(rates=(PriceRate(name="call", unit="call", usd=0.0),), source="test"),
    )


class Answer:
    def __init__(self, context):
        self.context = context

    async def invoke(self, request):
        return ProducerResult(
            artefacts=[Artefact(name="out", kind=request.job.kind, mime="text/plain", text="fine")],
            provider=ProviderMetadata(provider=request.descriptor.provider, model=request.descriptor.model),
            meta=ResultMeta(mocked=True),
        )
"""

MODULES = {
    "hostile_import": "raise RuntimeError('hostile plugin exploded at import')\n",
    "hostile_register": COMMON
    + """
@hookimpl
def tutopanda_register_providers(register):
    register(Implementation.for_card(card("hostile", "half-registered"), Answer, mode="mock"))
    raise RuntimeError("hostile plugin exploded while registering")
""",
    "hostile_factory": COMMON
    + """
def factory(context):
    raise RuntimeError("hostile factory exploded")

@hookimpl
def tutopanda_register_providers(register):
    register(Implementation.for_card(card("hostile", "factory"), factory, mode="mock"))
""",
    "hostile_invoke": COMMON
    + """
class Exploding(Answer):
    async def invoke(self, request):
        raise KeyError("hostile invoke exploded")

@hookimpl
def tutopanda_register_providers(register):
    register(Implementation.for_card(card("hostile", "invoke"), Exploding, mode="mock"))
""",
    "hostile_conflict": COMMON
    + """
class Hijack(Answer):
    async def invoke(self, request):
        raise RuntimeError("hijacked mock/image")

@hookimpl
def tutopanda_register_providers(register):
    register(Implementation.for_card(card("mock", "image"), Hijack, mode="mock"))
""",
    "hostile_hang": COMMON
    + """
import asyncio

class Hangs(Answer):
    async def warm_start(self, context):
        await asyncio.sleep(3600)

class Stubborn(Answer):
    async def warm_start(self, context):
        while True:  # swallows every cancellation
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                continue

@hookimpl
def tutopanda_register_providers(register):
    register(Implementation.for_card(card("hostile", "hang"), Hangs, mode="mock"))
    register(Implementation.for_card(card("hostile", "stubborn"), Stubborn, mode="mock"))
""",
}

#: entry-point name -> module. "zz-" names sort after "mock"; "aa-" sorts before it.
ENTRY_POINTS = {
    "hostile-import": "hostile_import",
    "hostile-register": "hostile_register",
    "hostile-factory": "hostile_factory",
    "hostile-invoke": "hostile_invoke",
    "zz-conflict": "hostile_conflict",
    "hostile-hang": "hostile_hang",
}

PROBE = r"""
import asyncio, json, os, sys
from tutopanda_providers import create_provider_registry
from tutopanda_providers.contracts import Descriptor
from tutopanda_providers.contracts import ProviderError
from tutopanda_providers.storage import BlobStore

registry = create_provider_registry(mode="mock", storage=BlobStore("blobs"))
out = {"plugins": {p.name: p.to_dict() for p in registry.plugins}, "warnings": registry.warnings}

async def main():
    for ref, inputs in [
        ("mock/image", {"prompt": "a bee"}),
        ("hostile/factory", {"prompt": "x"}),
        ("hostile/invoke", {"prompt": "x"}),
        ("hostile/half-registered", {"prompt": "x"}),
    ]:
        try:
            result = await registry.invoke(Descriptor.parse(ref), inputs)
            out[ref] = {"ok": True, "mime": result.artefacts[0].mime}
        except ProviderError as exc:
            out[ref] = {"ok": False, "kind": exc.kind.value, "message": exc.message}
    reports = await registry.warm_start(
        [Descriptor.parse(r) for r in ("mock/image", "hostile/hang", "hostile/stubborn")],
        timeout=float(sys.argv[1]),
    )
    out["warm"] = {str(r.descriptor): {"status": r.status, "error": r.error} for r in reports}
    # warm_start has returned; a warm start that swallows cancellation would still block
    # asyncio.run's clean-up, so leave at once.
    print(json.dumps(out, default=str), flush=True)
    os._exit(0)

asyncio.run(main())
"""


@pytest.fixture
def hostile_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    for name, code in MODULES.items():
        (site / f"{name}.py").write_text(code)
    info = site / "hostile_plugins-6.6.6.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hostile-plugins\nVersion: 6.6.6\n")
    lines = "".join(f"{name} = {module}\n" for name, module in ENTRY_POINTS.items())
    (info / "entry_points.txt").write_text(f"[tutopanda.providers]\n{lines}")
    return site


def _env(site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOPANDA_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _probe(site: Path, tmp_path: Path, budget: float) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(budget)],
        cwd=tmp_path,
        env=_env(site),
        capture_output=True,
        text=True,
        timeout=120,  # a warm start that ignores its budget would hang here
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_broken_plugins_are_isolated_and_reported(hostile_site: Path, tmp_path: Path) -> None:
    out = _probe(hostile_site, tmp_path, budget=1.0)
    plugins = out["plugins"]
    assert plugins["mock"]["status"] == "loaded"
    assert plugins["hostile-import"]["status"] == "failed"
    assert "exploded at import" in plugins["hostile-import"]["error"]
    assert plugins["hostile-register"]["status"] == "failed"
    assert "exploded while registering" in plugins["hostile-register"]["error"]
    # What a failing hook registered before it raised is dropped, not half-served.
    assert out["hostile/half-registered"]["ok"] is False
    assert out["hostile/half-registered"]["kind"] == "not_found"

    # The mock plugin keeps working.
    assert out["mock/image"] == {"ok": True, "mime": "image/png"} or out["mock/image"]["ok"]

    # A factory or an invoke that raises becomes a ProviderError naming the model.
    assert out["hostile/factory"]["ok"] is False
    assert "hostile/factory" in out["hostile/factory"]["message"]
    assert "exploded" in out["hostile/factory"]["message"]
    assert out["hostile/invoke"] == {
        "ok": False,
        "kind": "provider_failed",
        "message": out["hostile/invoke"]["message"],
    }
    assert "hostile/invoke" in out["hostile/invoke"]["message"]
    assert "KeyError" in out["hostile/invoke"]["message"]


def test_a_conflicting_model_is_reported_and_does_not_take_over(
    hostile_site: Path, tmp_path: Path
) -> None:
    out = _probe(hostile_site, tmp_path, budget=1.0)
    conflicts = [w for w in out["warnings"] if "mock/image" in w]
    assert conflicts, out["warnings"]
    assert any("zz-conflict" in w and "'mock'" in w for w in conflicts), conflicts
    assert out["mock/image"]["ok"], out["mock/image"]


def test_a_plugin_named_first_cannot_hijack_another_providers_model(
    hostile_site: Path, tmp_path: Path
) -> None:
    """A plugin whose name sorts before the provider's own still loses the tie: the provider's
    plugin serves its models (and gets its secrets)."""
    info = next(hostile_site.glob("*.dist-info"))
    text = (info / "entry_points.txt").read_text().replace("zz-conflict", "aa-conflict")
    (info / "entry_points.txt").write_text(text)
    out = _probe(hostile_site, tmp_path, budget=1.0)
    assert any("aa-conflict" in w for w in out["warnings"]), out["warnings"]
    assert out["mock/image"]["ok"], out["mock/image"]


def test_hanging_warm_starts_are_cut_at_the_budget(hostile_site: Path, tmp_path: Path) -> None:
    out = _probe(hostile_site, tmp_path, budget=1.0)
    warm = out["warm"]
    assert warm["mock/image"]["status"] in {"ready", "skipped"}
    for ref in ("hostile/hang", "hostile/stubborn"):
        assert warm[ref]["status"] == "failed", warm[ref]
        assert "budget" in warm[ref]["error"], warm[ref]


def test_the_command_lists_broken_plugins_and_still_runs_mock_jobs(
    hostile_site: Path, tmp_path: Path
) -> None:
    env = _env(hostile_site)
    listing = subprocess.run(
        cli_command("plugins", "--json"),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    doc = json.loads(listing.stdout)
    text = json.dumps(doc)
    assert "hostile plugin exploded at import" in text
    assert "hostile plugin exploded while registering" in text
    invoke = subprocess.run(
        cli_command("invoke", "mock/audio", "--input", "text=Still working.", "--json"),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert invoke.returncode == 0, invoke.stderr[-2000:]
