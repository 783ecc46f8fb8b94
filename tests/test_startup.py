"""Fast start: `smsctl --help` and `smsctl split` load no network, database or provider code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sms_cli.providers import registry

FORBIDDEN_PREFIXES = (
    "httpx",
    "httpcore",
    "h11",
    "anyio",
    "sqlite3",
    "_sqlite3",
    "phonenumbers",
    "uvicorn",
    "asyncio",
    "keyring",
)
# The registry (sms_cli.providers.registry) is plain data; the clients are what must stay
# unloaded, and the plugins' entry points unscanned (importlib.metadata itself is loaded by
# pydantic's plugin loader, through typer, so the probe asks the registry instead).
CLIENT_MODULES = tuple(
    sorted(info.client.partition(":")[0] for info in registry.builtin().values())
)
FORBIDDEN_PACKAGES = (
    "sms_cli.providers.base",
    "sms_cli.providers.http",
    *CLIENT_MODULES,
    "sms_cli.providers.emulation",
    "sms_cli.storage.db",
    "sms_cli.storage.messages",
    "sms_cli.services.receiving",
    "sms_cli.core.callbacks",
)

SCANNED = "<smsctl.providers entry points scanned>"
PROBE = """
import json, sys
sys.argv = ["smsctl", *json.loads(sys.argv[1])]
from sms_cli.app import main
try:
    main()
except SystemExit:
    pass
found = sorted(sys.modules)
registry = sys.modules.get("sms_cli.providers.registry")
if registry is not None and registry._plugins is not None:
    found.append(SCANNED)
with open(OUT, "w") as f:
    f.write(json.dumps(found))
"""


def loaded_modules(args: list[str], tmp_path: Path) -> list[str]:
    out = tmp_path / "modules.json"
    code = PROBE.replace("OUT", repr(str(out))).replace("SCANNED", repr(SCANNED))
    subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return json.loads(out.read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "args",
    [["--help"], ["split", "hello"], ["split", "--json", "hello"], ["split", "--help"]],
    ids=["help", "split", "split-json", "split-help"],
)
def test_light_commands_import_nothing_heavy(args: list[str], tmp_path: Path) -> None:
    modules = loaded_modules(args, tmp_path)
    assert "sms_cli.app" in modules  # the probe really ran smsctl
    heavy = [
        m
        for m in modules
        if m.split(".")[0] in FORBIDDEN_PREFIXES
        or any(m == p or m.startswith(p + ".") for p in FORBIDDEN_PACKAGES)
    ]
    assert heavy == []
    assert SCANNED not in modules


def test_python_dash_m_runs_the_app() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sms_cli", "split", "--json", "hi"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["segment_count"] == 1


def run_main(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from sms_cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_running_one_command_behaves_like_the_whole_app() -> None:
    from typer.testing import CliRunner

    from sms_cli.app import COMMANDS, app

    whole = CliRunner().invoke(app, ["--help"], prog_name="smsctl")
    for name in COMMANDS:
        assert name in whole.stdout
    alone = run_main("split", "--help")
    assert alone.returncode == 0
    assert "Usage: smsctl split" in alone.stdout
    assert run_main("split", "--nope").returncode == 2
    assert run_main("profile", "path").returncode == 0
    version = run_main("--version")
    assert version.stdout.startswith("smsctl ")


def test_the_forbidden_list_covers_every_built_in_client() -> None:
    assert len(CLIENT_MODULES) == len(registry.builtin()) >= 1
    assert all(m.startswith("sms_cli.providers.") for m in CLIENT_MODULES)
