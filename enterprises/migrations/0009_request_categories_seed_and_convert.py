"""The nine categories that were fixed choices become the list's first words, and every
request (and every history row) points at its word: nothing is lost."""

from django.db import migrations

# The former fixed choices (code -> the ledger's word), in their order.
CATEGORIES = (
    ("policy", "政策咨询"),
    ("funding", "资金补贴"),
    ("financing", "融资贷款"),
    ("talent", "人才招引"),
    ("ip", "知识产权"),
    ("projects", "科技项目"),
    ("premises", "场地用房"),
    ("market", "市场合作"),
    ("other", "其他"),
)


def seed_and_convert(apps, schema_editor):
    RequestCategory = apps.get_model("enterprises", "RequestCategory")
    ids = {}
    for index, (code, name) in enumerate(CATEGORIES, start=1):
        ids[code] = RequestCategory.objects.get_or_create(
            name=name, defaults={"sort_order": index * 10}
        )[0].pk
    for model_name in ("ServiceRequest", "HistoricalServiceRequest"):
        model = apps.get_model("enterprises", model_name)
        # A code outside the nine (none should exist) keeps its text as a word of its own.
        for code in model.objects.exclude(category__in=ids).values_list("category", flat=True).distinct():
            ids[code] = RequestCategory.objects.get_or_create(name=code)[0].pk
        for code, pk in ids.items():
            model.objects.filter(category=code).update(category_entry=pk)


def back_to_codes(apps, schema_editor):
    RequestCategory = apps.get_model("enterprises", "RequestCategory")
    codes = {name: code for code, name in CATEGORIES}
    for model_name in ("ServiceRequest", "HistoricalServiceRequest"):
        model = apps.get_model("enterprises", model_name)
        for entry in RequestCategory.objects.all():
            model.objects.filter(category_entry=entry.pk).update(
                category=codes.get(entry.name, "other")
            )



class Migration(migrations.Migration):
    dependencies = [("enterprises", "0008_request_categories_as_word_list")]

    operations = [migrations.RunPython(seed_and_convert, back_to_codes)]
