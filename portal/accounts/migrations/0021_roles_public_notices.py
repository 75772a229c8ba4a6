"""Staff keep public notices (and signers read them); it runs after the migration that adds
them."""

from django.db import migrations

from portal.accounts.roles import sync_roles


def forwards(apps, schema_editor):
    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0020_roles_policy_calls"),
        ("subsidies", "0012_notices_objections_both_bases"),
        # Every app's latest, so the roles see every model merged with it.
        ("common", "0003_notification_outbox_delivery"),
        ("enterprises", "0016_servicerequest_satisfaction_attachments"),
        ("incubators", "0004_activity_title_search_index"),
        ("loans", "0011_credit_model_proper_name"),
        ("statistics", "0002_reportdelivery_outbox_delivery"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
