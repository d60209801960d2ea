"""``python -m tutopanda_providers_testing.serve`` runs the fakes on their own."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest

httpx = pytest.importorskip("httpx")


def test_serve_both_prints_urls_and_env_and_answers() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tutopanda_providers_testing.serve", "both", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        text = "".join(lines)
        exports = dict(re.findall(r"export (\w+)=(\S+)", text))
        assert set(exports) >= {
            "REPLICATE_BASE_URL",
            "REPLICATE_API_TOKEN",
            "OPENAI_BASE_URL",
            "OPENAI_API_KEY",
        }
        answer = httpx.post(
            f"{exports['OPENAI_BASE_URL']}/responses",
            json={"model": "gpt-5", "input": "hi"},
            headers={"Authorization": f"Bearer {exports['OPENAI_API_KEY']}"},
        )
        assert answer.status_code == 200
        created = httpx.post(
            f"{exports['REPLICATE_BASE_URL']}/v1/models/google/imagen-4/predictions",
            json={"input": {"prompt": "x"}},
            headers={"Authorization": f"Bearer {exports['REPLICATE_API_TOKEN']}"},
        )
        assert created.status_code == 201
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "1 requests" in out
