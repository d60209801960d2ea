"""The one media module: sniffing a file's type, MIME ↔ suffix, reading media facts."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from tutopanda_providers.contracts import (
    MediaFacts,
    MediaReaderMissingError,
    base_mime,
    canonical_mime,
    mime_for_suffix,
    read_media_facts,
    same_mime,
    sniff_mime,
    suffix_for,
)
from tutopanda_providers.contracts import media as media_module
from tutopanda_providers_testing.media import make_image, make_wav, mp3, mp4


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"GIF87a\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"ID3\x04\x00\x00\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x64\x00", "audio/mpeg"),
        (b"fLaC\x00\x00\x00\x22", "audio/flac"),
        (b"OggS\x00\x02", "audio/ogg"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81", "video/webm"),
        (b'{"segments": []}', None),
        (b"RIFF\x24\x00\x00\x00AVI LIST", None),
        (b"", None),
    ],
)
def test_sniff_mime_reads_the_signature(head: bytes, mime: str | None) -> None:
    assert sniff_mime(head) == mime
    assert sniff_mime(head + b"\x00" * 100) == mime  # bytes past the signature are ignored


def test_sniff_mime_recognises_the_files_the_fakes_serve() -> None:
    assert sniff_mime(make_image("png", 8, 8)) == "image/png"
    assert sniff_mime(make_image("jpg", 8, 8)) == "image/jpeg"
    assert sniff_mime(make_image("webp", 8, 8)) == "image/webp"
    assert sniff_mime(make_wav(0.1)) == "audio/wav"
    assert sniff_mime(mp3()) == "audio/mpeg"
    assert sniff_mime(mp4()) == "video/mp4"


def test_mime_names_are_compared_by_format() -> None:
    assert base_mime("Image/PNG; charset=binary") == "image/png"
    assert base_mime("") is None and base_mime(None) is None
    assert canonical_mime("audio/x-wav") == "audio/wav"
    assert canonical_mime("audio/mp3; bitrate=128") == "audio/mpeg"
    assert canonical_mime("image/jpg") == "image/jpeg"
    assert canonical_mime("application/x-thing") == "application/x-thing"
    assert same_mime("audio/wave", "AUDIO/WAV")
    assert not same_mime("audio/wav", "audio/mpeg")


def test_suffixes_and_mime_types_map_both_ways() -> None:
    assert suffix_for("image/jpeg") == ".jpg"
    assert suffix_for("audio/x-wav") == ".wav"
    assert suffix_for("video/quicktime") == ".mov"
    assert suffix_for("application/x-unknown") == ""
    for mime in ("image/png", "image/webp", "audio/mpeg", "video/mp4", "application/json"):
        assert mime_for_suffix(suffix_for(mime)) == mime
    assert mime_for_suffix("JPEG") == "image/jpeg"
    assert mime_for_suffix(".jpg") == "image/jpeg"
    assert mime_for_suffix("wave") == "audio/wav"
    assert mime_for_suffix("docx") is None


def test_image_facts_are_read_from_the_pixels() -> None:
    facts = read_media_facts(make_image("png", 64, 36, "a"), "image/png")
    assert facts == MediaFacts(width=64, height=36, codec="png")
    assert read_media_facts(make_image("jpg", 20, 10), "image/jpeg").codec == "jpeg"


def test_wav_facts_are_read_with_the_standard_library() -> None:
    facts = read_media_facts(make_wav(0.5, sample_rate=8000), "audio/x-wav")
    assert facts == MediaFacts(
        duration_seconds=0.5, sample_rate=8000, channels=1, codec="pcm_s16le", has_audio=True
    )


def test_video_facts_are_read_by_pyav() -> None:
    facts = read_media_facts(mp4(), "video/mp4")
    assert (facts.width, facts.height, facts.fps, facts.codec) == (64, 36, 24.0, "h264")
    assert facts.duration_seconds == pytest.approx(1.0, abs=0.1)
    assert facts.has_audio is True and facts.sample_rate is not None
    assert read_media_facts(mp4(with_audio=False), "video/mp4").has_audio is False


def test_mp3_facts_name_the_format_not_the_decoder() -> None:
    facts = read_media_facts(mp3(), "audio/mpeg")
    assert facts.codec == "mp3"  # FFmpeg's decoder is "mp3float"
    assert facts.sample_rate == 32000 and facts.channels == 1
    assert facts.duration_seconds == pytest.approx(1.0, abs=0.1)


def test_facts_read_from_a_path_equal_those_read_from_bytes(tmp_path: Path) -> None:
    for data, mime, name in (
        (mp4(), "video/mp4", "clip.mp4"),
        (make_wav(0.2), "audio/wav", "tone.wav"),
        (make_image("webp", 12, 8), "image/webp", "img.webp"),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        assert read_media_facts(path, mime) == read_media_facts(data, mime)
        assert read_media_facts(str(path), mime) == read_media_facts(data, mime)


def test_types_without_media_have_empty_facts() -> None:
    assert read_media_facts(b'{"a": 1}', "application/json") == MediaFacts()
    assert read_media_facts(b"hello", "text/plain") == MediaFacts()


@pytest.mark.parametrize(
    ("module", "data", "mime", "library"),
    [
        ("av", mp4(), "video/mp4", "PyAV (module 'av')"),
        ("PIL", make_image("png", 4, 4), "image/png", "Pillow (module 'PIL')"),
    ],
)
def test_a_missing_reader_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, module: str, data: bytes, mime: str, library: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes ``import module`` raise ImportError
    with pytest.raises(MediaReaderMissingError) as caught:
        read_media_facts(data, mime)
    assert library in caught.value.message
    assert "pip install 'tutopanda-providers-core[media]'" in caught.value.message


def test_a_missing_reader_is_not_needed_for_wav(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "av", None)
    assert read_media_facts(make_wav(0.1), "audio/wav").sample_rate == 16000


def test_the_media_module_imports_only_the_contracts_layer() -> None:
    tree = ast.parse(Path(media_module.__file__).read_text(encoding="utf-8"))
    ours = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("tutopanda_providers")
    }
    assert ours and all(name.startswith("tutopanda_providers.contracts.") for name in ours)


def test_importing_the_contracts_loads_no_media_library() -> None:
    code = (
        "import sys, tutopanda_providers.contracts as c; "
        "print(sorted(m for m in ('av', 'PIL', 'numpy', 'wave') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
