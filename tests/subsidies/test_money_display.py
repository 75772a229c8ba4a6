"""Subsidy pages are in yuan: every amount with thousands separators, never raw."""

from decimal import Decimal

import pytest
from django.urls import reverse

from subsidies.models import SubsidyClaim
from tests.portal.factories import StaffFactory
from tests.subsidies.factories import SubsidyClaimFactory

pytestmark = pytest.mark.django_db
RAW = "1113333.33"
SHOWN = "1,113,333.33"


@pytest.fixture
def claim(actors):
    return SubsidyClaimFactory(
        enterprise=actors.enterprise,
        status=SubsidyClaim.Status.APPROVED,
        claimed_amount=Decimal(RAW),
        eligible_amount=Decimal(RAW),
        approved_amount=Decimal(RAW),
    )


def test_claimant_pages_show_yuan_with_separators(client, actors, claim):
    client.force_login(actors.member)
    for url in (
        reverse("subsidies:my_claims"),
        reverse("subsidies:claim_detail", args=[claim.pk]),
    ):
        content = client.get(url).content.decode()
        assert SHOWN in content, url
        assert RAW not in content, url  # a template printing an amount field raw fails here


def test_admin_shows_claim_amounts_with_separators(client, claim):
    client.force_login(StaffFactory(is_superuser=True))
    for url in (
        reverse("admin:subsidies_subsidyclaim_changelist"),
        reverse("admin:subsidies_subsidyclaim_change", args=[claim.pk]),
    ):
        content = client.get(url).content.decode()
        assert SHOWN in content, url
        assert RAW not in content, url
