"""Staff and finance read a payment batch's record (opened, exported, paid); the admin role
holds its permissions too. It runs after the migration that adds the record."""

from django.db import migrations

from portal.accounts.roles import sync_roles


def forwards(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0016_roles_queue_handovers"),
        ("common", "0002_calendar"),
        ("enterprises", "0006_desk_status_changes_on_common_record"),
        ("incubators", "0003_incubator_opened_on"),
        ("loans", "0007_backfill_compensation_claim_steps"),
        ("statistics", "0001_initial"),
        ("subsidies", "0008_claim_signoffs_as_states"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
