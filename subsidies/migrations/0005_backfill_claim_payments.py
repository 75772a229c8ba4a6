"""A payment row for every claim already paid through a payment batch, so that no paid claim
can be paid again. Ledger claims paid before the portal (no batch) stay history on the claim.
The payer is whoever saved the batch as paid in its history (if known).
"""

from decimal import Decimal

from django.db import migrations
from django.db.models import OuterRef, Subquery


def forwards(apps, schema_editor):
    claims = apps.get_model("subsidies", "SubsidyClaim")
    history = apps.get_model("subsidies", "HistoricalPaymentBatch")
    payments = apps.get_model("subsidies", "ClaimPayment")
    paid_by = (
        history.objects.filter(id=OuterRef("payment_batch_id"), status="paid")
        .order_by("history_date", "history_id")
        .values("history_user_id")[:1]
    )
    paid = claims.objects.filter(
        status="paid", payment_batch__isnull=False, payment__isnull=True
    ).annotate(paid_by=Subquery(paid_by))
    rows = [
        payments(
            claim_id=claim.pk,
            batch_id=claim.payment_batch_id,
            amount=claim.approved_amount or Decimal(0),
            paid_on=claim.paid_on or claim.payment_batch.paid_on,
            recorded_by_id=claim.paid_by,
        )
        for claim in paid.select_related("payment_batch").order_by("pk").iterator()
    ]
    payments.objects.bulk_create(rows, batch_size=1000)


def backwards(apps, schema_editor):
    apps.get_model("subsidies", "ClaimPayment").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0004_claimpayment")]

    operations = [migrations.RunPython(forwards, backwards)]
