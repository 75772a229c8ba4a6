"""Two writers at once: the locks keep the budget and the sign-off chain whole."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from subsidies import services
from subsidies.models import SignOff, SubsidyClaim
from tests.portal.factories import StaffFactory
from tests.race import run_together
from tests.subsidies.conftest import Actors
from tests.subsidies.factories import policy
from tests.subsidies.flow import advance, rent_claim, rent_ready

pytestmark = pytest.mark.django_db(transaction=True)
S = SubsidyClaim.Status


def test_concurrent_approvals_never_exceed_the_budget():
    first, second = Actors(), Actors()
    rent_ready(first)
    rent_ready(second)
    policy("rent", yearly_budget=Decimal("30000"))
    claims = [advance(a, rent_claim(a), S.NOTICE_ENDED) for a in (first, second)]
    outcomes = run_together(
        *(
            lambda claim=claim, who=who: services.subsidy_claim_approve(
                claim=claim, approved_amount=claim.eligible_amount, acting_user=who.handler
            )
            for claim, who in zip(claims, (first, second), strict=True)
        )
    )
    assert sum(isinstance(o, SubsidyClaim) for o in outcomes) == 1
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
    assert SubsidyClaim.objects.filter(status=S.APPROVED).count() == 1


def test_concurrent_signatures_of_one_stage_keep_one():
    actors = Actors()
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.UNDER_REVIEW)
    colleague = StaffFactory(first_name="经办二")  # a second case handler
    outcomes = run_together(
        *(
            lambda who=who: services.subsidy_claim_sign(
                claim=claim, stage=SignOff.Stage.HANDLER, acting_user=who
            )
            for who in (actors.handler, colleague)
        )
    )
    assert sum(isinstance(o, SignOff) for o in outcomes) == 1
    assert SignOff.objects.filter(claim=claim).count() == 1
