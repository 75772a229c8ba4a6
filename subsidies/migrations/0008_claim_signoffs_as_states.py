"""Existing claims take the states of the workflow table (subsidies.workflows.claims).

- A claim under review (or audited) with some of its signatures moves to the state of its
  last signature: the handler's → "handler_signed", the section head's too →
  "section_head_signed"; each signature gets its step in the claim's record, by its signer at
  its time, so the timeline reads as if the states had always been there.
- A claim taken up names its case handler: who made its step to "under review".
- A claim whose public notice ended before today moves to "notice ended" (a system step),
  so staff may approve it at once rather than after the first scheduled run.
- Every payment batch gets its record: opened, exported, paid, at the times it holds.

The reverse puts the claims back where the old table had them and drops what was added.
"""

import datetime as dt

from django.db import migrations
from django.utils import timezone

HANDLER, SECTION_HEAD = 1, 2
SIGNED_STATE = {HANDLER: "handler_signed", SECTION_HEAD: "section_head_signed"}
MIGRATED_NOTE = "workflow states"


def _record(Change, *, at, **fields):
    change = Change.objects.create(**fields)
    if at is not None:
        Change.objects.filter(pk=change.pk).update(created_at=at)
    return change


def forward(apps, schema_editor):
    Claim = apps.get_model("subsidies", "SubsidyClaim")
    Change = apps.get_model("subsidies", "SubsidyClaimStatusChange")
    SignOff = apps.get_model("subsidies", "SignOff")
    Batch = apps.get_model("subsidies", "PaymentBatch")
    BatchChange = apps.get_model("subsidies", "PaymentBatchStatusChange")

    for claim in Claim.objects.filter(status__in=("under_review", "audited")).order_by("pk"):
        signatures = {s.stage: s for s in SignOff.objects.filter(claim=claim)}
        state = claim.status
        for stage in (HANDLER, SECTION_HEAD):
            signature = signatures.get(stage)
            if signature is None:
                break
            _record(
                Change,
                at=signature.signed_at,
                claim=claim,
                from_status=state,
                to_status=SIGNED_STATE[stage],
                acting_user_id=signature.signed_by_id,
                note=signature.note,
            )
            state = SIGNED_STATE[stage]
        if state != claim.status:
            Claim.objects.filter(pk=claim.pk).update(status=state)

    for claim in Claim.objects.filter(handler__isnull=True).exclude(
        status__in=("draft", "submitted")
    ):
        taken = (
            Change.objects.filter(
                claim=claim, to_status="under_review", acting_user__is_staff=True
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if taken is not None:
            Claim.objects.filter(pk=claim.pk).update(handler_id=taken.acting_user_id)

    today = timezone.localdate()
    for claim in Claim.objects.filter(status="in_notice", notice_ends_on__lt=today):
        _record(
            Change,
            at=None,
            claim=claim,
            from_status="in_notice",
            to_status="notice_ended",
            acting_user_id=None,
            note=f"The public notice ended on {claim.notice_ends_on.isoformat()}.",
        )
        Claim.objects.filter(pk=claim.pk).update(status="notice_ended")

    for batch in Batch.objects.all():
        _record(
            BatchChange,
            at=batch.created_at,
            batch=batch,
            from_status="",
            to_status="open",
            acting_user_id=batch.created_by_id,
            note=MIGRATED_NOTE,
        )
        if batch.status in ("exported", "paid"):
            _record(
                BatchChange,
                at=batch.exported_at,
                batch=batch,
                from_status="open",
                to_status="exported",
                note=MIGRATED_NOTE,
            )
        if batch.status == "paid":
            paid_at = timezone.make_aware(dt.datetime.combine(batch.paid_on, dt.time(12)))
            _record(
                BatchChange,
                at=paid_at,
                batch=batch,
                from_status="exported",
                to_status="paid",
                note=MIGRATED_NOTE,
            )


def backward(apps, schema_editor):
    Claim = apps.get_model("subsidies", "SubsidyClaim")
    Change = apps.get_model("subsidies", "SubsidyClaimStatusChange")
    BatchChange = apps.get_model("subsidies", "PaymentBatchStatusChange")

    signed = ("handler_signed", "section_head_signed")
    for claim in Claim.objects.filter(status__in=signed):
        signable = "audited" if claim.programme == "rd_investment" else "under_review"
        Claim.objects.filter(pk=claim.pk).update(status=signable)
    Claim.objects.filter(status="notice_ended").update(status="in_notice")
    Change.objects.filter(to_status__in=(*signed, "notice_ended")).delete()
    # A later step from a signing state (to signed off, or returned) reads from where the old
    # table had the claim.
    for change in Change.objects.filter(from_status__in=signed).select_related("claim"):
        signable = "audited" if change.claim.programme == "rd_investment" else "under_review"
        Change.objects.filter(pk=change.pk).update(from_status=signable)
    Change.objects.filter(from_status="notice_ended").update(from_status="in_notice")
    BatchChange.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("subsidies", "0007_claim_signoff_states_and_batch_record"),
    ]

    operations = [migrations.RunPython(forward, backward)]
