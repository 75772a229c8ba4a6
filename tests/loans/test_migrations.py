"""The loans migrations of the workflow core keep what was there: the status record's
`actor` and `at` become `acting_user` and `created_at` in place (its history too), and every
compensation claim gains the steps its own fields tell."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from loans import services
from loans.models import CompensationClaim, CompensationClaimStatusChange, LoanStatus
from tests.loans.factories import CompensationClaimFactory, FinanceFactory, loan_in
from tests.portal.factories import StaffFactory, UserFactory

BEFORE = ("loans", "0004_backfill_compensation_payments")
RENAMED = ("loans", "0005_loanstatuschange_acting_user_created_at")
C = CompensationClaim.Status


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def _migrate_to_latest() -> None:
    """Every app back to its latest migration: going back in loans also unapplied the
    migrations of other apps that depend on it (the accounts' user language, the roles)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_rename_keeps_every_status_record_and_its_history():
    from tests.loans.conftest import ensure_seed

    ensure_seed()
    loan = loan_in(LoanStatus.SUBMITTED)
    user = UserFactory()
    at = timezone.make_aware(dt.datetime(2024, 3, 5, 9, 30))
    try:
        old = _migrate(BEFORE)
        record = old.get_model("loans", "LoanStatusChange").objects.create(
            application_id=loan.pk, from_status="draft", to_status="submitted", actor_id=user.pk
        )
        old.get_model("loans", "LoanStatusChange").objects.filter(pk=record.pk).update(at=at)
        old.get_model("loans", "HistoricalLoanStatusChange").objects.create(
            id=record.pk,
            application_id=loan.pk,
            from_status="draft",
            to_status="submitted",
            actor_id=user.pk,
            at=at,
            history_date=at,
            history_type="+",
        )
        new = _migrate(RENAMED)
        kept = new.get_model("loans", "LoanStatusChange").objects.get(pk=record.pk)
        assert (kept.acting_user_id, kept.created_at, kept.to_status) == (user.pk, at, "submitted")
        version = new.get_model("loans", "HistoricalLoanStatusChange").objects.get(id=record.pk)
        assert (version.acting_user_id, version.created_at) == (user.pk, at)
    finally:
        _migrate_to_latest()


@pytest.mark.django_db
def test_the_backfill_gives_every_claim_the_steps_its_fields_tell(fund):
    backfill = importlib.import_module("loans.migrations.0007_backfill_compensation_claim_steps")
    staff, finance = StaffFactory(), FinanceFactory()
    filed = CompensationClaimFactory()
    decided_at = timezone.make_aware(dt.datetime(2024, 5, 6, 10))
    approved = CompensationClaimFactory(status=C.APPROVED, decided_by=staff, decided_at=decided_at)
    paid = services.compensation_claim_pay(
        claim=CompensationClaimFactory(status=C.APPROVED, decided_by=staff, decided_at=decided_at),
        acting_user=finance,
    )
    CompensationClaimStatusChange.objects.all().delete()  # as before the records existed
    filed_at = timezone.make_aware(dt.datetime(2024, 5, 1, 15))
    CompensationClaim.objects.update(filed_at=filed_at)
    for claim in (filed, approved, paid):
        claim.refresh_from_db()
    backfill.forwards(apps, None)
    backfill.forwards(apps, None)  # again: nothing more

    def steps(claim):
        return [
            (c.from_status, c.to_status, c.acting_user_id, c.created_at)
            for c in claim.status_changes.all()
        ]

    assert steps(filed) == [("", C.FILED, None, filed.filed_at)]
    assert steps(approved) == [
        ("", C.FILED, None, approved.filed_at),
        (C.FILED, C.APPROVED, staff.pk, decided_at),
    ]
    assert steps(paid) == [
        ("", C.FILED, None, paid.filed_at),
        (C.FILED, C.APPROVED, staff.pk, decided_at),
        (C.APPROVED, C.PAID, finance.pk, paid.payment.recorded_at),
    ]
    backfill.backwards(apps, None)
    assert not CompensationClaimStatusChange.objects.exists()
