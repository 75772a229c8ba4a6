from django.db import migrations

from portal.accounts.roles import sync_roles


def forwards(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_user_audit_firm"),
        ("subsidies", "0002_seed_policies"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
