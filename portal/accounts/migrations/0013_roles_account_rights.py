"""Roles per the account rights of portal.accounts.roles: the bureau admin alone holds
`manage_accounts` and the security log's view permission; staff keep view and change on users."""

from django.db import migrations

from portal.accounts.roles import sync_roles


def forwards(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0012_securityevent_manage_accounts"),
        ("enterprises", "0005_seed_departments"),
        ("incubators", "0002_seed_thresholds"),
        ("loans", "0002_default_credit_model"),
        ("statistics", "0001_initial"),
        ("subsidies", "0003_policy_texts"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
