"""Regenerate the fake FAL server's endpoint table from the research file ``fal-models.json``.

    uv run python packages/tutopanda-providers-testing/scripts/make_fal_endpoints.py \
        /path/to/fal-models.json

Writes ``src/tutopanda_providers_testing/data/fal_endpoints.json``: per queue endpoint its kind,
where the result JSON holds the output (``result_key``), the output MIME type, the extra result
fields it sends (``seed``, ``description``, ``duration_ms``) and its input fields (name, type,
required, default, enum, min, max; ``a.b`` names a nested field). The kit reads only that
table: it never imports the FAL plugin.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

OUT = (
    Path(__file__).resolve().parents[1]
    / "src"
    / "tutopanda_providers_testing"
    / "data"
    / "fal_endpoints.json"
)
#: Not queue endpoints: the OpenAI-compatible route is called on the sync host.
SKIPPED = {"openrouter/router/openai/v1/chat/completions"}
_KEYS = ("images", "video", "audio", "output")
_EXTRAS = ("seed", "description", "duration_ms", "timestamps", "usage")


def _result_key(output_type: str) -> str:
    for key in _KEYS:
        if re.search(rf"\b{key}\s*:", output_type):
            return key
    raise ValueError(f"no result key in {output_type!r}")


def _field(raw: dict[str, Any]) -> dict[str, Any]:
    found = {"name": raw["name"], "type": raw["type"]}
    if raw.get("required"):
        found["required"] = True
    for key in ("default", "enum", "min", "max"):
        if raw.get(key) is not None:
            found[key] = raw[key]
    return found


def table(models: list[dict[str, Any]]) -> dict[str, Any]:
    """The compact table of every queue endpoint in ``models``."""
    endpoints: dict[str, Any] = {}
    for model in models:
        if model.get("provider") != "fal" or model["model"] in SKIPPED:
            continue
        output_type = str(model["output"]["type"])
        key = _result_key(output_type)
        rest = output_type.split("}", 1)[-1] if key == "images" else output_type
        endpoints[model["model"]] = {
            "kind": model["kind"],
            "result_key": key,
            "mime": model["output"].get("mime"),
            "extras": [e for e in _EXTRAS if re.search(rf"\b{e}\??\s*:", rest) and e != key],
            "fields": [_field(f) for f in model["inputs"]],
        }
    return {"generated_from": "fal-models.json", "endpoints": endpoints}


if __name__ == "__main__":
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "fal-models.json")
    OUT.write_text(json.dumps(table(json.loads(source.read_text())), indent=1) + "\n")
    print(f"wrote {OUT}")
