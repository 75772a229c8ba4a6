from django.db import migrations

from portal.accounts.roles import sync_roles


def forwards(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_roles"),
        ("enterprises", "0005_seed_departments"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
