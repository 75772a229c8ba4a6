"""Seed the upgrade-readiness criteria: national incubator and national maker space.

National incubator (国家级科技企业孵化器): at least 10,000 m² under its control, 50 tenants,
3 tenants per 1,000 m², 20 graduates, and half of the tenants with patent applications.
National maker space (国家级众创空间): 500 m² or 30 workstations, 20 teams or firms a year,
10 events a year. Staff edit them in the admin as the criteria change.
"""

from decimal import Decimal

from django.db import migrations

INCUBATOR_SOURCE = "国家级科技企业孵化器认定条件"
MAKER_SPACE_SOURCE = "国家级众创空间认定条件"
NATIONAL = 3
THRESHOLDS = [
    ("incubator", NATIONAL, "area", Decimal("10000"), "", INCUBATOR_SOURCE),
    ("incubator", NATIONAL, "tenants", Decimal("50"), "", INCUBATOR_SOURCE),
    ("incubator", NATIONAL, "tenants_per_1000", Decimal("3"), "", INCUBATOR_SOURCE),
    ("incubator", NATIONAL, "graduates", Decimal("20"), "", INCUBATOR_SOURCE),
    ("incubator", NATIONAL, "patent_share", Decimal("50"), "", INCUBATOR_SOURCE),
    ("maker_space", NATIONAL, "area", Decimal("500"), "space", MAKER_SPACE_SOURCE),
    ("maker_space", NATIONAL, "workstations", Decimal("30"), "space", MAKER_SPACE_SOURCE),
    ("maker_space", NATIONAL, "new_tenants_year", Decimal("20"), "", MAKER_SPACE_SOURCE),
    ("maker_space", NATIONAL, "activities_year", Decimal("10"), "", MAKER_SPACE_SOURCE),
]


def forwards(apps, schema_editor):
    Threshold = apps.get_model("incubators", "ReadinessThreshold")
    for kind, level, indicator, minimum, alternative, source in THRESHOLDS:
        Threshold.objects.get_or_create(
            kind=kind,
            level=level,
            indicator=indicator,
            defaults={"minimum": minimum, "alternative": alternative, "source": source},
        )


def backwards(apps, schema_editor):
    Threshold = apps.get_model("incubators", "ReadinessThreshold")
    for kind, level, indicator, *_rest in THRESHOLDS:
        Threshold.objects.filter(kind=kind, level=level, indicator=indicator).delete()


class Migration(migrations.Migration):
    dependencies = [("incubators", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
