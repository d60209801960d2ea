"""Plugin discovery: isolation of broken plugins, duplicates, contract versions, allow/disable.

Direct plugins are plain objects handed to the registry; entry-point plugins are real: each test
writes ``*.dist-info`` folders and modules into a temporary directory on ``sys.path``, which is
exactly what ``importlib.metadata`` reads for an installed distribution.
"""

from __future__ import annotations

import importlib
import logging
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import pytest
from tutopanda_providers import (
    HOOK_CONTRACT_VERSION,
    Implementation,
    ModelCard,
    OutputSpec,
    ProviderRegistry,
    RegistryOptions,
    create_provider_registry,
    hookimpl,
)
from tutopanda_providers.contracts import InputModel
from tutopanda_providers.plugins.discovery import (
    ALLOW_ENV,
    DISABLE_ENV,
    PluginReport,
    choice_env_var,
)
from tutopanda_providers.storage import BlobStore
from tutopanda_providers_testing import fakes


class Inputs(InputModel):
    prompt: str


def make_card(provider: str, model: str = "m1") -> ModelCard:
    return fakes.make_card(
        provider,
        model,
        input_model=Inputs,
        output=OutputSpec(type="image", mime="image/png"),
        usd=0.01,
    )


def never_called(context: object) -> object:
    raise AssertionError("factories are not called while plugins load")


class Good:
    """Registers one model of its own provider."""

    __version__ = "2.3.4"

    def __init__(self, provider: str) -> None:
        self.provider = provider

    @hookimpl
    def tutopanda_register_providers(self, register):  # type: ignore[no-untyped-def]
        register(Implementation.for_card(make_card(self.provider), never_called))


class RaisesInHook:
    @hookimpl
    def tutopanda_register_providers(self, register):  # type: ignore[no-untyped-def]
        register(Implementation.for_card(make_card("half"), never_called))
        raise KeyError("models.json has no entry 'veo-3'")


class RegistersJunk:
    @hookimpl
    def tutopanda_register_providers(self, register):  # type: ignore[no-untyped-def]
        register({"provider": "junk"})


class FutureContract:
    TUTOPANDA_HOOK_CONTRACT = HOOK_CONTRACT_VERSION + 1

    @hookimpl
    def tutopanda_register_providers(self, register):  # type: ignore[no-untyped-def]
        register(Implementation.for_card(make_card("future"), never_called))


class WrongHookName:
    @hookimpl
    def tutopanda_register_provider(self, register):  # type: ignore[no-untyped-def]
        """Misspelt: an unknown hook of our project is refused, not ignored."""


class WrongArgument:
    @hookimpl
    def tutopanda_register_providers(self, registry):  # type: ignore[no-untyped-def]
        """Asks for an argument the hook does not have."""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    monkeypatch.delenv(DISABLE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)


def build(tmp_path: Path, plugins: list[tuple[str, object]], **options: object) -> ProviderRegistry:
    return create_provider_registry(
        RegistryOptions(plugins=plugins, entry_points=False, storage=BlobStore(tmp_path)),
        **options,
    )


def providers(registry: ProviderRegistry) -> list[str]:
    return [c.provider for c in registry.list_models()]


# -- direct plugins -----------------------------------------------------------------------


def test_plugin_raising_in_its_hook_is_reported_and_the_others_keep_working(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        registry = build(
            tmp_path, [("a", Good("alpha")), ("bad", RaisesInHook()), ("z", Good("zulu"))]
        )
    bad = registry.plugin("bad")
    assert bad.status == "failed"
    assert (
        bad.error
        == "tutopanda_register_providers raised KeyError: \"models.json has no entry 'veo-3'\""
    )
    # what it registered before raising is dropped: half a plugin is worse than none
    assert providers(registry) == ["alpha", "zulu"]
    assert registry.plugin("a").status == registry.plugin("z").status == "loaded"
    assert "plugin bad" in caplog.text


def test_plugin_registering_something_else_than_an_implementation_is_reported(
    tmp_path: Path,
) -> None:
    registry = build(tmp_path, [("junk", RegistersJunk()), ("a", Good("alpha"))])
    assert registry.plugin("junk").status == "failed"
    assert "register() takes an Implementation, got dict" in (registry.plugin("junk").error or "")
    assert providers(registry) == ["alpha"]


def test_plugin_written_for_another_contract_version_is_refused_with_the_reason(
    tmp_path: Path,
) -> None:
    registry = build(tmp_path, [("future", FutureContract()), ("a", Good("alpha"))])
    report = registry.plugin("future")
    assert report.status == "failed"
    assert report.contract == HOOK_CONTRACT_VERSION + 1
    assert f"written for hook contract {HOOK_CONTRACT_VERSION + 1}" in (report.error or "")
    assert f"this core speaks {HOOK_CONTRACT_VERSION}" in (report.error or "")
    assert providers(registry) == ["alpha"]


class DeclaresContract:
    """Declares whatever contract it is given, and registers one model."""

    def __init__(self, declared: object) -> None:
        self.TUTOPANDA_HOOK_CONTRACT = declared

    @hookimpl
    def tutopanda_register_providers(self, register):  # type: ignore[no-untyped-def]
        register(Implementation.for_card(make_card("declared"), never_called))


def test_plugin_declaring_contract_2_is_refused_naming_both_numbers(tmp_path: Path) -> None:
    assert HOOK_CONTRACT_VERSION == 1  # this test is written against contract 1
    registry = build(tmp_path, [("two", DeclaresContract(2)), ("a", Good("alpha"))])
    report = registry.plugin("two")
    assert (report.status, report.contract) == ("failed", 2)
    assert report.error is not None
    assert report.error.startswith("written for hook contract 2, this core speaks 1;")
    assert providers(registry) == ["alpha"]


def test_plugin_declaring_the_current_contract_loads(tmp_path: Path) -> None:
    registry = build(tmp_path, [("one", DeclaresContract(1))])
    assert (registry.plugin("one").status, registry.plugin("one").contract) == ("loaded", 1)
    assert providers(registry) == ["declared"]


def test_plugin_declaring_no_contract_loads_as_the_current_one(tmp_path: Path) -> None:
    registry = build(tmp_path, [("a", Good("alpha"))])
    report = registry.plugin("a")
    assert (report.status, report.contract, report.error) == ("loaded", None, None)
    assert providers(registry) == ["alpha"]


@pytest.mark.parametrize("declared", ["1", 1.0, True, None])
def test_plugin_declaring_a_contract_that_is_not_an_int_is_refused(
    tmp_path: Path, declared: object
) -> None:
    registry = build(tmp_path, [("odd", DeclaresContract(declared)), ("a", Good("alpha"))])
    report = registry.plugin("odd")
    assert (report.status, report.contract) == ("failed", None)
    assert report.error == (
        "TUTOPANDA_HOOK_CONTRACT must be an int literal such as TUTOPANDA_HOOK_CONTRACT = 1, "
        f"got {declared!r} ({type(declared).__name__}); this core speaks hook contract 1"
    )
    assert providers(registry) == ["alpha"]


@pytest.mark.parametrize(
    ("plugin", "expected"),
    [
        (WrongHookName(), "unknown hook 'tutopanda_register_provider'; hook contract"),
        (
            WrongArgument(),
            "PluginValidationError: Plugin 'odd' for hook 'tutopanda_register_providers' hookimpl definition: tutopanda_register_providers(registry) Argument(s) {'registry'} are declared in the hookimpl but can not be found in the hookspec",
        ),
    ],
)
def test_plugin_with_a_hook_that_does_not_fit_the_specs_is_refused(
    tmp_path: Path, plugin: object, expected: str
) -> None:
    registry = build(tmp_path, [("odd", plugin), ("a", Good("alpha"))])
    report = registry.plugin("odd")
    assert report.status == "failed"
    assert expected in (report.error or "")
    assert providers(registry) == ["alpha"]


def test_report_lists_the_hooks_a_plugin_implements_and_what_it_registered(
    tmp_path: Path,
) -> None:
    registry = build(tmp_path, [("a", Good("alpha"))])
    report = registry.plugin("a")
    assert report.hooks == ["tutopanda_register_providers"]
    assert report.registered == ["alpha/m1@* [live]"]
    assert report.version == "2.3.4"
    assert report.to_dict()["status"] == "loaded"


def test_same_object_under_two_names_loads_once_and_warns_about_both_names(
    tmp_path: Path,
) -> None:
    plugin = Good("alpha")
    registry = build(tmp_path, [("first", plugin), ("second", plugin)])
    assert registry.plugin("first").status == "loaded"
    second = registry.plugin("second")
    assert second.status == "duplicate"
    assert "same module as plugin 'first'" in second.warnings[0]
    assert providers(registry) == ["alpha"]
    assert any("'second'" in w for w in registry.warnings)


def test_two_direct_plugins_with_one_name_warn(tmp_path: Path) -> None:
    registry = build(tmp_path, [("same", Good("alpha")), ("same", Good("beta"))])
    assert providers(registry) == ["alpha"]
    assert registry.plugin("same").warnings == [
        "two plugins are named 'same'; only the first is loaded."
    ]


def test_allow_list_variable_loads_only_the_named_plugins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ALLOW_ENV, "a, c")
    registry = build(tmp_path, [("a", Good("alpha")), ("b", Good("beta")), ("c", Good("gamma"))])
    assert providers(registry) == ["alpha", "gamma"]
    assert registry.plugin("b").status == "disabled"


def test_empty_allow_list_loads_no_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOW_ENV, "")
    registry = build(tmp_path, [("a", Good("alpha"))])
    assert providers(registry) == []
    assert registry.plugin("a").status == "disabled"


def test_disable_variable_skips_the_named_plugins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DISABLE_ENV, "b")
    registry = build(tmp_path, [("a", Good("alpha")), ("b", Good("beta"))])
    assert providers(registry) == ["alpha"]
    assert registry.plugin("b").status == "disabled"


def test_options_override_the_environment_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DISABLE_ENV, "a")
    registry = build(tmp_path, [("a", Good("alpha")), ("b", Good("beta"))], disable_plugins=["b"])
    assert providers(registry) == ["alpha"]
    registry = build(tmp_path, [("a", Good("alpha")), ("b", Good("beta"))], allow_plugins=["b"])
    assert providers(registry) == ["beta"]


def test_unknown_plugin_name_raises_a_key_error_listing_the_known(tmp_path: Path) -> None:
    registry = build(tmp_path, [("a", Good("alpha"))])
    with pytest.raises(KeyError, match="found: \\['a'\\]"):
        registry.plugin("nope")


def test_plugin_middleware_and_secret_resolvers_are_collected(tmp_path: Path) -> None:
    from tutopanda_providers.secrets import MappingSecretResolver

    class Noop:
        name = "noop"
        order = 500

        async def __call__(self, context, call_next):  # type: ignore[no-untyped-def]
            return await call_next(context)

    class Extras:
        @hookimpl
        def tutopanda_register_middleware(self, register):  # type: ignore[no-untyped-def]
            register(Noop())

        @hookimpl
        def tutopanda_register_secret_resolvers(self, register):  # type: ignore[no-untyped-def]
            register(MappingSecretResolver({"VAULT_ONLY_TOKEN": "tp-core-vault-fake-2290"}))

    registry = build(tmp_path, [("extras", Extras())])
    assert registry.middleware[-1].name == "noop"
    secret = registry.secrets.resolve("VAULT_ONLY_TOKEN")
    assert secret is not None and secret.reveal() == "tp-core-vault-fake-2290"
    assert registry.plugin("extras").hooks == [
        "tutopanda_register_middleware",
        "tutopanda_register_secret_resolvers",
    ]


def test_a_plugin_that_failed_one_hook_is_not_asked_for_the_others(tmp_path: Path) -> None:
    asked: list[str] = []

    class HalfBroken:
        @hookimpl
        def tutopanda_register_providers(self, register):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

        @hookimpl
        def tutopanda_register_middleware(self, register):  # type: ignore[no-untyped-def]
            asked.append("middleware")

    registry = build(tmp_path, [("half", HalfBroken())])
    assert registry.plugin("half").status == "failed"
    assert asked == []


# -- real entry points --------------------------------------------------------------------

GOOD_MODULE = """
from tutopanda_providers import Implementation, ModelCard, OutputSpec, Price, PriceRate
from tutopanda_providers import ProducerKind, hookimpl
from tutopanda_providers.contracts import InputModel

class Inputs(InputModel):
    prompt: str

PROVIDER = {provider!r}

@hookimpl
def tutopanda_register_providers(register):
    card = ModelCard(
        provider=PROVIDER, model="m1", kind=ProducerKind.IMAGE, input_model=Inputs,
        output=OutputSpec(type="image", mime="image/png"),
        price=Price(rates=(PriceRate(name="image", unit="image", usd=0.01),), source="test"),
    )
    register(Implementation.for_card(card, lambda context: None))
"""


class Site:
    """A temporary site directory on ``sys.path`` holding fake installed distributions."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tag = uuid.uuid4().hex[:8]
        self.modules: list[str] = []

    def module(self, name: str, source: str) -> str:
        full = f"{name}_{self.tag}"
        (self.root / f"{full}.py").write_text(dedent(source))
        self.modules.append(full)
        return full

    def distribution(self, name: str, version: str, entries: dict[str, str]) -> None:
        info = self.root / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        lines = "\n".join(f"{k} = {v}" for k, v in entries.items())
        (info / "entry_points.txt").write_text(f"[tutopanda.providers]\n{lines}\n")

    def registry(self, *allow: str) -> ProviderRegistry:
        importlib.invalidate_caches()
        return create_provider_registry(
            RegistryOptions(entry_points=True, allow_plugins=allow, storage=BlobStore(self.root))
        )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    made = Site(root)
    yield made
    for name in made.modules:
        sys.modules.pop(name, None)


def test_entry_point_plugin_is_found_with_its_distribution_and_version(site: Site) -> None:
    module = site.module("good", GOOD_MODULE.format(provider="nimbus"))
    site.distribution("nimbus-plugin", "1.2.0", {"nimbus": module})
    registry = site.registry("nimbus")
    report = registry.plugin("nimbus")
    assert (report.status, report.distribution, report.version) == (
        "loaded",
        "nimbus-plugin",
        "1.2.0",
    )
    assert [c.ref for c in registry.list_models()] == ["nimbus/m1"]


def test_entry_point_that_fails_to_import_is_reported_and_the_others_keep_working(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    good = site.module("good", GOOD_MODULE.format(provider="nimbus"))
    broken = site.module("broken", "import nimbus_sdk_that_is_not_installed\n")
    crashing = site.module("crashing", "raise RuntimeError('models.json is corrupt')\n")
    site.distribution("nimbus-plugin", "1.0.0", {"nimbus": good})
    site.distribution("broken-plugin", "0.9.1", {"broken": broken})
    site.distribution("crashing-plugin", "3.0.0", {"crashing": crashing})
    with caplog.at_level(logging.WARNING):
        registry = site.registry("nimbus", "broken", "crashing")
    assert [c.ref for c in registry.list_models()] == ["nimbus/m1"]
    report = registry.plugin("broken")
    assert (report.status, report.distribution, report.version) == (
        "failed",
        "broken-plugin",
        "0.9.1",
    )
    assert report.error == "ModuleNotFoundError: No module named 'nimbus_sdk_that_is_not_installed'"
    assert registry.plugin("crashing").error == "RuntimeError: models.json is corrupt"
    assert "plugin broken (broken-plugin 0.9.1) failed to load" in caplog.text


def test_entry_point_with_a_missing_attribute_is_reported(site: Site) -> None:
    good = site.module("good", GOOD_MODULE.format(provider="nimbus"))
    site.distribution("nimbus-plugin", "1.0.0", {"nimbus": f"{good}:no_such_object"})
    registry = site.registry("nimbus")
    assert registry.plugin("nimbus").status == "failed"
    assert "AttributeError" in (registry.plugin("nimbus").error or "")


def test_entry_point_of_another_contract_version_is_reported_with_name_and_version(
    site: Site,
) -> None:
    source = GOOD_MODULE.format(provider="future") + "\nTUTOPANDA_HOOK_CONTRACT = 99\n"
    module = site.module("future", source)
    site.distribution("future-plugin", "5.0.0", {"future": module})
    registry = site.registry("future")
    report = registry.plugin("future")
    assert (report.status, report.distribution, report.version) == (
        "failed",
        "future-plugin",
        "5.0.0",
    )
    assert "written for hook contract 99" in (report.error or "")
    assert registry.list_models() == []


def test_same_entry_point_name_in_two_distributions_is_a_conflict_nobody_wins(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    # "aaa-hijack" sorts before "tutopanda-provider-dupe": name order must not decide.
    real = site.module("real", GOOD_MODULE.format(provider="dupe"))
    hijack = site.module("hijack", GOOD_MODULE.format(provider="stolen"))
    site.distribution("tutopanda-provider-dupe", "1.0.0", {"dupe": real})
    site.distribution("aaa-hijack", "2.0.0", {"dupe": hijack})
    with caplog.at_level(logging.WARNING):
        registry = site.registry("dupe")
    report = registry.plugin("dupe")
    assert report.status == "conflict"
    assert report.claimed_by == ["aaa-hijack 2.0.0", "tutopanda-provider-dupe 1.0.0"]
    (warning,) = report.warnings
    assert "aaa-hijack 2.0.0" in warning and "tutopanda-provider-dupe 1.0.0" in warning
    assert "TUTOPANDA_PLUGIN_DUPE=" in warning
    assert warning in registry.warnings and warning in caplog.text
    assert registry.list_models() == []
    assert hijack not in sys.modules and real not in sys.modules


def test_the_user_picks_the_distribution_of_a_conflicting_name(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = site.module("real", GOOD_MODULE.format(provider="dupe"))
    hijack = site.module("hijack", GOOD_MODULE.format(provider="stolen"))
    site.distribution("tutopanda-provider-dupe", "1.0.0", {"dupe": real})
    site.distribution("aaa-hijack", "2.0.0", {"dupe": hijack})
    # PEP 503 spelling differences do not matter.
    monkeypatch.setenv(choice_env_var("dupe"), "Tutopanda_Provider.Dupe")
    registry = site.registry("dupe")
    report = registry.plugin("dupe")
    assert (report.status, report.distribution, report.version) == (
        "loaded",
        "tutopanda-provider-dupe",
        "1.0.0",
    )
    assert [c.ref for c in registry.list_models()] == ["dupe/m1"]
    assert registry.warnings == []
    assert hijack not in sys.modules

    # A programmatic choice (RegistryOptions.plugin_choices) wins over the environment.
    importlib.invalidate_caches()
    chosen = create_provider_registry(
        RegistryOptions(
            entry_points=True,
            allow_plugins=["dupe"],
            plugin_choices={"dupe": "aaa-hijack"},
            storage=BlobStore(site.root),
        )
    )
    assert [c.ref for c in chosen.list_models()] == ["stolen/m1"]


def test_a_choice_naming_no_claimant_keeps_the_conflict_and_says_so(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.distribution("one", "1.0.0", {"dupe": site.module("a", GOOD_MODULE.format(provider="a"))})
    site.distribution("two", "1.0.0", {"dupe": site.module("b", GOOD_MODULE.format(provider="b"))})
    monkeypatch.setenv("TUTOPANDA_PLUGIN_DUPE", "three")
    report = site.registry("dupe").plugin("dupe")
    assert report.status == "conflict"
    assert "TUTOPANDA_PLUGIN_DUPE='three' names none of them" in (report.error or "")


def test_choice_variable_names() -> None:
    assert choice_env_var("replicate") == "TUTOPANDA_PLUGIN_REPLICATE"
    assert choice_env_var("my-plugin.v2") == "TUTOPANDA_PLUGIN_MY_PLUGIN_V2"


def test_one_module_under_two_entry_point_names_loads_once_and_warns(site: Site) -> None:
    module = site.module("shared", GOOD_MODULE.format(provider="shared"))
    site.distribution("shared-plugin", "1.0.0", {"shared_a": module, "shared_b": module})
    registry = site.registry("shared_a", "shared_b")
    assert registry.plugin("shared_a").status == "loaded"
    assert registry.plugin("shared_b").status == "duplicate"
    assert [c.ref for c in registry.list_models()] == ["shared/m1"]


def test_disabled_entry_point_is_not_even_imported(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = site.module("loud", "raise SystemError('imported!')\n")
    site.distribution("loud-plugin", "1.0.0", {"loud": module})
    monkeypatch.setenv(ALLOW_ENV, "loud")  # the disable list wins over the allow list
    monkeypatch.setenv(DISABLE_ENV, "loud")
    importlib.invalidate_caches()
    registry = create_provider_registry(
        RegistryOptions(entry_points=True, storage=BlobStore(site.root))
    )
    assert registry.plugin("loud").status == "disabled"
    assert module not in sys.modules


def test_plugin_report_defaults() -> None:
    report = PluginReport(name="x")
    assert report.to_dict() == {
        "name": "x",
        "distribution": None,
        "version": None,
        "status": "loaded",
        "error": None,
        "contract": None,
        "hooks": [],
        "registered": [],
        "warnings": [],
        "claimed_by": [],
    }


@pytest.mark.parametrize("group", ["tutopanda.providers", "console_scripts", "pytest11"])
def test_fast_entry_point_reader_finds_what_importlib_metadata_finds(group: str) -> None:
    from tutopanda_providers.plugins.discovery import (
        _entry_points_from_importlib,
        find_entry_points,
    )

    def key(ep: object) -> tuple[str, ...]:
        return tuple(str(getattr(ep, f)) for f in ("name", "value", "distribution", "version"))

    assert sorted(map(key, find_entry_points(group))) == sorted(
        map(key, _entry_points_from_importlib(group))
    )


def test_fast_entry_point_reader_agrees_on_temporary_distributions(site: Site) -> None:
    from tutopanda_providers.plugins.discovery import (
        _entry_points_from_importlib,
        find_entry_points,
    )

    module = site.module("good", GOOD_MODULE.format(provider="nimbus"))
    site.distribution(
        "Nimbus.Plugin", "1.0.0", {"nimbus": module, "nimbus_attr": f"{module}:PROVIDER"}
    )
    importlib.invalidate_caches()
    fast = {(e.name, e.value, e.distribution, e.version) for e in find_entry_points()}
    slow = {
        (e.name, e.value, e.distribution, e.version)
        for e in _entry_points_from_importlib("tutopanda.providers")
    }
    assert ("nimbus", module, "Nimbus.Plugin", "1.0.0") in fast
    assert fast == slow
    (attr,) = [e for e in find_entry_points() if e.name == "nimbus_attr"]
    assert attr.load() == "nimbus"


def test_development_egg_info_without_a_version_in_its_name_is_found(site: Site) -> None:
    from tutopanda_providers.plugins.discovery import (
        _entry_points_from_importlib,
        find_entry_points,
    )

    module = site.module("dev", GOOD_MODULE.format(provider="dev"))
    info = site.root / "dev_plugin.egg-info"
    info.mkdir()
    (info / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: dev-plugin\nVersion: 0.0.1.dev0\n")
    (info / "entry_points.txt").write_text(f"[tutopanda.providers]\ndev = {module}\n")
    importlib.invalidate_caches()
    fast = [e for e in find_entry_points() if e.name == "dev"]
    slow = [e for e in _entry_points_from_importlib("tutopanda.providers") if e.name == "dev"]
    assert fast == slow == [type(fast[0])("dev", module, "dev-plugin", "0.0.1.dev0")]
    assert site.registry("dev").plugin("dev").status == "loaded"


def test_zip_on_sys_path_falls_back_to_importlib_metadata(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    from tutopanda_providers.plugins.discovery import find_entry_points

    archive = site.root / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped_plugin-1.0.dist-info/METADATA", "Name: zipped-plugin\nVersion: 1.0\n")
        zf.writestr(
            "zipped_plugin-1.0.dist-info/entry_points.txt",
            "[tutopanda.providers]\nzipped = zipped_module\n",
        )
    monkeypatch.syspath_prepend(str(archive))
    importlib.invalidate_caches()
    zipped = [e for e in find_entry_points() if e.name == "zipped"]
    assert [(e.distribution, e.version) for e in zipped] == [("zipped-plugin", "1.0")]
