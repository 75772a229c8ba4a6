"""Money moves once: a subsidy claim is paid once, by any path.

Marking a batch paid writes one payment row per claim, unique per claim in the database, so
a claim whose status was set back (by a raw update, as a history revert used to do) is
refused a second payment: it cannot join another batch, go to the treasury again, or be
marked paid again. The history pages answer GET only.
"""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from subsidies import services
from subsidies.models import ClaimPayment, PaymentBatch, SubsidyClaim
from tests.portal.factories import UserFactory
from tests.race import run_together
from tests.subsidies.conftest import Actors
from tests.subsidies.factories import PaymentBatchFactory, SubsidyClaimFactory
from tests.subsidies.flow import advance, rent_claim, rent_ready

S = SubsidyClaim.Status


def exported_batch(actors, number: str, claims) -> PaymentBatch:
    batch = services.payment_batch_create(number=number, acting_user=actors.finance)
    services.payment_batch_add(batch=batch, claims=claims, acting_user=actors.finance)
    services.payment_batch_export(batch=batch, acting_user=actors.finance)
    return batch


def paid_claim(actors) -> tuple[SubsidyClaim, PaymentBatch]:
    """A rent claim approved and paid in batch "2026-001", through the services."""
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.APPROVED)
    batch = exported_batch(actors, "2026-001", [claim])
    services.payment_batch_mark_paid(
        batch=batch, paid_on=timezone.localdate(), acting_user=actors.finance
    )
    claim.refresh_from_db()
    return claim, batch


def set_back(claim: SubsidyClaim, *, into: PaymentBatch | None = None) -> None:
    """The claim's status set back around every service: approved, or in another batch."""
    SubsidyClaim.objects.filter(pk=claim.pk).update(
        status=S.IN_BATCH if into else S.APPROVED, paid_on=None, payment_batch=into
    )


def assert_paid_once(claim: SubsidyClaim, batch: PaymentBatch) -> None:
    payment = ClaimPayment.objects.get(claim=claim)
    assert (payment.batch, payment.amount) == (batch, claim.approved_amount)
    assert ClaimPayment.objects.count() == 1


# ------------------------------------------------------------------------------ service


@pytest.mark.django_db
def test_marking_a_batch_paid_writes_one_payment_per_claim(actors):
    claim, batch = paid_claim(actors)
    payment = claim.payment
    assert (payment.batch, payment.amount, payment.paid_on) == (
        batch,
        claim.approved_amount,
        claim.paid_on,
    )
    assert payment.recorded_by == actors.finance


@pytest.mark.django_db
def test_marking_a_paid_batch_paid_again_pays_once(actors, english):
    claim, batch = paid_claim(actors)
    with pytest.raises(ValidationError, match="“Paid” and cannot become “Paid”"):
        services.payment_batch_mark_paid(
            batch=batch, paid_on=timezone.localdate(), acting_user=actors.finance
        )
    assert_paid_once(claim, batch)


@pytest.mark.django_db
def test_a_claim_set_back_to_approved_cannot_join_another_batch(actors, english):
    claim, first = paid_claim(actors)
    set_back(claim)
    second = services.payment_batch_create(number="2026-002", acting_user=actors.finance)
    with pytest.raises(ValidationError, match="already paid on .* in batch 2026-001"):
        services.payment_batch_add(batch=second, claims=[claim], acting_user=actors.finance)
    claim.refresh_from_db()
    assert (claim.status, claim.payment_batch) == (S.APPROVED, None)
    assert_paid_once(claim, first)


@pytest.mark.django_db
def test_a_claim_set_back_into_another_batch_is_not_exported(actors, english):
    claim, first = paid_claim(actors)
    second = services.payment_batch_create(number="2026-002", acting_user=actors.finance)
    set_back(claim, into=second)
    with pytest.raises(ValidationError, match="a claim is paid once"):
        services.payment_batch_export(batch=second, acting_user=actors.finance)
    second.refresh_from_db()
    assert second.status == PaymentBatch.Status.OPEN
    assert_paid_once(claim, first)


@pytest.mark.django_db
def test_a_claim_set_back_into_an_exported_batch_is_not_paid_again(actors, english):
    claim, first = paid_claim(actors)
    second = services.payment_batch_create(number="2026-002", acting_user=actors.finance)
    set_back(claim, into=second)
    PaymentBatch.objects.filter(pk=second.pk).update(
        status=PaymentBatch.Status.EXPORTED, exported_at=timezone.now()
    )
    with pytest.raises(ValidationError, match="already paid on .* in batch 2026-001"):
        services.payment_batch_mark_paid(
            batch=second, paid_on=timezone.localdate(), acting_user=actors.finance
        )
    second.refresh_from_db()
    claim.refresh_from_db()
    assert (second.status, claim.status) == (PaymentBatch.Status.EXPORTED, S.IN_BATCH)
    assert_paid_once(claim, first)


@pytest.mark.django_db
def test_the_database_refuses_a_second_payment_of_a_claim(actors):
    claim, batch = paid_claim(actors)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimPayment.objects.create(
            claim=claim, batch=batch, amount=claim.approved_amount, paid_on=claim.paid_on
        )


@pytest.mark.django_db
def test_the_migration_gives_every_claim_paid_in_a_batch_its_payment_row(actors):
    from django.apps import apps

    backfill = importlib.import_module("subsidies.migrations.0005_backfill_claim_payments")
    day = dt.date(2025, 12, 20)
    batch = PaymentBatchFactory()
    batch.status, batch.paid_on, batch._history_user = PaymentBatch.Status.PAID, day, actors.finance
    batch.save()
    money = {"eligible_amount": Decimal("24000"), "approved_amount": Decimal("24000")}
    paid = SubsidyClaimFactory(status=S.PAID, paid_on=day, payment_batch=batch, **money)
    SubsidyClaimFactory(status=S.PAID, paid_on=day, source=SubsidyClaim.Source.LEDGER, **money)
    backfill.forwards(apps, None)
    backfill.forwards(apps, None)  # run again: the row is not written twice
    payment = ClaimPayment.objects.get()  # the ledger's own payment stays history
    assert (payment.claim, payment.batch, payment.amount) == (paid, batch, Decimal("24000"))
    assert (payment.paid_on, payment.recorded_by) == (day, actors.finance)
    backfill.backwards(apps, None)
    assert not ClaimPayment.objects.exists()


# -------------------------------------------------------------------------------- admin


def _post_batch(client, batch, step, **data):
    """Post a batch's step ("paid") or page action ("add") as the admin's buttons do."""
    name = "step" if step in PaymentBatch.Status.values else "do"
    url = reverse(f"admin:subsidies_paymentbatch_{name}", args=[batch.pk, step])
    return client.post(url, data, headers={"accept-language": "en"})


@pytest.mark.django_db
def test_the_admin_marks_a_claim_paid_once(client, actors):
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.APPROVED)
    first = exported_batch(actors, "2026-001", [claim])
    client.force_login(actors.finance)
    today = timezone.localdate().isoformat()
    assert _post_batch(client, first, "paid", paid_on=today).status_code == 302
    # Paid: the step is no longer offered, and posting it anyway is refused.
    assert _post_batch(client, first, "paid", paid_on=today).status_code == 403
    # Set back to approved: it cannot join another batch.
    claim.refresh_from_db()
    set_back(claim)
    second = services.payment_batch_create(number="2026-002", acting_user=actors.finance)
    response = _post_batch(client, second, "add", claims=[claim.pk])
    assert "a claim is paid once" in response.content.decode()
    # Set back into that batch, exported around the service: it is not marked paid again.
    set_back(claim, into=second)
    PaymentBatch.objects.filter(pk=second.pk).update(
        status=PaymentBatch.Status.EXPORTED, exported_at=timezone.now()
    )
    response = _post_batch(client, second, "paid", paid_on=today)
    assert "a claim is paid once" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == S.IN_BATCH
    assert_paid_once(claim, first)


def _superuser():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.mark.django_db
@pytest.mark.parametrize("superuser", [False, True], ids=["finance", "superuser"])
def test_history_versions_posted_then_paid_again_pay_once(client, actors, superuser):
    claim, batch = paid_claim(actors)
    client.force_login(_superuser() if superuser else actors.finance)
    versions = [
        (
            "admin:subsidies_subsidyclaim_simple_history",
            claim.pk,
            claim.history.filter(status=S.IN_BATCH).earliest("history_date"),
        ),
        (
            "admin:subsidies_paymentbatch_simple_history",
            batch.pk,
            batch.history.filter(status=PaymentBatch.Status.EXPORTED).earliest("history_date"),
        ),
    ]
    for name, pk, version in versions:
        url = reverse(name, args=[pk, version.history_id])
        page = client.get(url)
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        response = client.post(url, {"status": version.status, "paid_on": "", "_save": "1"})
        assert response.status_code == 405
    claim.refresh_from_db()
    batch.refresh_from_db()
    assert (claim.status, batch.status) == (S.PAID, PaymentBatch.Status.PAID)
    with pytest.raises(ValidationError):
        services.payment_batch_mark_paid(
            batch=batch, paid_on=timezone.localdate(), acting_user=actors.finance
        )
    assert_paid_once(claim, batch)


# -------------------------------------------------------------------------- concurrency


@pytest.mark.django_db(transaction=True)
def test_a_batch_marked_paid_twice_at_once_pays_once():
    actors = Actors()
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.APPROVED)
    batch = exported_batch(actors, "2026-001", [claim])
    outcomes = run_together(
        *[
            lambda: services.payment_batch_mark_paid(
                batch=batch, paid_on=timezone.localdate(), acting_user=actors.finance
            )
        ]
        * 2
    )
    assert sum(isinstance(o, PaymentBatch) for o in outcomes) == 1
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
    claim.refresh_from_db()
    assert_paid_once(claim, batch)
