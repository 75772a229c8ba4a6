"""Staff keep the official calendar: view, add, change and delete holiday arrangements
(common.CalendarDay); the bureau admin holds them with every other permission."""

from django.db import migrations

from portal.accounts.roles import sync_roles


def forwards(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0013_roles_account_rights"),
        ("common", "0002_calendar"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
