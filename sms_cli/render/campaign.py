"""What `bulk show` and `status --job` print: a campaign's rows by state. (Issue 14.)"""

from __future__ import annotations

from sms_cli.services.bulk.campaign import CampaignView


def emit(view: CampaignView, *, json: bool) -> None:
    raise NotImplementedError
