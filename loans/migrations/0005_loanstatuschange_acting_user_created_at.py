"""The loan status record takes the shape every process shares (common.models.StatusChange):
`actor` becomes `acting_user` and `at` becomes `created_at`, in place (the rows, and those of
its history, are kept)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("loans", "0004_backfill_compensation_payments")]

    operations = [
        migrations.RenameField("loanstatuschange", "actor", "acting_user"),
        migrations.RenameField("loanstatuschange", "at", "created_at"),
        migrations.RenameField("historicalloanstatuschange", "actor", "acting_user"),
        migrations.RenameField("historicalloanstatuschange", "at", "created_at"),
        migrations.AlterModelOptions(
            name="loanstatuschange",
            options={
                "ordering": ["created_at", "pk"],
                "verbose_name": "status change",
                "verbose_name_plural": "status changes",
            },
        ),
    ]
