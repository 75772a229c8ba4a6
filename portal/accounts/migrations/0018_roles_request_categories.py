"""Staff keep the request categories (a word list of the bureau's own); it runs after the
migration that adds them."""

from django.db import migrations

from portal.accounts.roles import sync_roles


def forwards(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0017_roles_payment_batch_record"),
        ("common", "0003_notification_outbox_delivery"),
        ("enterprises", "0012_name_search_indexes"),
        ("incubators", "0003_incubator_opened_on"),
        ("loans", "0007_backfill_compensation_claim_steps"),
        ("statistics", "0002_reportdelivery_outbox_delivery"),
        ("subsidies", "0009_changelist_indexes"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
