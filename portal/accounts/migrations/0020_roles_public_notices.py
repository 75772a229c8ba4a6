"""Staff keep public notices (and signers read them); it runs after the migration that adds
them."""

from django.db import migrations

from portal.accounts.roles import sync_roles


def forwards(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0019_user_language"),
        ("subsidies", "0010_notices_objections_both_bases"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
