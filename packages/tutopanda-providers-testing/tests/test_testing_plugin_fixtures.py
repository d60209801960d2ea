"""The opt-in pytest plugin: fixtures wired to the fakes, and the network guard."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from tutopanda_providers_testing import FakeOpenAIServer, FakeReplicateServer
from tutopanda_providers_testing.keys import CANARY_OPENAI_KEY, CANARY_REPLICATE_TOKEN
from tutopanda_providers_testing.network_guard import NetworkAccessBlocked, NetworkGuard

pytest_plugins = ["tutopanda_providers_testing.pytest_plugin", "pytester"]


def test_guard_refuses_a_non_loopback_connect(network_guard: NetworkGuard) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(NetworkAccessBlocked):
            sock.connect(("10.255.255.1", 443))
    finally:
        sock.close()
    assert network_guard.violations
    network_guard.violations.clear()  # the refusal was the point here


def test_guard_refuses_name_lookups_and_create_connection(network_guard: NetworkGuard) -> None:
    with pytest.raises(NetworkAccessBlocked):
        socket.getaddrinfo("example.com", 443)
    with pytest.raises(NetworkAccessBlocked):
        socket.create_connection(("example.com", 443), timeout=1)
    assert len(network_guard.violations) == 2
    network_guard.violations.clear()


def test_guard_lets_loopback_through(network_guard: NetworkGuard, fake_replicate: Any) -> None:
    assert socket.getaddrinfo("localhost", fake_replicate.port)
    with socket.create_connection(("127.0.0.1", fake_replicate.port), timeout=5):
        pass
    assert network_guard.violations == []


def test_allow_network_marker_lifts_the_guard(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]')
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.allow_network
        def test_lifted(network_guard):
            assert network_guard is None
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "PytestUnknownMarkWarning" not in result.stdout.str()


def test_a_swallowed_blocked_call_still_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import socket
        pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]

        def test_swallows():
            try:
                socket.getaddrinfo("api.replicate.com", 443)
            except Exception:
                pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1, passed=1)
    result.stdout.fnmatch_lines(["*1 blocked network call(s)*", "*lookup of 'api.replicate.com'*"])


def test_env_switch_turns_the_guard_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        pytest_plugins = ["tutopanda_providers_testing.pytest_plugin"]

        def test_guard_is_off(network_guard):
            assert network_guard is None
        """
    )
    pytester._monkeypatch.setenv("TUTOPANDA_ALLOW_NETWORK", "1")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_fake_servers_accept_only_the_canary_keys(
    fake_replicate: FakeReplicateServer, fake_openai: FakeOpenAIServer
) -> None:
    assert fake_replicate.api_key == CANARY_REPLICATE_TOKEN
    assert fake_openai.api_key == CANARY_OPENAI_KEY
    assert fake_openai.base_url.endswith("/v1")


def test_blob_store_is_a_temporary_store(blob_store: Any) -> None:
    ref = blob_store.write_bytes(b"hello", mime="text/plain", suffix=".txt")
    assert blob_store.read_bytes(ref) == b"hello"


def test_registry_factory_points_providers_at_the_fakes(
    provider_registry: Any, fake_replicate: FakeReplicateServer, fake_openai: FakeOpenAIServer
) -> None:
    registry = provider_registry(mode="mock", retries=False)
    options = registry.options.provider_options
    assert options["replicate"]["base_url"] == fake_replicate.base_url
    assert options["openai"]["base_url"] == fake_openai.base_url
    assert registry.secrets.resolve("REPLICATE_API_TOKEN").reveal() == CANARY_REPLICATE_TOKEN
    assert registry.options.pipeline.retry.max_attempts == 1


def test_registry_factory_can_leave_keys_out(
    provider_registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = provider_registry(mode="mock", secrets={})
    assert registry.secrets.resolve("OPENAI_API_KEY") is None
