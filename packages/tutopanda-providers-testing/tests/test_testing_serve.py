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


def _serve(*args: str) -> tuple[subprocess.Popen[str], str, dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tutopanda_providers_testing.serve", *args, "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "Ctrl-C" in line:
            break
    text = "".join(lines)
    return proc, text, dict(re.findall(r"export (\w+)=(\S+)", text))


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=10)


def test_serve_refuses_a_key_other_than_the_one_it_prints_with_the_real_401() -> None:
    proc, text, exports = _serve("both")
    try:
        assert "accepts only the key above" in text
        wrong = httpx.post(
            f"{exports['REPLICATE_BASE_URL']}/v1/models/google/imagen-4/predictions",
            json={"input": {"prompt": "x"}},
            headers={"Authorization": "Bearer r8_wrong"},
        )
        assert wrong.status_code == 401
        assert "You did not pass a valid authentication token" in wrong.json()["detail"]
        wrong = httpx.post(
            f"{exports['OPENAI_BASE_URL']}/responses",
            json={"model": "gpt-5", "input": "hi"},
            headers={"Authorization": "Bearer sk-wrong"},
        )
        assert wrong.status_code == 401
        assert wrong.json()["error"]["code"] == "invalid_api_key"
    finally:
        _stop(proc)


def test_serve_keys_can_be_chosen_or_any_key_accepted() -> None:
    proc, _, exports = _serve("replicate", "--replicate-key", "r8_mine")
    try:
        assert exports["REPLICATE_API_TOKEN"] == "r8_mine"
        url = f"{exports['REPLICATE_BASE_URL']}/v1/models/google/imagen-4/predictions"
        body = {"input": {"prompt": "x"}}
        ok = httpx.post(url, json=body, headers={"Authorization": "Bearer r8_mine"})
        assert ok.status_code == 201
        wrong = httpx.post(url, json=body, headers={"Authorization": "Bearer r8_other"})
        assert wrong.status_code == 401
    finally:
        _stop(proc)
    proc, text, exports = _serve("openai", "--any-key")
    try:
        assert "accepts only" not in text
        answer = httpx.post(
            f"{exports['OPENAI_BASE_URL']}/responses",
            json={"model": "gpt-5", "input": "hi"},
            headers={"Authorization": "Bearer sk-anything"},
        )
        assert answer.status_code == 200
    finally:
        _stop(proc)


def test_serve_refuses_a_key_it_could_not_print() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tutopanda_providers_testing.serve", "replicate",
         "--replicate-key", "r8 with space"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--replicate-key: give a key of printable ASCII without spaces" in done.stderr


def test_serve_fail_makes_every_call_of_a_route_fail() -> None:
    from tutopanda_providers_testing.spawn import spawn_fake_servers

    with spawn_fake_servers("all", fail=["replicate:create:503"]) as fakes:
        token = fakes.env["REPLICATE_API_TOKEN"]
        for _ in range(3):
            created = httpx.post(
                f"{fakes.replicate_base_url}/v1/models/google/imagen-4/predictions",
                json={"input": {"prompt": "x"}},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert created.status_code == 503
        listed = httpx.get(
            f"{fakes.replicate_base_url}/v1/predictions",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert listed.status_code == 200
        assert listed.json()["results"] == []  # nothing was created
        assert fakes.fal_base_url is not None


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ("foo:create:503", "is not SERVER:ROUTE:STATUS"),
        ("replicate:create:200", "must be an HTTP error"),
        ("replicate:creat:503", "has no route 'creat'; its routes are account, cancel, create"),
    ],
)
def test_serve_fail_refuses_a_bad_rule_naming_the_fix(rule: str, says: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tutopanda_providers_testing.serve", "all", "--fail", rule],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert says in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ("nonsense", "is not SERVER:ROUTE:STATUS"),
        ("fal:create:503", "the fake fal has no route 'create'; its routes are cancel"),
    ],
)
def test_demo_live_refuses_a_bad_fail_rule_before_starting_anything(rule: str, says: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tutopanda_providers_testing.demo_live", "--fail", rule],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_on_a_busy_port_says_so_without_a_traceback() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "tutopanda_providers_testing.serve", "fal", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "pick another --port" in done.stderr
    assert "Traceback" not in done.stderr
