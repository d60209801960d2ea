"""Files the command reads or writes never produce a traceback, and what it writes survives a
crash at any byte.

Reading: a plan or settings file that is binary, not UTF-8, a folder or missing; a movie
manifest that is not UTF-8. Writing: ``--movie`` naming a file, a movie folder that refuses
writes (EACCES and EROFS injected: the tests run as root, where permissions do not bite).
Each gets a message naming the path and what to do, a documented exit code, and with --json
exactly one JSON document on stdout. Crashes: the event log cut at every byte of its last
line, and a temporary JSON file left half-written, are repaired or ignored by the next run,
never built on. An unexpected error is one line plus the file holding its trace (exit 70).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest
from tutopanda_providers.cli import exitcodes, main
from tutopanda_providers.runner.errors import FileProblemError
from tutopanda_providers.runner.movie import EVENTS, MovieStore, write_json_atomic

PLAN = '[plan]\ntitle = "x"\n\n[jobs.a]\nproducer = "TextToImageProducer"\ninputs.prompt = "a"\n'


def _main(
    capsys: pytest.CaptureFixture[str], *args: str, json_out: bool = True
) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as caught:
        main([*args, *(["--json"] if json_out else [])])
    out, err = capsys.readouterr()
    code = caught.value.code
    return (code if isinstance(code, int) else 0), out, err


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TUTOPANDA_STATE_DIR", str(tmp_path / "state"))
    for name in ("TUTOPANDA_SETTINGS", "OPENAI_API_KEY", "REPLICATE_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "plan.toml").write_text(PLAN)


# name -> (files: name -> bytes or None for a folder, argv, exit code, words in the message)
READ_CASES: dict[str, tuple[dict[str, bytes | None], tuple[str, ...], int, tuple[str, ...]]] = {
    "plan-binary": (
        {"p.toml": bytes(range(256))},
        ("run", "p.toml"),
        exitcodes.USAGE,
        ("p.toml", "utf-8"),
    ),
    "plan-latin1": (
        {"p.toml": '[plan]\ntitle = "caf\xe9"\n'.encode("latin-1")},
        ("estimate", "p.toml"),
        exitcodes.USAGE,
        ("p.toml", "utf-8"),
    ),
    "plan-bom-utf16": (
        {"p.toml": PLAN.encode("utf-16")},
        ("run", "p.toml", "--dry-run"),
        exitcodes.USAGE,
        ("p.toml",),
    ),
    "plan-folder": ({"p.toml": None}, ("run", "p.toml"), exitcodes.USAGE, ("p.toml", "folder")),
    "plan-missing": ({}, ("run", "nope.toml"), exitcodes.USAGE, ("nope.toml", "check the path")),
    "settings-folder": (
        {"s.toml": None},
        ("run", "plan.toml", "--settings", "s.toml"),
        exitcodes.USAGE,
        ("s.toml", "folder"),
    ),
    "settings-binary": (
        {"s.toml": b"\x00\xff\xfe\x80"},
        ("estimate", "plan.toml", "--settings", "s.toml"),
        exitcodes.USAGE,
        ("s.toml", "utf-8"),
    ),
    "inputs-file-binary": (
        {"i.json": b"\xff\xfe\x00"},
        ("invoke", "mock/image", "--inputs-file", "i.json"),
        exitcodes.USAGE,
        ("i.json", "utf-8"),
    ),
    "movie-is-a-file": (
        {"m": b"not a folder"},
        ("run", "plan.toml", "--movie", "m"),
        exitcodes.FILES,
        ("m", "choose another --movie"),
    ),
    "movie-manifest-not-utf8": (
        {"m/manifest.json": b"\xff\xfe{}"},
        ("run", "plan.toml", "--movie", "m"),
        exitcodes.USAGE,
        ("manifest.json", "utf-8"),
    ),
    "movie-events-bad-line": (
        {"m/events.jsonl": b'{"type": "run.started"}\nnot json\n{"type": "run.finished"}\n'},
        ("run", "plan.toml", "--movie", "m"),
        exitcodes.USAGE,
        ("events.jsonl:2",),
    ),
}


@pytest.mark.parametrize("case", sorted(READ_CASES))
@pytest.mark.parametrize("json_out", [True, False], ids=["json", "text"])
def test_a_bad_file_gets_a_message_and_an_exit_code_never_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, json_out: bool
) -> None:
    files, argv, code, words = READ_CASES[case]
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            path.mkdir()
        else:
            path.write_bytes(content)
    got, out, err = _main(capsys, *argv, json_out=json_out)
    assert got == code, (out, err)
    assert "Traceback" not in out + err
    if json_out:
        doc = json.loads(out)  # exactly one document
        assert doc["exit_code"] == code
        text = json.dumps(doc).lower()
    else:
        assert out.strip() == "" or "{" not in out[:1]
        text = err.lower()
    for word in words:
        assert word.lower() in text, (word, text)


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS, errno.ENOSPC])
@pytest.mark.parametrize("target", [".lock", "config.json", EVENTS, "manifest.json"])
def test_a_movie_folder_that_refuses_writes_is_named_with_exit_6(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    target: str,
) -> None:
    """The write fails with ``code`` at the first file named ``target`` (or its temp file)."""
    import tempfile

    real_open, real_mkstemp = os.open, tempfile.mkstemp

    def refuse(name: str) -> None:
        raise OSError(code, os.strerror(code), name)

    def fake_open(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if str(path).endswith(target) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(str(path))
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    def fake_mkstemp(*args: object, **kwargs: object) -> tuple[int, str]:
        if str(kwargs.get("prefix", "")).startswith(f".{target}."):
            refuse(str(kwargs.get("dir")))
        return real_mkstemp(*args, **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(tempfile, "mkstemp", fake_mkstemp)
    got, out, err = _main(capsys, "run", "plan.toml", "--movie", "m")
    assert got == exitcodes.FILES, (out, err)
    doc = json.loads(out)
    message = doc["error"]["message"]
    named = message.split(":")[0]  # the path comes first: "the movie folder m: ..."
    assert named.endswith(" m") or named.startswith("m") or "/m/" in named, message
    assert "choose another --movie" in message or "free some space" in message, message
    assert "Traceback" not in out + err


def test_an_unexpected_error_is_one_line_and_its_trace_is_in_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tutopanda_providers.runner import runner as runner_module

    def boom(self: object, *args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug deep inside\nwith a second line")

    monkeypatch.setattr(runner_module.Runner, "run", boom)
    got, out, err = _main(capsys, "run", "plan.toml", json_out=False)
    assert got == exitcodes.INTERNAL
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(" ".join(lines)) < 400 and "Traceback" not in err, err
    assert "RuntimeError: a bug deep inside" in err
    [trace] = list((tmp_path / "state" / "crashes").iterdir())
    assert str(trace) in err.replace("\n", "")
    assert "Traceback" in trace.read_text() and "def boom" not in err

    got, out, err = _main(capsys, "run", "plan.toml")
    assert got == exitcodes.INTERNAL
    doc = json.loads(out)
    assert doc["exit_code"] == exitcodes.INTERNAL
    assert Path(doc["error"]["trace_file"]).is_file()


def _finished_movie(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    got, _out, err = _main(capsys, "run", "plan.toml", "--movie", "m")
    assert got == exitcodes.OK, err
    return tmp_path / "m"


def test_the_event_log_cut_at_every_byte_of_its_last_line_is_repaired_never_built_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    movie = _finished_movie(tmp_path, capsys)
    log = (movie / EVENTS).read_bytes()
    head, last = (
        log[: log.rstrip(b"\n").rfind(b"\n") + 1],
        log[len(log[: log.rstrip(b"\n").rfind(b"\n") + 1]) :],
    )
    work = tmp_path / "work"
    cuts = 0
    for cut in range(1, len(last)):  # every torn length, from 1 byte to all but the newline
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(movie, work)
        (work / EVENTS).write_bytes(head + last[:cut])
        store = MovieStore(work)
        assert len(store.events()) == head.count(b"\n")  # the torn line is left out
        store.append_event({"type": "probe", "n": cut})
        lines = (work / EVENTS).read_bytes().split(b"\n")
        assert lines[-1] == b""
        parsed = [json.loads(line) for line in lines[:-1]]  # every line whole
        assert parsed[-1]["type"] == "probe"
        assert len(parsed) == head.count(b"\n") + 1
        cuts += 1
    assert cuts > 50


def test_a_rerun_after_a_torn_event_log_keeps_every_whole_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    movie = _finished_movie(tmp_path, capsys)
    whole = (movie / EVENTS).read_bytes()
    (movie / EVENTS).write_bytes(whole + b'{"type": "artefact.produced", "job_id": "a", "manif')
    got, _out, err = _main(capsys, "run", "plan.toml", "--movie", "m")
    assert got == exitcodes.OK, err
    after = (movie / EVENTS).read_bytes()
    assert after.startswith(whole)
    for line in after.splitlines():
        json.loads(line)


def test_a_half_written_json_file_never_replaces_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash while writing (any byte): the old file stays whole, the temp file is gone."""
    target = tmp_path / "config.json"
    write_json_atomic(target, {"overrides": {"A": "mock/image"}})
    before = target.read_bytes()
    real_fsync = os.fsync

    def crash(fd: int) -> None:
        raise KeyboardInterrupt  # a crash between the write and the rename

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        write_json_atomic(target, {"overrides": {"B": "mock/image"}})
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "plan.toml"]


def test_a_whole_bad_line_in_the_event_log_is_refused_by_name(tmp_path: Path) -> None:
    movie = tmp_path / "m"
    movie.mkdir()
    (movie / EVENTS).write_bytes(b'{"type": "a"}\n{"type": \n{"type": "b"}\n')
    with pytest.raises(FileProblemError) as caught:
        MovieStore(movie).events()
    assert "events.jsonl:2" in str(caught.value)
