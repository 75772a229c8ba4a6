"""The data migration that gives existing claims the workflow's states: partial sign-offs
become the state of their last signature (with a record per signature, by its signer at its
time), a claim taken up names its handler, a notice past its end is ended, every batch gets
its record; and the reverse puts the old table's states back."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from subsidies.models import (
    PaymentBatch,
    Programme,
    SignOff,
    SubsidyClaim,
    SubsidyClaimStatusChange,
)
from tests.portal.factories import StaffFactory
from tests.subsidies.factories import PaymentBatchFactory, SubsidyClaimFactory, policy

pytestmark = pytest.mark.django_db
S = SubsidyClaim.Status
migration = importlib.import_module("subsidies.migrations.0008_claim_signoffs_as_states")


def _taken_up(claim, by):
    SubsidyClaimStatusChange.objects.create(
        claim=claim, from_status=S.SUBMITTED, to_status=S.UNDER_REVIEW, acting_user=by
    )


def _signed(claim, stage, by, at):
    signature = SignOff.objects.create(claim=claim, stage=stage, signed_by=by, note="同意")
    SignOff.objects.filter(pk=signature.pk).update(signed_at=at)


def test_partial_sign_offs_become_states_and_go_back():
    handler, head = StaffFactory(), StaffFactory()
    at = timezone.now() - dt.timedelta(days=3)
    one = SubsidyClaimFactory(status=S.UNDER_REVIEW)
    _taken_up(one, handler)
    _signed(one, SignOff.Stage.HANDLER, handler, at)
    two = SubsidyClaimFactory(
        status=S.AUDITED,
        programme=Programme.RD_INVESTMENT,
        policy=policy(Programme.RD_INVESTMENT),
        rent_month_from=None,
        rent_month_to=None,
    )
    _signed(two, SignOff.Stage.HANDLER, handler, at)
    _signed(two, SignOff.Stage.SECTION_HEAD, head, at + dt.timedelta(hours=2))
    unsigned = SubsidyClaimFactory(status=S.UNDER_REVIEW)
    _taken_up(unsigned, handler)
    ended = SubsidyClaimFactory(
        status=S.IN_NOTICE,
        notice_starts_on=timezone.localdate() - dt.timedelta(days=10),
        notice_ends_on=timezone.localdate() - dt.timedelta(days=3),
    )
    running = SubsidyClaimFactory(
        status=S.IN_NOTICE,
        notice_starts_on=timezone.localdate() - dt.timedelta(days=3),
        notice_ends_on=timezone.localdate() + dt.timedelta(days=3),
    )
    paid = PaymentBatchFactory(
        status=PaymentBatch.Status.PAID,
        exported_at=timezone.now() - dt.timedelta(days=2),
        paid_on=timezone.localdate(),
    )
    PaymentBatch.objects.filter(pk=paid.pk).update(created_at=timezone.now() - dt.timedelta(days=5))
    opened = PaymentBatchFactory()

    migration.forward(apps, None)

    for claim in (one, two, unsigned, ended, running):
        claim.refresh_from_db()
    assert (one.status, two.status, unsigned.status) == (
        S.HANDLER_SIGNED,
        S.SECTION_HEAD_SIGNED,
        S.UNDER_REVIEW,
    )
    assert (ended.status, running.status) == (S.NOTICE_ENDED, S.IN_NOTICE)
    assert (one.handler, unsigned.handler, two.handler) == (handler, handler, None)
    steps = [
        (c.from_status, c.to_status, c.acting_user, c.created_at, c.note)
        for c in two.status_changes.order_by("created_at")
    ]
    assert steps == [
        (S.AUDITED, S.HANDLER_SIGNED, handler, at, "同意"),
        (S.HANDLER_SIGNED, S.SECTION_HEAD_SIGNED, head, at + dt.timedelta(hours=2), "同意"),
    ]
    assert [c.to_status for c in paid.status_changes.all()] == ["open", "exported", "paid"]
    assert [c.to_status for c in opened.status_changes.all()] == ["open"]

    migration.backward(apps, None)

    for claim in (one, two, ended):
        claim.refresh_from_db()
    assert (one.status, two.status, ended.status) == (S.UNDER_REVIEW, S.AUDITED, S.IN_NOTICE)
    assert not SubsidyClaimStatusChange.objects.filter(
        to_status__in=(S.HANDLER_SIGNED, S.SECTION_HEAD_SIGNED, S.NOTICE_ENDED)
    ).exists()
    assert not paid.status_changes.exists()
    assert SignOff.objects.count() == 3  # the signatures themselves stay
