"""Staff keep a policy version's application windows and its list of materials; it runs
after the migration that adds them."""

from django.db import migrations

from portal.accounts.roles import sync_roles


def forwards(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0019_user_language"),
        ("subsidies", "0011_policy_calls_windows_checklists_drafts"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
