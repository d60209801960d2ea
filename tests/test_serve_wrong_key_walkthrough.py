"""docs/cli.md's ``doctor --live`` walk-through, on the stand-alone fakes as a person runs it.

``python -m tutopanda_providers_testing.serve both`` prints the keys it accepts; with the
OpenAI key as printed and a wrong Replicate token, ``doctor --live`` reports the token
``set, rejected`` with Replicate's own 401 sentence and exits 4.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest

pytest.importorskip("tutopanda_provider_openai")
pytest.importorskip("tutopanda_provider_replicate")


def test_doctor_live_on_the_served_fakes_rejects_a_wrong_token(tmp_path: object) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "tutopanda_providers_testing.serve", "both", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert server.stdout is not None
        text = ""
        for line in server.stdout:
            text += line
            if "Ctrl-C" in line:
                break
        exports = dict(re.findall(r"export (\w+)=(\S+)", text))
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("OPENAI_API_KEY", "REPLICATE_API_TOKEN", "TUTOPANDA_SETTINGS")
        }
        env.update(exports)
        env.update(REPLICATE_API_TOKEN="r8_not-the-right-one", COLUMNS="80")
        done = subprocess.run(
            [sys.executable, "-m", "tutopanda_providers.cli", "doctor", "--live"],
            capture_output=True,
            text=True,
            env=env,
            cwd=str(tmp_path),
            timeout=120,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=10)
    out = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 4, out[-3000:]
    assert re.search(r"REPLICATE_API_TOKEN set, rejected", out), out[-3000:]
    assert re.search(r"OPENAI_API_KEY set, accepted", out), out[-3000:]
    assert "You did not pass a valid authentication token" in out
