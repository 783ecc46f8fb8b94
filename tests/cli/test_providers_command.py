"""`smsctl providers`: built-ins and plugins found through real entry points; a broken plugin is
named on stderr and skipped, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from sms_cli.providers import registry
from tests.cli.conftest import Invoke
from tests.plugins.kit import installed

GOOD = """
import re
from sms_cli.providers.info import ProviderInfo, SenderRule
INFO = ProviderInfo(
    name="goodsms", title="Good SMS", default_base_url="https://api.good.example",
    max_text_chars=918, sender=SenderRule(11, 15, re.compile(r"[A-Za-z0-9]+")),
    client="good_plugin:Client", docs_url="https://docs.good.example",
)
"""


def test_builtins_are_listed_with_their_capabilities(smsctl: Invoke) -> None:
    result = smsctl(["providers", "--json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["broken"] == []
    listed = {p["name"]: p for p in document["providers"]}
    # Plugins installed in this environment (CI installs one) are listed too.
    assert set(listed) == set(registry.available())
    assert set(registry.builtin()) <= set(listed)
    for name, info in registry.builtin().items():
        entry = listed[name]
        assert entry["source"] == "built-in"
        assert entry["version"] is None
        assert entry["capabilities"] == sorted(c.value for c in info.capabilities)
        assert [c["name"] for c in entry["credentials"]] == [c.name for c in info.credentials]
        assert set(entry) == {
            "name",
            "title",
            "source",
            "version",
            "credentials",
            "capabilities",
            "send_options",
            "emulator",
            "default_base_url",
            "docs_url",
        }


def test_a_plugin_is_listed_and_broken_ones_are_skipped(smsctl: Invoke, tmp_path: Path) -> None:
    builtin_name = sorted(registry.builtin())[0]
    entry_points = {
        "goodsms": "good_plugin:INFO",
        "crashes": "crashing_plugin:INFO",
        "notinfo": "good_plugin:re",
        "missing": "no_such_module_anywhere:INFO",
        builtin_name: "clash_plugin:INFO",
        "misnamed": "good_plugin:INFO",
    }
    modules = {
        "good_plugin.py": GOOD,
        "crashing_plugin.py": "raise RuntimeError('boom\\nsecond line')\n",
        "clash_plugin.py": GOOD.replace('"goodsms"', repr(builtin_name)),
    }
    with installed(tmp_path, "smsctl-good", "1.2.3", entry_points, modules):
        result = smsctl(["providers", "--json"])
        human = smsctl(["providers"])
    assert result.exit_code == 0, result.stderr
    assert human.exit_code == 0, human.stderr
    document = json.loads(result.stdout)
    listed = {p["name"]: p for p in document["providers"]}
    assert listed["goodsms"]["source"] == "smsctl-good"
    assert listed["goodsms"]["version"] == "1.2.3"
    assert listed["goodsms"]["capabilities"] == ["send", "status"]
    assert listed[builtin_name]["source"] == "built-in"  # a plugin cannot replace a built-in
    broken = {b["name"]: b for b in document["broken"]}
    assert set(broken) == {"crashes", "notinfo", "missing", builtin_name, "misnamed"}
    assert all(b["distribution"] == "smsctl-good" for b in broken.values())
    assert "RuntimeError: boom second line" in broken["crashes"]["reason"]
    assert "not a ProviderInfo" in broken["notinfo"]["reason"]
    assert "built-in" in broken[builtin_name]["reason"]
    assert "'misnamed'" in broken["misnamed"]["reason"]
    for output in (result, human):
        assert "Traceback" not in output.stderr
        for name in broken:
            assert f"provider plugin {name!r}" in output.stderr
    assert "goodsms" in human.stdout and "smsctl-good 1.2.3" in human.stdout


def test_get_scans_plugins_only_for_a_name_not_built_in(tmp_path: Path) -> None:
    with installed(
        tmp_path, "smsctl-good", "1.2.3", {"goodsms": "good_plugin:INFO"}, {"good_plugin.py": GOOD}
    ):
        assert registry.get("goodsms").title == "Good SMS"
        assert str(registry.source("goodsms")) == "smsctl-good 1.2.3"
    assert "goodsms" not in registry.available()
