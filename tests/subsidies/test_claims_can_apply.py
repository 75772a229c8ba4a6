"""The claimant's own claims page says, per programme open now, whether it can apply and
why not: the reasons are the refusals a draft would raise (one service function)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from subsidies import services
from subsidies.models import Programme, SubsidyClaim
from tests.subsidies.factories import YEAR, policy
from tests.subsidies.flow import rent_claim, rent_ready

pytestmark = pytest.mark.django_db


def rows(client, user) -> dict[str, dict]:
    client.force_login(user)
    response = client.get(reverse("subsidies:my_claims"))
    assert response.status_code == 200
    return {
        item["policy"].code: item
        for item in response.context["programmes"]
        if item["policy"].year == YEAR
    }


def test_the_firm_sees_per_programme_whether_it_can_apply_and_why_not(client, actors):
    rent_ready(actors)
    hte = policy(Programme.HTE_NEW)
    shown = rows(client, actors.member)
    assert shown["rent"]["refusals"] == []
    assert shown["hte_new"]["refusals"]  # no high-tech certificate in the registry
    body = client.get(reverse("subsidies:my_claims")).content.decode()
    assert f'data-programme="rent" data-year="{YEAR}" data-can-apply="yes"' in body
    assert f'data-programme="hte_new" data-year="{YEAR}" data-can-apply="no"' in body
    # The reasons are the draft's own refusals.
    with pytest.raises(ValidationError) as refused:
        services.subsidy_claim_draft(
            programme=hte.code, year=YEAR, enterprise=actors.enterprise, acting_user=actors.member
        )
    assert shown["hte_new"]["refusals"] == list(dict.fromkeys(refused.value.messages))
    assert not SubsidyClaim.objects.filter(programme=Programme.HTE_NEW).exists()


def test_a_programme_claimed_already_says_so(client, actors):
    rent_ready(actors)
    rent_claim(actors)
    assert rows(client, actors.member)["rent"]["refusals"]


def test_carrier_programmes_are_for_carriers_only(client, actors):
    policy(Programme.CARRIER_HTE)
    policy(Programme.RENT)
    assert set(rows(client, actors.operator)) == {"carrier_hte", "carrier_listing"}
    assert not {"carrier_hte", "carrier_listing"} & set(rows(client, actors.member))


def test_the_claims_page_query_count_does_not_grow_with_claims(client, actors):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rent_ready(actors)
    client.force_login(actors.member)
    counts = []
    for claims in (1, 8):
        for year in range(2000 + len(counts) * 100, 2000 + len(counts) * 100 + claims):
            rule = policy(Programme.HTE_RENEWAL, year=year)
            SubsidyClaim.objects.create(
                programme=Programme.HTE_RENEWAL,
                year=year,
                policy=rule,
                enterprise=actors.enterprise,
            )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("subsidies:my_claims")).status_code == 200
        counts.append(len(queries))
    # session, user, the claims with policy and claimant, their sign-offs, the active
    # programmes, and for each open programme the checks a draft makes (its policy, the
    # duplicate and paid-elsewhere checks, the registry, the call windows): bounded by the
    # programmes open (eight in the seeded data), never by the claims
    assert counts[0] == counts[1] <= 70, counts


def test_a_check_does_not_ask_whether_the_rows_it_was_given_exist(actors):
    """The claims page checks every open programme: the policy and the firm are rows just
    read, so no check asks the database for them again (a foreign key's validation would,
    a query per row per programme)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rent_ready(actors)
    rule = policy(Programme.RENT)
    with CaptureQueriesContext(connection) as queries:
        services.subsidy_claim_refusals(policy=rule, enterprise=actors.enterprise)
    asked = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT 1 AS")
        and (
            'FROM "enterprises_enterprise"' in q["sql"]
            or 'FROM "subsidies_subsidypolicy"' in q["sql"]
        )
    ]
    assert asked == []
