from django.db import migrations

from portal.accounts.roles import sync_roles


def forwards(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_user_incubator"),
        ("incubators", "0002_seed_thresholds"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
