"""Roles per the account rights of portal.accounts.roles: the bureau admin alone holds
`manage_accounts` and the security log's view permission; staff keep view and change on users.
It runs after every app's latest migration so that the admin role holds their permissions too."""

from django.db import migrations

from portal.accounts.roles import sync_roles


def forwards(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0012_securityevent_manage_accounts"),
        ("enterprises", "0005_seed_departments"),
        ("incubators", "0003_incubator_opened_on"),
        ("loans", "0004_backfill_compensation_payments"),
        ("statistics", "0001_initial"),
        ("subsidies", "0005_backfill_claim_payments"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
