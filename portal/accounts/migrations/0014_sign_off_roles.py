"""The section head (科长) and the deputy director (副局长) become roles: each reads claims and
holds its own signature; staff keep the case handler's and no longer hold the section head's.
It runs after every app's latest migration so that the admin role holds their permissions too."""

from django.db import migrations

from portal.accounts.roles import sync_roles


def forwards(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0013_roles_account_rights"),
        ("common", "0001_outbox_and_handovers"),
        ("enterprises", "0005_seed_departments"),
        ("incubators", "0003_incubator_opened_on"),
        ("loans", "0004_backfill_compensation_payments"),
        ("statistics", "0001_initial"),
        ("subsidies", "0005_backfill_claim_payments"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
