"""Install a distribution with `smsctl.providers` entry points the way pip would leave it: a
`*.dist-info` directory with METADATA and entry_points.txt on sys.path. importlib.metadata finds
it for real; nothing of smsctl is patched."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sms_cli.providers import registry


@contextmanager
def installed(
    root: Path,
    distribution: str,
    version: str,
    entry_points: Mapping[str, str],
    modules: Mapping[str, str] | None = None,
) -> Iterator[Path]:
    """`entry_points`: name -> "module:attribute"; `modules`: file name -> source, importable."""
    site = root / f"site-{distribution}"
    info = site / f"{distribution.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[smsctl.providers]\n{lines}", encoding="utf-8")
    for name, source in (modules or {}).items():
        (site / name).write_text(source, encoding="utf-8")
    sys.path.insert(0, str(site))
    registry.rescan()
    try:
        yield site
    finally:
        sys.path.remove(str(site))
        for name in modules or {}:
            sys.modules.pop(name.removesuffix(".py"), None)
        registry.rescan()
