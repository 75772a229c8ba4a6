"""Each step of a claim emails the claimant, through a real Celery worker to a real SMTP
server; nothing is queued before the step commits."""

import pytest

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
def test_each_step_emails_the_enterprise(empty_queue, celery_worker, smtp_server):
    actors = Actors()
    actors.member.email = "cfo@firm.example.cn"
    actors.member.save()
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.APPROVED)
    steps = [S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.SIGNED_OFF, S.IN_NOTICE, S.APPROVED]
    wait_for(lambda: len(smtp_server.messages) >= len(steps))
    run_in_worker_and_wait()
    assert len(smtp_server.messages) == len(steps)
    assert {m["X-Envelope-To"] for m in smtp_server.messages} == {"cfo@firm.example.cn"}
    bodies = [body_of(m) for m in smtp_server.messages]
    assert all(f"/subsidies/claims/{claim.pk}/" in body for body in bodies)
    assert any("24000.00" in body for body in bodies)


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
