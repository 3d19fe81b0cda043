"""The rendered answers are consistent with what the pipeline needs."""

from email.utils import parseaddr

from entsoe.mappings import Area

from {{ package_name }} import settings


def test_event_contract_names() -> None:
    assert settings.EVENT_NAME == "entsoe.document.pushed"
    assert settings.WEBHOOK_RESOURCE_ID == f"entsoe.webhook.{settings.PROJECT_SLUG}"


def test_bidding_zones_are_known_eic_areas() -> None:
    known = {area.code for area in Area}
    assert settings.BIDDING_ZONES
    assert set(settings.BIDDING_ZONES) <= known


def test_recipients_are_addresses() -> None:
    assert settings.RECIPIENTS
    for address in settings.RECIPIENTS:
        assert parseaddr(address)[1] == address and "@" in address
