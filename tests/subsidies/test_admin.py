"""Staff and finance admin: changelists that do not grow in queries; steps of a claim, an
application and a batch run their services from the change form."""

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from enterprises.models import HighTechCertificate
from subsidies.models import (
    HighTechApplication,
    PaymentBatch,
    Programme,
    SignOff,
    SubsidyClaim,
)
from tests.enterprises.factories import EnterpriseFactory, HighTechCertificateFactory
from tests.incubators.factories import IncubatorFactory
from tests.subsidies.factories import YEAR, policy
from tests.subsidies.flow import advance, rent_claim, rent_ready

pytestmark = pytest.mark.django_db
S = SubsidyClaim.Status
D = Decimal


def _login(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _claims(n: int) -> None:
    rule = policy(Programme.RENT)
    carrier_rule = policy(Programme.CARRIER_HTE)
    batch = PaymentBatch.objects.create(number=f"B{n}")
    for i in range(n):
        SubsidyClaim.objects.create(
            programme=Programme.RENT,
            year=YEAR,
            policy=rule,
            enterprise=EnterpriseFactory(),
            status=S.IN_BATCH if i % 2 else S.SUBMITTED,
            payment_batch=batch if i % 2 else None,
            rent_month_from=1,
            rent_month_to=12,
            eligible_amount=D("24000"),
            approved_amount=D("24000") if i % 2 else None,
        )
        SubsidyClaim.objects.create(
            programme=Programme.CARRIER_HTE,
            year=YEAR,
            policy=carrier_rule,
            incubator=IncubatorFactory(),
            status=S.APPROVED,
            eligible_amount=D("100000"),
            approved_amount=D("100000"),
        )
        HighTechApplication.objects.create(
            enterprise=EnterpriseFactory(),
            year=YEAR,
            batch_number=1,
            recommended_on=dt.date(YEAR, 3, 1),
        )


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:subsidies_subsidyclaim_changelist",
        "admin:subsidies_subsidypolicy_changelist",
        "admin:subsidies_paymentbatch_changelist",
        "admin:subsidies_hightechapplication_changelist",
        "admin:subsidies_rdaudit_changelist",
        "admin:subsidies_auditfirm_changelist",
    ],
)
@pytest.mark.parametrize("rows", [5, 40])
def test_changelists_query_count_does_not_grow(
    client, actors, django_assert_max_num_queries, url_name, rows
):
    _claims(rows)
    _login(client, actors.handler)
    # session, user, group permissions, the page with its related rows (joined), the
    # estimated count, filter choices, the savepoint pair; none per row.
    with django_assert_max_num_queries(14):
        response = client.get(reverse(url_name))
    assert response.status_code == 200


def test_finance_sees_batches_but_cannot_change_claims(client, actors):
    _claims(2)
    _login(client, actors.finance)
    assert client.get(reverse("admin:subsidies_paymentbatch_changelist")).status_code == 200
    claim = SubsidyClaim.objects.first()
    assert client.get(reverse("admin:subsidies_subsidyclaim_changelist")).status_code == 200
    response = _step(client, claim, step="take_up")
    assert response.status_code == 403


def _inlines(*prefixes: str) -> dict[str, str]:
    """The management forms of the read-only inlines a change form posts back."""
    data = {}
    for prefix in prefixes:
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    return data


CLAIM_INLINES = _inlines("status_changes", "sign_offs", "objections", "attachments")


def _step(client, claim, **data):
    url = reverse("admin:subsidies_subsidyclaim_change", args=[claim.pk])
    return client.post(url, {**CLAIM_INLINES, **data})


def test_staff_walk_a_claim_through_its_steps_in_admin(client, actors):
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.SUBMITTED)
    _login(client, actors.handler)
    page = client.get(reverse("admin:subsidies_subsidyclaim_change", args=[claim.pk]))
    assert page.status_code == 200 and b"24000.00" in page.content
    assert _step(client, claim, step="take_up").status_code == 302
    assert _step(client, claim, step="sign", stage=SignOff.Stage.HANDLER).status_code == 302
    # out of order: the deputy director before the section head
    _login(client, actors.deputy)
    response = _step(client, claim, step="sign", stage=SignOff.Stage.DEPUTY_DIRECTOR)
    assert response.status_code == 200 and b"must sign first" in response.content
    _login(client, actors.head)
    _step(client, claim, step="sign", stage=SignOff.Stage.SECTION_HEAD)
    _login(client, actors.deputy)
    _step(client, claim, step="sign", stage=SignOff.Stage.DEPUTY_DIRECTOR)
    _login(client, actors.handler)
    response = _step(client, claim, step="publish", starts_on="2026-01-05", ends_on="2026-01-06")
    assert b"at least 5 working days" in response.content
    assert b"2026-01-09 at the earliest" in response.content
    _step(client, claim, step="publish", starts_on="2026-01-05", ends_on="2026-01-11")
    response = _step(client, claim, step="approve", approved="30000")
    assert b"cannot exceed the eligible amount" in response.content
    response = _step(client, claim, step="approve", approved="20000")
    assert b"differs" in response.content
    response = _step(client, claim, step="approve", approved="20000", text="面积核减")
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.approved_amount) == (S.APPROVED, D("20000.00"))


def test_staff_draft_a_claim_in_admin_with_the_amount_computed(client, actors):
    rent_ready(actors)
    _login(client, actors.handler)
    response = client.post(
        reverse("admin:subsidies_subsidyclaim_add"),
        {
            "programme": "rent",
            "year": YEAR,
            "enterprise": actors.enterprise.pk,
            "rent_month_from": 1,
            "rent_month_to": 6,
        },
    )
    assert response.status_code == 302
    claim = SubsidyClaim.objects.get()
    assert (claim.status, claim.eligible_amount) == (S.DRAFT, D("12000.00"))
    response = client.post(
        reverse("admin:subsidies_subsidyclaim_add"),
        {
            "programme": "rent",
            "year": YEAR,
            "enterprise": actors.enterprise.pk,
            "rent_month_from": 7,
            "rent_month_to": 8,
        },
    )
    assert response.status_code == 200 and b"already has" in response.content
    assert SubsidyClaim.objects.count() == 1


def test_finance_batches_exports_and_marks_paid_in_admin(client, actors):
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.APPROVED)
    _login(client, actors.finance)
    response = client.post(reverse("admin:subsidies_paymentbatch_add"), {"number": "2026-07"})
    assert response.status_code == 302
    batch = PaymentBatch.objects.get()
    url = reverse("admin:subsidies_paymentbatch_change", args=[batch.pk])
    assert client.post(url, {**_inlines("claims"), "add_claims": [claim.pk]}).status_code == 302
    response = client.post(
        reverse("admin:subsidies_paymentbatch_changelist"),
        {"action": "export_xlsx", "_selected_action": [batch.pk]},
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    import io

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][1] == "统一社会信用代码" and rows[1][1] == actors.enterprise.uscc
    assert rows[1][5] == "2.4"
    # exported: claims can no longer be taken out
    response = client.post(url, {**_inlines("claims"), "remove_claims": [claim.pk]})
    assert response.status_code in (200, 302)
    claim.refresh_from_db()
    assert claim.payment_batch_id == batch.pk
    assert (
        client.post(
            url, {**_inlines("claims"), "mark_paid_on": dt.date.today().isoformat()}
        ).status_code
        == 302
    )
    claim.refresh_from_db()
    assert claim.status == S.PAID


def test_recognition_in_admin_drafts_the_reward(client, actors):
    policy(Programme.HTE_NEW)
    _login(client, actors.handler)
    response = client.post(
        reverse("admin:subsidies_hightechapplication_add"),
        {
            "enterprise": actors.enterprise.pk,
            "year": YEAR,
            "batch_number": 3,
            "recommended_on": f"{YEAR}-04-01",
        },
    )
    assert response.status_code == 302
    application = HighTechApplication.objects.get()
    url = reverse("admin:subsidies_hightechapplication_change", args=[application.pk])

    def step_url(target: str) -> str:
        return reverse("admin:subsidies_hightechapplication_step", args=[application.pk, target])

    # Only the steps open from the current state are offered.
    page = client.get(url).content.decode()
    assert step_url("preliminary_passed") in page and step_url("recognised") not in page
    assert client.post(step_url("recognised"), {"certificate": "GR000"}).status_code == 403
    assert client.post(step_url("preliminary_passed"), {"note": ""}).status_code == 302
    page = client.get(url).content.decode()
    assert step_url("recognised") in page and step_url("not_recognised") in page
    certificate = HighTechCertificateFactory(
        enterprise=actors.enterprise,
        issued_on=dt.date(YEAR, 11, 20),
        kind=HighTechCertificate.Kind.NEW,
    )
    response = client.post(step_url("recognised"), {"certificate": "GR000"})
    assert b"No certificate has this number" in response.content
    application.refresh_from_db()
    assert application.status == HighTechApplication.Status.PRELIMINARY_PASSED
    response = client.post(step_url("recognised"), {"certificate": certificate.number})
    assert response.status_code == 302
    claim = SubsidyClaim.objects.get()
    assert (claim.programme, claim.status, claim.eligible_amount) == (
        Programme.HTE_NEW,
        S.DRAFT,
        D("500000.00"),
    )


def test_a_second_recommendation_of_the_year_is_refused_at_the_field(client, actors):
    _login(client, actors.handler)
    data = {
        "enterprise": actors.enterprise.pk,
        "year": YEAR,
        "batch_number": 3,
        "recommended_on": f"{YEAR}-04-01",
    }
    url = reverse("admin:subsidies_hightechapplication_add")
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "batch_number": 4})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["enterprise"]
    assert HighTechApplication.objects.get().batch_number == 3
