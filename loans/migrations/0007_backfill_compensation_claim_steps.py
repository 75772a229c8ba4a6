"""Every compensation claim filed before claims kept a status record gains the steps its own
fields tell: filed (by whom, when), approved or rejected (the decision), paid (the row of the
fund's payment ledger). A claim that already has records is left alone, so running it again
adds nothing."""

from django.db import migrations


def _steps(claim, payment):
    yield "", "filed", claim.filed_by_id, claim.filed_at
    if claim.status in ("approved", "rejected", "paid"):
        decision = "rejected" if claim.status == "rejected" else "approved"
        yield "filed", decision, claim.decided_by_id, claim.decided_at or claim.filed_at
    if claim.status == "paid":
        at = payment.recorded_at if payment else (claim.decided_at or claim.filed_at)
        yield "approved", "paid", payment.recorded_by_id if payment else None, at


def forwards(apps, schema_editor):
    claims = apps.get_model("loans", "CompensationClaim")
    payments = apps.get_model("loans", "CompensationPayment")
    records = apps.get_model("loans", "CompensationClaimStatusChange")
    paid = {p.claim_id: p for p in payments.objects.all()}
    for claim in claims.objects.filter(status_changes__isnull=True).order_by("pk").iterator():
        for source, target, user_id, at in _steps(claim, paid.get(claim.pk)):
            record = records.objects.create(
                claim_id=claim.pk, from_status=source, to_status=target, acting_user_id=user_id
            )
            # created_at is set on insert; the step happened earlier.
            records.objects.filter(pk=record.pk).update(created_at=at)


def backwards(apps, schema_editor):
    apps.get_model("loans", "CompensationClaimStatusChange").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("loans", "0006_compensationclaimstatuschange")]

    operations = [migrations.RunPython(forwards, backwards)]
