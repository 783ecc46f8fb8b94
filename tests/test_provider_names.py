"""No built-in provider is named outside its own package: help, hints, comments and code
outside `sms_cli/providers/<name>/` speak of providers generically or take what they say from
`ProviderInfo` at run time. registry.py is the one place that lists the built-in packages."""

from __future__ import annotations

import re
from pathlib import Path

from sms_cli.providers import registry

PACKAGE = Path(__file__).resolve().parent.parent / "sms_cli"


def test_no_builtin_provider_is_named_outside_its_package() -> None:
    infos = registry.builtin().values()
    words = sorted({w for info in infos for w in (info.name, info.title)}, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
    own = {PACKAGE / "providers" / info.name for info in infos}
    hits = []
    for path in sorted(PACKAGE.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        if path == PACKAGE / "providers" / "registry.py" or any(d in path.parents for d in own):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert not hits, "provider names outside their packages:\n" + "\n".join(hits)
