"""Resolution: precedence by rule, wildcards, ties, caching, mixed modes and error messages."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import pytest
from pydantic import Field
from tutopanda_providers import (
    Descriptor,
    Implementation,
    Match,
    ModelCard,
    ProducerKind,
    ProviderRegistry,
)
from tutopanda_providers.contracts import ConfigurationError, InputModel, Mode, UnknownModelError
from tutopanda_providers.handler import HandlerContext
from tutopanda_providers_testing import fakes
from tutopanda_providers_testing.fakes import FakeFactory, FakeHandler, FakePlugin, fake_registry


class ImageInputs(InputModel):
    prompt: str
    steps: int = Field(default=4, ge=1, le=50)


def make_card(provider: str, model: str, kind: str = "image") -> ModelCard:
    return fakes.make_card(provider, model, kind=kind, input_model=ImageInputs)


def impl(
    match: Match,
    label: str,
    mode: Mode = "live",
    card: ModelCard | None = None,
) -> Implementation:
    return Implementation(match=match, mode=mode, factory=FakeFactory(label=label), card=card)


def build(
    tmp_path: Path, plugins: Iterable[tuple[str, object]], mode: Mode = "live", **options: object
) -> ProviderRegistry:
    return fake_registry(plugins, storage=tmp_path / "blobs", mode=mode, **options)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TUTOPANDA_PLUGINS", raising=False)
    monkeypatch.delenv("TUTOPANDA_DISABLE_PLUGINS", raising=False)
    monkeypatch.chdir(tmp_path)


IMAGEN = Descriptor(provider="replicate", model="google/imagen-4")
CARDS = FakePlugin(
    impl(
        Match("replicate", "google/imagen-4"),
        "cards-only",
        card=make_card("replicate", "google/imagen-4"),
    )
)


def card_carrier(provider: str = "replicate", model: str = "google/imagen-4") -> FakePlugin:
    """Advertises a card through a mock implementation, so live resolution ignores it."""
    return FakePlugin(
        impl(Match(provider, model), "carrier", mode="mock", card=make_card(provider, model))
    )


def winner(registry: ProviderRegistry, descriptor: Descriptor = IMAGEN, mode: Mode = "live") -> str:
    handler = registry.resolve(descriptor, mode=mode).handler
    assert isinstance(handler, FakeHandler)
    return handler.label


def test_exact_match_beats_pattern_and_wildcard_whatever_the_registration_order(
    tmp_path: Path,
) -> None:
    card = make_card("replicate", "google/imagen-4")
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        implementations = [
            impl(Match("*", "*"), "wildcard"),
            impl(Match("replicate", "google/*"), "pattern"),
            impl(Match("replicate", "google/imagen-4"), "exact", card=card),
        ]
        plugin = FakePlugin(*(implementations[i] for i in order))
        registry = build(tmp_path, [("one", plugin)])
        assert winner(registry) == "exact"


def test_pattern_beats_wildcard_across_plugins(tmp_path: Path) -> None:
    registry = build(
        tmp_path,
        [
            ("aaa-wildcard", FakePlugin(impl(Match("*", "*"), "wildcard"))),
            ("zzz-pattern", FakePlugin(impl(Match("replicate", "google/*"), "pattern"))),
            ("cards", card_carrier()),
        ],
    )
    assert winner(registry) == "pattern"


def test_provider_field_counts_before_model_field(tmp_path: Path) -> None:
    registry = build(
        tmp_path,
        [
            ("a", FakePlugin(impl(Match("*", "google/imagen-4"), "exact-model-any-provider"))),
            ("b", FakePlugin(impl(Match("replicate", "*"), "exact-provider-any-model"))),
            ("cards", card_carrier()),
        ],
    )
    assert winner(registry) == "exact-provider-any-model"


def test_longer_pattern_beats_shorter_pattern(tmp_path: Path) -> None:
    registry = build(
        tmp_path,
        [
            ("a", FakePlugin(impl(Match("replicate", "google/*"), "short"))),
            ("b", FakePlugin(impl(Match("replicate", "google/imagen-*"), "long"))),
            ("c", card_carrier()),
        ],
    )
    assert winner(registry) == "long"
    assert registry.implementations_for(IMAGEN, "live") == [
        ("b", Match("replicate", "google/imagen-*")),
        ("a", Match("replicate", "google/*")),
    ]


def test_wildcards_match_with_fnmatch_rules(tmp_path: Path) -> None:
    assert Match("replicate", "google/*").matches(IMAGEN)
    assert Match("rep?icate", "google/imagen-[0-9]").matches(IMAGEN)
    assert Match("*", "*", "local").matches(IMAGEN)
    assert not Match("*", "*", "cloud").matches(IMAGEN)
    assert not Match("openai", "*").matches(IMAGEN)
    assert not Match("replicate", "google/imagen-3").matches(IMAGEN)
    # case matters: a model name is not a file name on a case-insensitive disk
    assert not Match("Replicate", "*").matches(IMAGEN)


def test_environment_picks_between_local_and_cloud_implementations(tmp_path: Path) -> None:
    card = make_card("replicate", "google/imagen-4")
    plugin = FakePlugin(
        impl(Match("replicate", "google/imagen-4", "local"), "local", card=card),
        impl(Match("replicate", "google/imagen-4", "cloud"), "cloud"),
    )
    registry = build(tmp_path, [("p", plugin)])
    assert winner(registry, IMAGEN) == "local"
    cloud = Descriptor(provider="replicate", model="google/imagen-4", environment="cloud")
    assert winner(registry, cloud) == "cloud"


def test_tie_between_plugins_goes_to_first_plugin_name_and_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    card = make_card("replicate", "google/imagen-4")
    with caplog.at_level(logging.WARNING):
        registry = build(
            tmp_path,
            [
                (
                    "zeta",
                    FakePlugin(impl(Match("replicate", "google/imagen-4"), "zeta", card=card)),
                ),
                (
                    "alpha",
                    FakePlugin(impl(Match("replicate", "google/imagen-4"), "alpha", card=card)),
                ),
            ],
        )
    assert winner(registry) == "alpha"
    assert any("'alpha', 'zeta'" in w and "'alpha' wins" in w for w in registry.warnings)
    assert any("model card replicate/google/imagen-4" in w for w in registry.warnings)
    assert registry.owner_of(IMAGEN) == "alpha"
    assert "'alpha' wins" in caplog.text


def test_a_plugin_named_first_cannot_take_over_another_providers_model(tmp_path: Path) -> None:
    card = make_card("replicate", "google/imagen-4")
    registry = build(
        tmp_path,
        [
            (
                "aa-hijack",
                FakePlugin(impl(Match("replicate", "google/imagen-4"), "hijack", card=card)),
            ),
            (
                "replicate",
                FakePlugin(impl(Match("replicate", "google/imagen-4"), "home", card=card)),
            ),
        ],
    )
    assert winner(registry) == "home"
    assert registry.owner_of(IMAGEN) == "replicate"
    assert any(
        "'replicate' wins (it is named after the provider)" in w and "aa-hijack" in w
        for w in registry.warnings
    )


def test_the_card_owner_wins_a_tie_against_a_plugin_that_only_serves_it(tmp_path: Path) -> None:
    card = make_card("replicate", "google/imagen-4")
    registry = build(
        tmp_path,
        [
            ("aaa", FakePlugin(impl(Match("replicate", "google/*"), "pattern-aaa"))),
            ("zzz", FakePlugin(impl(Match("replicate", "google/*"), "pattern-zzz"))),
            ("mid", FakePlugin(impl(Match("x", "y"), "carrier", mode="mock", card=None))),
            (
                "owner",
                FakePlugin(
                    impl(Match("replicate", "google/imag*"), "owner", mode="mock", card=card)
                ),
            ),
        ],
    )
    assert winner(registry) == "pattern-aaa"  # the owner serves only mock: first name decides
    registry = build(
        tmp_path,
        [
            ("aaa", FakePlugin(impl(Match("replicate", "google/imagen-?"), "pattern-aaa"))),
            ("owner", FakePlugin(impl(Match("replicate", "google/imagen-*"), "owner", card=card))),
        ],
    )
    assert winner(registry) == "owner"
    assert any("'owner' serves it, not 'aaa'" in w for w in registry.warnings)


def test_tie_between_different_patterns_is_reported_when_it_decides_a_resolution(
    tmp_path: Path,
) -> None:
    registry = build(
        tmp_path,
        [
            ("b-plugin", FakePlugin(impl(Match("replicate", "google/imagen-?"), "b"))),
            ("a-plugin", FakePlugin(impl(Match("replicate", "google/imagen-*"), "a"))),
            ("cards", card_carrier()),
        ],
    )
    assert registry.warnings == []  # no identical registrations: nothing to say yet
    assert winner(registry) == "a"
    (message,) = registry.warnings
    assert "'a-plugin'" in message and "'b-plugin'" in message and "equally specific" in message
    winner(registry)  # resolving again (cached) does not repeat the warning
    assert len(registry.warnings) == 1


def test_handler_is_created_once_and_cached(tmp_path: Path) -> None:
    card = make_card("replicate", "google/imagen-4")
    factory = FakeFactory(label="only")
    plugin = FakePlugin(
        Implementation(Match("replicate", "google/imagen-4"), "live", factory, card)
    )
    registry = build(tmp_path, [("p", plugin)])
    first = registry.resolve(IMAGEN)
    again = registry.resolve(IMAGEN, producer="ImageProducer", kind="image")
    many = registry.resolve_many([IMAGEN, IMAGEN])
    assert first is again is many[0] is many[1]
    assert factory.calls == 1


def test_factory_is_not_called_while_the_registry_is_built(tmp_path: Path) -> None:
    factory = FakeFactory(label="lazy")
    card = make_card("replicate", "google/imagen-4")
    build(
        tmp_path,
        [("p", FakePlugin(Implementation(Match("replicate", "*"), "live", factory, card)))],
    )
    assert factory.calls == 0


def test_registry_in_mock_mode_runs_every_producer_in_mock(tmp_path: Path) -> None:
    card = make_card("replicate", "google/imagen-4")
    plugin = FakePlugin(
        impl(Match("replicate", "google/imagen-4"), "live", card=card),
        impl(Match("*", "*"), "mock", mode="mock"),
    )
    registry = build(tmp_path, [("p", plugin)], mode="mock")
    assert registry.resolve(IMAGEN, producer="ImageProducer").mode == "mock"
    assert winner(registry, mode="mock") == "mock"


@pytest.fixture
def mixed(tmp_path: Path) -> ProviderRegistry:
    live = FakePlugin(
        impl(
            Match("replicate", "google/imagen-4"),
            "live-image",
            card=make_card("replicate", "google/imagen-4"),
        ),
        impl(
            Match("replicate", "minimax/music-1.5"),
            "live-music",
            card=make_card("replicate", "minimax/music-1.5", "music"),
        ),
        impl(Match("openai", "gpt-5"), "live-script", card=make_card("openai", "gpt-5", "script")),
    )
    mock = FakePlugin(impl(Match("*", "*"), "mock", mode="mock"))
    return build(
        tmp_path,
        [("live", live), ("mock", mock)],
        mode="live",
        use_mock={"ScriptProducer", "music"},
    )


async def test_one_run_mixes_live_and_mock_by_producer_name_and_by_kind(
    mixed: ProviderRegistry,
) -> None:
    music = Descriptor.parse("replicate/minimax/music-1.5")
    script = Descriptor.parse("openai/gpt-5")
    assert mixed.resolve(IMAGEN, producer="ImageProducer").mode == "live"
    assert mixed.resolve(music, producer="MusicProducer").mode == "mock"  # by kind
    assert mixed.resolve(script, producer="ScriptProducer").mode == "mock"  # by name
    assert mixed.resolve(script, producer="OtherScriptProducer").mode == "live"

    image = await mixed.invoke(IMAGEN, {"prompt": "a panda"}, producer="ImageProducer")
    song = await mixed.invoke(music, {"prompt": "a tune"}, producer="MusicProducer")
    assert (image.artefacts[0].text, image.meta.mocked) == ("live-image", False)
    assert (song.artefacts[0].text, song.meta.mocked) == ("mock", True)


def test_live_and_mock_handlers_of_one_model_are_cached_separately(mixed: ProviderRegistry) -> None:
    live = mixed.resolve(IMAGEN, mode="live")
    mock = mixed.resolve(IMAGEN, mode="mock")
    assert live is not mock
    assert mixed.resolve(IMAGEN, mode="mock") is mock


def test_use_mock_accepts_any_iterable_and_is_stored_frozen(tmp_path: Path) -> None:
    registry = build(tmp_path, [("cards", CARDS)], use_mock=["image"])
    assert registry.use_mock == frozenset({"image"})
    assert registry.mode_for_job("ImageProducer", "image") == "mock"
    assert registry.mode_for_job("ImageProducer", "video") == "live"


async def test_inputs_are_validated_before_the_handler_runs(tmp_path: Path) -> None:
    registry = build(tmp_path, [("cards", CARDS)])
    handler = registry.resolve(IMAGEN).handler
    assert isinstance(handler, FakeHandler)
    await registry.invoke(IMAGEN, {"prompt": "a panda"})
    assert handler.inputs_seen == [{"prompt": "a panda", "steps": 4}]
    with pytest.raises(Exception, match="steps"):
        await registry.invoke(IMAGEN, {"prompt": "a panda", "steps": 99})
    assert len(handler.inputs_seen) == 1


def test_descriptor_of_another_kind_than_the_producers_is_refused(tmp_path: Path) -> None:
    registry = build(tmp_path, [("cards", CARDS)])
    with pytest.raises(ConfigurationError) as caught:
        registry.resolve(IMAGEN, producer="VideoProducer", kind="video")
    message = str(caught.value)
    assert "replicate/google/imagen-4 makes image" in message
    assert "VideoProducer needs video" in message
    assert "--kind video" in message
    with pytest.raises(ConfigurationError):
        registry.resolve_many([IMAGEN], kind=ProducerKind.AUDIO)


def test_request_with_a_job_of_another_kind_is_refused(tmp_path: Path) -> None:
    from tutopanda_providers import JobInfo

    registry = build(tmp_path, [("cards", CARDS)])
    job = JobInfo(id="j1", producer="MusicProducer", kind=ProducerKind.MUSIC)
    with pytest.raises(ConfigurationError, match="MusicProducer needs music"):
        registry.new_request(IMAGEN, {"prompt": "x"}, job=job)


def test_unknown_model_error_names_what_was_asked_and_lists_close_matches(
    tmp_path: Path,
) -> None:
    plugin = FakePlugin(
        *(
            impl(Match("replicate", m), m, card=make_card("replicate", m))
            for m in ("google/imagen-4", "google/imagen-4-fast", "bytedance/seedream-4")
        )
    )
    registry = build(tmp_path, [("p", plugin)])
    with pytest.raises(UnknownModelError) as caught:
        registry.resolve(Descriptor.parse("replicate/google/imagen-5"))
    error = caught.value
    assert "unknown model 'google/imagen-5' for provider 'replicate'" in str(error)
    assert "replicate/google/imagen-4" in str(error)
    assert error.details["close_matches"][0] in {
        "replicate/google/imagen-4",
        "replicate/google/imagen-4-fast",
    }
    assert "bytedance" not in str(error)


def test_model_typed_without_its_owner_is_suggested(tmp_path: Path) -> None:
    plugin = FakePlugin(
        impl(
            Match("replicate", "bytedance/seedream-4"),
            "s",
            card=make_card("replicate", "bytedance/seedream-4"),
        )
    )
    registry = build(tmp_path, [("p", plugin)])
    with pytest.raises(UnknownModelError) as caught:
        registry.card("replicate/seedream-4")
    assert caught.value.details["close_matches"] == ["replicate/bytedance/seedream-4"]


def test_unknown_provider_error_lists_the_known_providers(tmp_path: Path) -> None:
    registry = build(tmp_path, [("cards", CARDS)])
    with pytest.raises(UnknownModelError) as caught:
        registry.resolve(Descriptor.parse("replicat/google/imagen-4"))
    message = str(caught.value)
    assert "unknown provider 'replicat'" in message
    assert "known providers: replicate" in message
    assert "closest matches: replicate/google/imagen-4" in message


def test_unknown_model_error_with_no_plugin_says_none_is_loaded(tmp_path: Path) -> None:
    registry = build(tmp_path, [])
    with pytest.raises(UnknownModelError, match="no plugin is loaded"):
        registry.card("openai/gpt-5")


def test_model_without_an_implementation_in_the_asked_mode_says_which_modes_exist(
    tmp_path: Path,
) -> None:
    registry = build(tmp_path, [("cards", CARDS)], mode="mock")
    with pytest.raises(UnknownModelError) as caught:
        registry.resolve(IMAGEN)
    assert "no mock implementation of replicate/google/imagen-4" in str(caught.value)
    assert "modes available: live" in str(caught.value)
    assert "tutopanda-provider-mock" in str(caught.value)


def test_factory_failure_names_the_plugin_and_is_not_cached(tmp_path: Path) -> None:
    attempts: list[int] = []

    def broken(context: HandlerContext) -> FakeHandler:
        attempts.append(1)
        raise RuntimeError("SDK missing")

    card = make_card("replicate", "google/imagen-4")
    plugin = FakePlugin(Implementation(Match("replicate", "google/imagen-4"), "live", broken, card))
    registry = build(tmp_path, [("flaky", plugin)])
    for _ in range(2):
        with pytest.raises(ConfigurationError, match="plugin 'flaky' failed to create the live"):
            registry.resolve(IMAGEN)
    assert len(attempts) == 2


def test_factory_returning_something_without_invoke_is_refused(tmp_path: Path) -> None:
    card = make_card("replicate", "google/imagen-4")
    plugin = FakePlugin(
        Implementation(Match("replicate", "*"), "live", lambda context: object(), card)
    )
    registry = build(tmp_path, [("odd", plugin)])
    with pytest.raises(ConfigurationError, match="no invoke"):
        registry.resolve(IMAGEN)


def test_list_models_filters_by_kind_and_sorts(tmp_path: Path) -> None:
    plugin = FakePlugin(
        impl(Match("replicate", "b"), "b", card=make_card("replicate", "b", "video")),
        impl(Match("openai", "gpt-5"), "s", card=make_card("openai", "gpt-5", "script")),
        impl(Match("replicate", "a"), "a", card=make_card("replicate", "a", "video")),
    )
    registry = build(tmp_path, [("p", plugin)])
    assert [c.ref for c in registry.list_models()] == ["openai/gpt-5", "replicate/a", "replicate/b"]
    assert [c.ref for c in registry.list_models("video")] == ["replicate/a", "replicate/b"]
    assert registry.list_models(ProducerKind.MUSIC) == []


def test_implementation_refuses_a_card_it_does_not_serve() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        impl(Match("openai", "gpt-5"), "x", card=make_card("replicate", "google/imagen-4"))
    with pytest.raises(ValueError, match="mode"):
        Implementation(Match(), "sometimes", FakeFactory(label="x"))  # type: ignore[arg-type]


def test_registry_refuses_an_unknown_mode(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="mode must be"):
        build(tmp_path, [], mode="dry")  # type: ignore[arg-type]


def test_a_handler_reports_its_remote_job_through_the_typed_callback(tmp_path) -> None:
    from tutopanda_providers import Descriptor, JobInfo, ProducerKind, RemoteJob
    from tutopanda_providers.contracts import EventEmitter
    from tutopanda_providers.handler import ProducerRequest
    from tutopanda_providers.storage import BlobStore
    from tutopanda_providers.telemetry import ListSink

    seen: list[RemoteJob] = []
    sink = ListSink()
    request = ProducerRequest(
        job=JobInfo(id="j", producer="P", kind=ProducerKind.IMAGE),
        descriptor=Descriptor.parse("replicate/google/imagen-4"),
        inputs={},
        storage=BlobStore(tmp_path),
        telemetry=EventEmitter(sink),
        on_remote_job=seen.append,
    )
    request.report_remote_job("abc", status="starting")
    assert seen == [
        RemoteJob(id="abc", provider="replicate", model="google/imagen-4", status="starting")
    ]

    def broken(remote: RemoteJob) -> None:
        raise OSError("disk full")

    request.on_remote_job = broken
    request.report_remote_job("def")  # the job goes on; the failure is reported
    assert [e.name for e in sink.events] == ["remote_job.report_failed"]
    assert sink.events[0].attributes["remote_job_id"] == "def"

    request.resume = {"prediction_id": "old"}  # logs from before the rename
    assert request.resume_remote_job_id == "old"
    request.resume = {"remote_job_id": "new"}
    assert request.resume_remote_job_id == "new"
