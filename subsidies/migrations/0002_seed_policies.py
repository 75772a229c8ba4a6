"""The six programmes of DESIGN §2 with the amounts of the article, for 2025 and 2026.

Staff edit them (or add a later year's version) in admin; claims keep the values they were
computed with. The R&D rate, cap and the budgets are the bureau's working figures.
"""

import datetime as dt
from decimal import Decimal

from django.db import migrations

YEARS = (2025, 2026)
DOCUMENT = "江北科发〔{year}〕1号"
PROGRAMMES = (
    # code, name, kind, amount, unit, rate, cap, yearly budget
    ("rd_investment", "研发投入补贴", "rate_with_cap", None, "", "0.1000", "2000000", "45000000"),
    ("hte_new", "高企首次认定奖励", "fixed", "500000", "", None, None, "30000000"),
    ("hte_renewal", "高企重新认定奖励", "fixed", "200000", "", None, None, "10000000"),
    ("carrier_hte", "载体培育高企奖励", "per_unit", "100000", "家", None, None, "5000000"),
    ("carrier_listing", "载体培育上市企业奖励", "per_unit", "300000", "家", None, None, "3000000"),
    ("rent", "房租补贴", "per_unit", "20", "元/平方米/月", None, None, "8000000"),
)


def _money(text):
    return Decimal(text) if text is not None else None


def forwards(apps, schema_editor):
    SubsidyPolicy = apps.get_model("subsidies", "SubsidyPolicy")
    for year in YEARS:
        for code, name, kind, amount, unit, rate, cap, budget in PROGRAMMES:
            SubsidyPolicy.objects.get_or_create(
                code=code,
                year=year,
                defaults={
                    "name": name,
                    "kind": kind,
                    "amount": _money(amount),
                    "unit": unit,
                    "rate": _money(rate),
                    "cap": _money(cap),
                    "document_number": DOCUMENT.format(year=year),
                    "effective_from": dt.date(year, 1, 1),
                    "effective_until": dt.date(year + 1, 12, 31),
                    "yearly_budget": Decimal(budget),
                },
            )


def backwards(apps, schema_editor):
    SubsidyPolicy = apps.get_model("subsidies", "SubsidyPolicy")
    SubsidyPolicy.objects.filter(year__in=YEARS, claims__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
