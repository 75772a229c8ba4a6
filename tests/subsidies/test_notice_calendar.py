"""A public notice lasts at least 5 working days on the official calendar, counting its
first day, through the publishing service."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from common.models import Notification
from subsidies import services
from subsidies.models import SubsidyClaim
from tests.subsidies.flow import advance, rent_claim, rent_ready

pytestmark = pytest.mark.django_db
S = SubsidyClaim.Status
D = dt.date


@pytest.fixture
def signed_off(actors):
    rent_ready(actors)
    return advance(actors, rent_claim(actors), S.SIGNED_OFF)


def publish(actors, claim, starts_on, ends_on):
    return services.subsidy_claim_publish_notice(
        claim=claim, starts_on=starts_on, ends_on=ends_on, acting_user=actors.handler
    )


def test_a_notice_starting_2026_09_29_may_end_no_earlier_than_2026_10_10(actors, signed_off):
    # Eleven calendar days, but only four working days: 09-29, 09-30, 10-08, 10-09.
    with pytest.raises(ValidationError) as info:
        publish(actors, signed_off, D(2026, 9, 29), D(2026, 10, 9))
    assert "2026-10-10" in info.value.message_dict["ends_on"][0]
    signed_off.refresh_from_db()
    assert signed_off.status == S.SIGNED_OFF
    assert signed_off.notice_starts_on is None and signed_off.notice_ends_on is None

    claim = publish(actors, signed_off, D(2026, 9, 29), D(2026, 10, 10))  # Saturday worked
    assert claim.status == S.IN_NOTICE
    assert (claim.notice_starts_on, claim.notice_ends_on) == (D(2026, 9, 29), D(2026, 10, 10))


def test_a_notice_in_a_year_without_arrangements_counts_weekends_only(actors, signed_off):
    with pytest.raises(ValidationError) as info:
        publish(actors, signed_off, D(2027, 1, 6), D(2027, 1, 11))
    assert "2027-01-12" in info.value.message_dict["ends_on"][0]
    claim = publish(actors, signed_off, D(2027, 1, 6), D(2027, 1, 12))
    assert claim.status == S.IN_NOTICE
    alerted = Notification.objects.filter(dedupe_key="calendar-missing-2027")
    assert actors.handler.pk in set(alerted.values_list("recipient", flat=True))
