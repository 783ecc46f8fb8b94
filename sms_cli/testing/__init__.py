"""What smsctl exports for testing providers, built-in or plugin: `ProviderContract`.

    from sms_cli.testing import ProviderContract

    class TestMyProvider(ProviderContract):
        provider = "myprovider"

Only test code imports this package (it needs pytest); smsctl itself never does.
"""

from __future__ import annotations

from sms_cli.testing.contract import CANARY, EmulatorControl, ProviderContract, receiver_running

__all__ = ["CANARY", "EmulatorControl", "ProviderContract", "receiver_running"]
