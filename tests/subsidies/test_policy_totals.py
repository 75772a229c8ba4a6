"""What each policy version has committed and paid is kept on the version as its claims
change (the changelist lists the stored totals instead of summing the whole ledger)."""

import datetime as dt
from decimal import Decimal as D

import pytest

from subsidies.models import Programme, SubsidyClaim, SubsidyPolicy
from subsidies.services.totals import policy_totals_refresh
from tests.enterprises.factories import EnterpriseFactory
from tests.subsidies.factories import YEAR, policy

pytestmark = pytest.mark.django_db
S = SubsidyClaim.Status


def _claim(on, status, amount):
    return SubsidyClaim.objects.create(
        programme=on.code,
        year=YEAR,
        policy=on,
        enterprise=EnterpriseFactory(),
        status=status,
        rent_month_from=1,
        rent_month_to=12,
        eligible_amount=amount,
        approved_amount=amount,
        paid_on=dt.date(YEAR, 12, 1) if status == S.PAID else None,
    )


def _totals(version):
    return tuple(
        SubsidyPolicy.objects.values_list("committed_total", "paid_total").get(pk=version.pk)
    )


def test_the_totals_follow_each_save_move_and_delete_of_a_claim():
    rent, other = policy(Programme.RENT), policy(Programme.CARRIER_HTE)
    approved = _claim(rent, S.APPROVED, D("1000"))
    _claim(rent, S.SUBMITTED, D("4000000"))  # not committed yet
    assert _totals(rent) == (D("1000"), D("0"))

    approved.status, approved.paid_on = S.PAID, dt.date(YEAR, 12, 1)
    approved.save()
    assert _totals(rent) == (D("1000"), D("1000"))

    moved = SubsidyClaim.objects.get(pk=approved.pk)  # read afresh, as a service would
    moved.policy = other
    moved.programme = other.code
    moved.save()
    assert (_totals(rent), _totals(other)) == ((D("0"), D("0")), (D("1000"), D("1000")))

    moved.delete()
    assert _totals(other) == (D("0"), D("0"))


def test_a_refresh_sums_what_the_ledger_holds():
    """Rows written around the models (as a bulk load would) are counted at the next refresh."""
    rent = policy(Programme.RENT)
    _claim(rent, S.IN_BATCH, D("20000"))
    SubsidyClaim.objects.filter(policy=rent).update(approved_amount=D("15000"))
    assert _totals(rent) == (D("20000"), D("0"))
    policy_totals_refresh([rent.pk, None])
    assert _totals(rent) == (D("15000"), D("0"))


@pytest.mark.django_db(transaction=True)
def test_a_claim_saved_in_autocommit_refreshes_its_version():
    """A save outside any transaction (a script, a live-server test's factory) refreshes in a
    transaction of its own rather than failing on the version's row lock."""
    rent = policy(Programme.RENT)
    _claim(rent, S.APPROVED, D("3000"))
    assert _totals(rent) == (D("3000"), D("0"))
