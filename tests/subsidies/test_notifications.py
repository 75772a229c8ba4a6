"""Each step of a claim emails the claimant, through a real Celery worker to a real SMTP
server; nothing is queued before the step commits."""

import pytest
from django.utils import timezone

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


@pytest.mark.django_db(transaction=True)
def test_each_step_emails_the_claimant(empty_queue, celery_worker, smtp_server):
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

    firm_steps = [S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.SIGNED_OFF, S.IN_NOTICE, S.APPROVED,
                  S.IN_BATCH, S.PAID]  # fmt: skip
    carrier_steps = [S.DRAFT, S.SUBMITTED, S.RETURNED, S.SUBMITTED, S.REJECTED]
    total = len(firm_steps) + len(carrier_steps)
    wait_for(lambda: len(smtp_server.messages) >= total)
    run_in_worker_and_wait()
    assert len(smtp_server.messages) == total
    to_firm = [m for m in smtp_server.messages if m["X-Envelope-To"] == "cfo@firm.example.cn"]
    assert len(to_firm) == len(firm_steps)
    bodies = [body_of(m) for m in to_firm]
    assert all(f"/subsidies/claims/{claim.pk}/" in body for body in bodies)
    assert any("24000.00" in body for body in bodies)
    to_carrier = [body_of(m) for m in smtp_server.messages if m not in to_firm]
    assert any("补充名单" in body for body in to_carrier)
    assert any("不符合条件" in body for body in to_carrier)


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
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.subsidy_claim_take_up(claim=claim, acting_user=actors.handler)
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_a_vanished_step_sends_nothing(smtp_server):
    assert services.claim_change_notify(change_id=987654) == 0
    assert smtp_server.messages == []
