"""Staff and finance read a payment batch's record (opened, exported, paid); the admin role
holds its permissions too. It runs after the migration that adds the record."""

from django.db import migrations

from portal.accounts.roles import sync_roles


def forwards(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0014_sign_off_roles"),
        ("subsidies", "0008_claim_signoffs_as_states"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
