from django.db import migrations

# The district's nine streets and three towns (DESIGN §5), in their official order.
STREETS = [
    ("观音桥街道", "street"),
    ("华新街街道", "street"),
    ("五里店街道", "street"),
    ("江北城街道", "street"),
    ("石马河街道", "street"),
    ("大石坝街道", "street"),
    ("寸滩街道", "street"),
    ("铁山坪街道", "street"),
    ("郭家沱街道", "street"),
    ("鱼嘴镇", "town"),
    ("复盛镇", "town"),
    ("五宝镇", "town"),
]


def seed(apps, schema_editor):
    Street = apps.get_model("enterprises", "Street")
    for order, (name, kind) in enumerate(STREETS, start=1):
        Street.objects.update_or_create(name=name, defaults={"kind": kind, "sort_order": order})


def unseed(apps, schema_editor):
    Street = apps.get_model("enterprises", "Street")
    Street.objects.filter(name__in=[name for name, _ in STREETS], enterprise__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
