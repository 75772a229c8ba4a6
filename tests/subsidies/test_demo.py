"""The demo's subsidies: every programme, claims at many stages, the auditor's desk, and the
demo firm's claim page with its amount, policy version and who has yet to sign."""

from io import StringIO

import pytest
from django.core.management import call_command

from common.lib.money import format_yuan
from portal import demo
from subsidies.models import PaymentBatch, Programme, RDAudit, SubsidyClaim

# Run with the other tests reading the demo, on one worker: the demo is seeded once for them.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo")]
S = SubsidyClaim.Status


@pytest.fixture
def seeded(seeded_demo):
    """The demo, seeded once for this module."""


def test_demo_has_claims_of_every_programme_at_many_stages(seeded):
    assert set(SubsidyClaim.objects.values_list("programme", flat=True)) == set(Programme.values)
    statuses = set(SubsidyClaim.objects.values_list("status", flat=True))
    assert set(S.values) <= statuses
    assert PaymentBatch.objects.filter(status="paid").exists()
    assert PaymentBatch.objects.filter(status="open").exists()


def test_demo_auditor_sees_an_open_audit_of_the_firm(seeded, client):
    client.post("/accounts/login/", {"username": "auditor", "password": demo.DEMO_PASSWORD})
    response = client.get("/subsidies/audits/")
    audits = list(response.context["audits"])
    assert audits and all(a.firm.name == audits[0].firm.name for a in audits)
    assert any(not a.is_completed for a in audits)
    assert RDAudit.objects.exclude(firm=audits[0].firm).count() == 0


def test_demo_claim_page_shows_amount_policy_version_and_who_is_to_sign(seeded, client):
    client.post("/accounts/login/", {"username": "enterprise", "password": demo.DEMO_PASSWORD})
    claim = SubsidyClaim.objects.get(
        enterprise__users__username="enterprise", programme=Programme.RD_INVESTMENT
    )
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    body = client.get(f"/subsidies/claims/{claim.pk}/").content.decode()
    assert format_yuan(claim.eligible_amount) in body
    assert claim.policy.document_number in body
    assert body.count("not yet signed") == 2


def test_seed_demo_twice_adds_no_claims(seeded):
    before = (SubsidyClaim.objects.count(), SubsidyClaim.history.count())
    call_command("seed_demo", force=True, stdout=StringIO())
    assert (SubsidyClaim.objects.count(), SubsidyClaim.history.count()) == before


def test_the_demo_logins_walk_a_claim_from_submission_and_one_to_payment(seeded):
    """Whatever day the demo is seeded: a submitted claim the demo logins sign off, and a
    claim whose public notice has ended that they approve, batch and pay."""
    import datetime as dt

    from django.utils import timezone

    from portal.accounts.models import User
    from subsidies import services

    staff, head, deputy, finance = (
        User.objects.get(username=name) for name in ("staff", "sectionhead", "deputy", "finance")
    )
    fresh = SubsidyClaim.objects.filter(status=S.SUBMITTED).order_by("pk").first()
    services.subsidy_claim_take_up(claim=fresh, acting_user=staff)
    for signer in (staff, head, deputy):
        services.subsidy_claim_sign(claim=fresh, acting_user=signer)
    fresh.refresh_from_db()
    assert fresh.status == S.SIGNED_OFF

    today = timezone.localdate()
    ended = SubsidyClaim.objects.filter(status=S.NOTICE_ENDED, notice_ends_on__lt=today).first()
    services.subsidy_claim_approve(
        claim=ended, approved_amount=ended.eligible_amount, acting_user=staff
    )
    batch = services.payment_batch_create(number="DEMO-WALK", acting_user=finance)
    services.payment_batch_add(batch=batch, claims=[ended], acting_user=finance)
    services.payment_batch_export(batch=batch, acting_user=finance)
    services.payment_batch_mark_paid(batch=batch, paid_on=today, acting_user=finance)
    ended.refresh_from_db()
    assert ended.status == S.PAID and ended.paid_on == today
    assert ended.notice_ends_on >= today - dt.timedelta(days=30)  # dated from the seed's day
