"""Every built-in provider runs the exported contract suite (sms_cli.testing), as a plugin would.

One test class per provider, made from the registry: a new built-in provider gets the whole
suite by existing.
"""

from __future__ import annotations

from sms_cli.providers import registry
from sms_cli.testing import ProviderContract

for _name in sorted(registry.builtin()):
    _class = f"TestContract_{_name}"
    globals()[_class] = type(_class, (ProviderContract,), {"provider": _name})
