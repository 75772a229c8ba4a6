"""Each step of a claim tells the claimant, and each next actor that the claim waits for
them, through the outbox, a real Celery worker and a real SMTP server; nothing is queued
before the step commits."""

import pytest
from django.utils import timezone

from common.models import Notification
from portal.celery import app
from subsidies import services
from subsidies.models import SubsidyClaim
from tests.conftest import body_of
from tests.enterprises.test_service_desk_digest import run_in_worker_and_wait, wait_for
from tests.subsidies.conftest import Actors
from tests.subsidies.flow import advance, rent_claim, rent_ready

S = SubsidyClaim.Status


@pytest.fixture
def empty_queue():
    app.control.purge()


def _to(smtp_server, user) -> list[str]:
    return [body_of(m) for m in smtp_server.messages if m["X-Envelope-To"] == user.email]


@pytest.mark.django_db(transaction=True)
def test_each_step_emails_the_claimant_and_the_next_actor(empty_queue, celery_worker, smtp_server):
    actors = Actors()
    actors.member.email = "cfo@firm.example.cn"
    actors.member.save()
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.APPROVED)
    batch = services.payment_batch_create(number="2026-09", acting_user=actors.finance)
    services.payment_batch_add(batch=batch, claims=[claim], acting_user=actors.finance)
    services.payment_batch_export(batch=batch, acting_user=actors.finance)
    services.payment_batch_mark_paid(
        batch=batch, paid_on=timezone.localdate(), acting_user=actors.finance
    )
    # A carrier hears of its claim through its operator: returned, resubmitted, rejected.
    actors.operator.email = "ops@carrier.example.cn"
    actors.operator.save()
    carrier_claim = _carrier_claim(actors)
    services.subsidy_claim_submit(claim=carrier_claim, acting_user=actors.operator)
    services.subsidy_claim_return(
        claim=carrier_claim, reason="补充名单", acting_user=actors.handler
    )
    services.subsidy_claim_submit(claim=carrier_claim, acting_user=actors.operator)
    services.subsidy_claim_reject(
        claim=carrier_claim, reason="不符合条件", acting_user=actors.handler
    )

    total = Notification.objects.exclude(email="").count()
    wait_for(lambda: len(smtp_server.messages) >= total)
    run_in_worker_and_wait()
    assert len(smtp_server.messages) == total
    assert not Notification.objects.exclude(status=Notification.Status.SENT).exclude(email="")
    # The firm hears of every step it heard of before but its own (drafting and submitting),
    # each with its claim page.
    firm_steps = [S.UNDER_REVIEW, S.SIGNED_OFF, S.IN_NOTICE, S.APPROVED, S.IN_BATCH, S.PAID]
    to_firm = _to(smtp_server, actors.member)
    assert len(to_firm) == len(firm_steps)
    assert all(f"/subsidies/claims/{claim.pk}/" in body for body in to_firm)
    assert any("24,000.00" in body for body in to_firm)
    # Outside the bureau no officer is named.
    assert not any(actors.handler.display_name in body for body in to_firm)
    to_carrier = _to(smtp_server, actors.operator)
    assert len(to_carrier) == 2  # returned and rejected (the operator drafted and submitted)
    assert any("补充名单" in body for body in to_carrier)
    assert any("不符合条件" in body for body in to_carrier)
    # The bureau's people are told when the claim waits for them, with its admin page.
    admin_page = f"/admin/subsidies/subsidyclaim/{claim.pk}/change/"
    for who in (actors.handler, actors.head, actors.deputy, actors.finance):
        assert any(admin_page in body for body in _to(smtp_server, who)), who


def _carrier_claim(actors):
    import datetime as dt

    from subsidies.models import Programme
    from tests.enterprises.factories import HighTechCertificateFactory
    from tests.incubators.factories import TenancyFactory
    from tests.subsidies.factories import YEAR, policy

    policy(Programme.CARRIER_HTE)
    tenancy = TenancyFactory(incubator=actors.incubator, moved_in_on=dt.date(YEAR - 1, 1, 1))
    HighTechCertificateFactory(enterprise=tenancy.enterprise, issued_on=dt.date(YEAR, 4, 1))
    return services.subsidy_claim_draft(
        programme=Programme.CARRIER_HTE,
        year=YEAR,
        incubator=actors.incubator,
        acting_user=actors.operator,
    )


@pytest.mark.django_db
def test_a_step_queues_its_email_only_once_committed(actors, django_capture_on_commit_callbacks):
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.SUBMITTED)
    before = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.subsidy_claim_take_up(claim=claim, acting_user=actors.handler)
    written = Notification.objects.order_by("pk")[before:]
    assert {n.recipient for n in written} == {actors.member}  # not the handler who took it
    assert all(n.status == Notification.Status.PENDING for n in written)
    assert callbacks  # the sending task is queued by these, after the commit
