"""Roles per portal.accounts.roles: bureau staff and finance view, add and change their own
queue handovers; the bureau admin holds the handovers and the notification outbox with every
other permission. It runs after every app's latest migration."""

from django.db import migrations

from portal.accounts.roles import sync_roles


def forwards(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0015_roles_calendar"),
        ("common", "0002_calendar"),
        ("enterprises", "0006_desk_status_changes_on_common_record"),
        ("incubators", "0003_incubator_opened_on"),
        ("loans", "0007_backfill_compensation_claim_steps"),
        ("statistics", "0001_initial"),
        ("subsidies", "0006_high_tech_status_changes_on_common_record"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
