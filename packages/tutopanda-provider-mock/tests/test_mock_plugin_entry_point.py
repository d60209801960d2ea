"""The plugin is found through its real entry point and loads without media libraries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tutopanda_providers import Descriptor, create_provider_registry
from tutopanda_providers.storage import BlobStore


def test_plugin_is_found_through_its_real_entry_point(tmp_path: Path) -> None:
    registry = create_provider_registry(
        mode="mock", entry_points=True, allow_plugins=["mock"], storage=BlobStore(tmp_path)
    )
    report = next(r for r in registry.plugins if r.name == "mock")
    assert report.status == "loaded", report.error
    assert report.distribution == "tutopanda-provider-mock"
    assert "*/*@* [mock]" in report.registered
    assert registry.card(Descriptor.parse("mock/video")).kind.value == "video"


def test_loading_the_plugin_imports_no_media_library() -> None:
    code = (
        "import sys, tutopanda_provider_mock.plugin\n"
        "heavy = sorted(m for m in ('av', 'PIL', 'numpy') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
