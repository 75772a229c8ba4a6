from django.db import migrations

# The departments requests are most often forwarded to; staff edit the list in admin.
DEPARTMENTS = [
    "区发展改革委",
    "区经济信息委",
    "区人力社保局",
    "区市场监管局",
    "区规划自然资源局",
    "区住房城乡建委",
    "区商务委",
    "区金融发展服务中心",
    "区税务局",
    "区教委",
]


def seed(apps, schema_editor):
    Department = apps.get_model("enterprises", "Department")
    for order, name in enumerate(DEPARTMENTS, start=1):
        Department.objects.update_or_create(name=name, defaults={"sort_order": order})


def unseed(apps, schema_editor):
    Department = apps.get_model("enterprises", "Department")
    Department.objects.filter(name__in=DEPARTMENTS, requests__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0004_service_desk")]
    operations = [migrations.RunPython(seed, unseed)]
