from django.db import migrations

from portal.accounts.roles import sync_roles


def forwards(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_user_bank"),
        ("loans", "0002_default_credit_model"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
