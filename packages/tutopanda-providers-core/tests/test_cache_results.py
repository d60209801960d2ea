"""The result cache: opt-in, keyed by model, inputs and handler version, checked against storage."""

from __future__ import annotations

from tutopanda_providers import Artefact, Descriptor
from tutopanda_providers.pipeline import PipelineOptions
from tutopanda_providers.pipeline.cache import CacheOptions

A = Descriptor.parse("fake/image-a")


def cached(tmp_path) -> PipelineOptions:
    return PipelineOptions(cache=CacheOptions(enabled=True, directory=tmp_path / "cache"))


async def test_a_repeated_request_is_served_from_the_cache(kit, tmp_path):
    model = kit.model("fake/image-a")
    registry = kit.build([model], cached(tmp_path))

    first = await registry.invoke(A, {"prompt": "a cat"})
    second = await registry.invoke(A, {"prompt": "a cat"})

    assert len(model[1].calls) == 1
    assert first.meta.cached is False
    assert second.meta.cached is True
    assert second.meta.middleware == ["cache", "validate"]
    assert second.artefacts == first.artefacts
    assert second.provider.cost.amount_usd == 0
    assert second.provider.cost.source == "cache"
    assert second.provider.cost.estimated_live == first.provider.cost
    assert len(kit.events("provider.cache.hit")) == 1
    assert kit.events("provider.invoke.end")[-1]["cached"] is True


async def test_the_cache_is_off_unless_enabled(kit):
    model = kit.model("fake/image-a")
    registry = kit.build([model])

    await registry.invoke(A, {"prompt": "a cat"})
    await registry.invoke(A, {"prompt": "a cat"})

    assert len(model[1].calls) == 2


async def test_other_inputs_or_defaults_spelled_out_are_keyed_by_validated_inputs(kit, tmp_path):
    model = kit.model("fake/image-a")
    registry = kit.build([model], cached(tmp_path))

    await registry.invoke(A, {"prompt": "a cat"})
    hit = await registry.invoke(A, {"prompt": "a cat", "steps": 4})  # the default, spelled out
    miss = await registry.invoke(A, {"prompt": "a dog"})

    assert hit.meta.cached is True
    assert miss.meta.cached is False
    assert len(model[1].calls) == 2


async def test_a_new_handler_version_misses(kit, tmp_path):
    v1 = kit.model("fake/image-a", version="1")
    await kit.build([v1], cached(tmp_path)).invoke(A, {"prompt": "a cat"})
    v2 = (v1[0], v1[1], "2")
    result = await kit.build([v2], cached(tmp_path)).invoke(A, {"prompt": "a cat"})

    assert result.meta.cached is False
    assert len(v1[1].calls) == 2


async def test_entries_live_on_disk_across_registries(kit, tmp_path):
    model = kit.model("fake/image-a")
    await kit.build([model], cached(tmp_path)).invoke(A, {"prompt": "a cat"})

    result = await kit.build([model], cached(tmp_path)).invoke(A, {"prompt": "a cat"})

    assert result.meta.cached is True
    assert len(model[1].calls) == 1
    assert list((tmp_path / "cache").rglob("*.json"))


async def test_a_hit_whose_blob_is_gone_is_a_miss(kit, tmp_path):
    model = kit.model("fake/image-a")
    registry = kit.build([model], cached(tmp_path))
    storage = registry.storage

    first = await registry.invoke(A, {"prompt": "a cat"})
    # give the stored result a blob, then delete the blob from storage
    ref = storage.write_bytes(b"png bytes", mime="image/png", suffix=".png")
    cache_mw = next(m for m in registry.middleware if m.name == "cache")
    [entry] = list((tmp_path / "cache").rglob("*.json"))
    first.artefacts = [Artefact(kind=first.artefacts[0].kind, mime="image/png", blob=ref)]
    key = entry.stem
    cache_mw.cache.put(key, first)
    assert (await registry.invoke(A, {"prompt": "a cat"})).meta.cached is True

    storage.local_path(ref).unlink()
    again = await registry.invoke(A, {"prompt": "a cat"})

    assert again.meta.cached is False
    assert len(model[1].calls) == 2


async def test_a_damaged_entry_is_a_miss_not_an_error(kit, tmp_path):
    model = kit.model("fake/image-a")
    await kit.build([model], cached(tmp_path)).invoke(A, {"prompt": "a cat"})
    [entry] = list((tmp_path / "cache").rglob("*.json"))
    entry.write_text("{not json")

    result = await kit.build([model], cached(tmp_path)).invoke(A, {"prompt": "a cat"})

    assert result.meta.cached is False
    assert len(model[1].calls) == 2
