"""A ledger row for every claim paid before the ledger existed, so that no paid claim can be
paid again. The payer is whoever saved the claim as paid in its history (if known); the
amount is the claim's; the date its payment date (or, failing that, the day it was decided).
"""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def forwards(apps, schema_editor):
    claims = apps.get_model("loans", "CompensationClaim")
    history = apps.get_model("loans", "HistoricalCompensationClaim")
    payments = apps.get_model("loans", "CompensationPayment")
    paid_by = (
        history.objects.filter(id=OuterRef("pk"), status="paid")
        .order_by("history_date", "history_id")
        .values("history_user_id")[:1]
    )
    rows = []
    paid = claims.objects.filter(status="paid", payment__isnull=True).annotate(
        paid_by=Subquery(paid_by)
    )
    for claim in paid.order_by("pk").iterator():
        day = claim.paid_on or (claim.decided_at or claim.filed_at).date()
        rows.append(
            payments(
                claim_id=claim.pk,
                fund_id=claim.fund_id,
                amount=claim.amount,
                paid_on=day,
                recorded_by_id=claim.paid_by,
            )
        )
    payments.objects.bulk_create(rows, batch_size=1000)


def backwards(apps, schema_editor):
    apps.get_model("loans", "CompensationPayment").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("loans", "0003_compensationpayment")]

    operations = [migrations.RunPython(forwards, backwards)]
