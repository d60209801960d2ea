"""Small parts of the kit: fault plans, the request log, schema data, model schemas, media."""

from __future__ import annotations

import io
import wave
from typing import Any

import pytest
from PIL import Image
from pydantic import BaseModel
from tutopanda_providers.contracts import PromptSet, Script
from tutopanda_providers_testing import Fault, FaultPlan, RecordedRequest
from tutopanda_providers_testing.fake_replicate import parse_duration
from tutopanda_providers_testing.media import image_size, make_image, make_wav, mp3, mp4
from tutopanda_providers_testing.model_schemas import replicate_models
from tutopanda_providers_testing.schema_data import generate_from_schema


def test_fault_rules_skip_then_fire_the_scripted_number_of_times() -> None:
    plan = FaultPlan()
    rule = plan.add("create", Fault.status(503), after=1, times=2)
    seen = [plan.take("create") for _ in range(4)]
    assert [f is not None for f in seen] == [False, True, True, False]
    assert rule.fired == 2 and rule.exhausted


def test_wildcard_rule_fires_on_every_route_until_cleared() -> None:
    plan = FaultPlan()
    plan.add("*", Fault.reset_before(), times=None)
    assert plan.take("get") is not None and plan.take("file") is not None
    plan.clear()
    assert plan.take("get") is None


def test_recorded_request_hides_headers_and_body_from_its_repr() -> None:
    request = RecordedRequest(
        "POST", "/v1/x", {}, {"authorization": "Bearer r8_hidden-value"}, b'{"a": 1}', "create"
    )
    assert "hidden" not in repr(request)
    assert request.bearer_token == "r8_hidden-value"
    assert request.header("Authorization") == "Bearer r8_hidden-value"
    assert request.json == {"a": 1}


@pytest.mark.parametrize("model", [Script, PromptSet])
def test_schema_data_fits_the_shared_output_schemas(model: type[BaseModel]) -> None:
    data = generate_from_schema(model.model_json_schema(), "the water cycle")
    model.model_validate(data)


def test_schema_data_honours_enums_bounds_refs_and_nullables() -> None:
    schema: dict[str, Any] = {
        "$defs": {
            "Shot": {"type": "object", "properties": {"n": {"type": "integer", "minimum": 3}}}
        },
        "type": "object",
        "properties": {
            "mood": {"enum": ["calm", "tense"]},
            "shots": {"type": "array", "items": {"$ref": "#/$defs/Shot"}, "minItems": 3},
            "note": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 5}]},
            "ratio": {"type": "number", "maximum": 0.25},
            "flag": {"type": ["boolean", "null"]},
        },
    }
    data = generate_from_schema(schema, "x")
    assert data["mood"] in ("calm", "tense")
    assert len(data["shots"]) == 3 and all(s["n"] >= 3 for s in data["shots"])
    assert isinstance(data["note"], str) and len(data["note"]) <= 5
    assert data["ratio"] <= 0.25
    assert isinstance(data["flag"], bool)


def test_model_schemas_name_every_bad_field() -> None:
    veo = replicate_models()["google/veo-3-fast"]
    problems = veo.validate({"duration": 5, "resolution": "4k", "generate_audio": "yes"})
    assert {p.field for p in problems} == {"prompt", "duration", "resolution", "generate_audio"}
    assert veo.validate({"prompt": "x", "duration": 8, "unknown_field": 1}) == []


def test_every_seed_replicate_model_is_known() -> None:
    assert len(replicate_models()) == 12


@pytest.mark.parametrize(("text", "seconds"), [("1m", 60), ("30s", 30), ("500ms", 0.5), ("90", 90)])
def test_cancel_after_durations_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_media_are_real_files_of_their_type() -> None:
    width, height = image_size("16:9")
    image = Image.open(io.BytesIO(make_image("webp", width, height, "seed")))
    assert (image.format, image.width > image.height) == ("WEBP", True)
    with wave.open(io.BytesIO(make_wav(0.5, 8000))) as wav:
        assert wav.getnframes() == 4000
    assert mp3()[:3] == b"ID3"
    assert mp4()[4:8] == b"ftyp" and mp4(with_audio=False) != mp4()
