"""Give the seeded credit model a proper name: firms read the model's name on their credit
page, and "（示例数据）" is a note for staff (it stays in the model's notes). A name staff
changed already is left alone."""

from django.db import migrations

OLD_NAME = "知识价值信用评价模型（示例数据）"
NEW_NAME = "知识价值信用评价模型"


def forwards(apps, schema_editor):
    CreditModel = apps.get_model("loans", "CreditModel")
    CreditModel.objects.filter(name=OLD_NAME).update(name=NEW_NAME)


def backwards(apps, schema_editor):
    CreditModel = apps.get_model("loans", "CreditModel")
    CreditModel.objects.filter(version=1, name=NEW_NAME).update(name=OLD_NAME)


class Migration(migrations.Migration):
    dependencies = [("loans", "0010_loan_schedule_claim_documents")]

    operations = [migrations.RunPython(forwards, backwards)]
