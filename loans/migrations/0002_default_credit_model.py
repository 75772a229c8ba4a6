"""Seed EXAMPLE data: a default credit model (version 1) and the compensation fund.

The indicators, bands, grades and quotas below are illustrative, not the district's official
scheme; staff edit them in the admin or add a new model version. The fund starts empty with
the city:district ratio 4:6.
"""

from decimal import Decimal

from django.db import migrations

MODEL_NAME = "知识价值信用评价模型（示例数据）"
NOTES = (
    "示例数据：指标、分档、等级与额度仅作演示，并非区里的正式评价办法。"
    "请在后台修改，或新建一个版本后启用。"
)
# code, name, kind, measure, points, bands [(minimum, points)]
INDICATORS = [
    ("invention_patents", "发明专利", "base", "invention_patents", 20,
     [(1, 8), (2, 12), (3, 16), (5, 20)]),
    ("utility_models", "实用新型专利", "base", "utility_models", 10,
     [(1, 3), (3, 6), (5, 8), (10, 10)]),
    ("software_copyrights", "软件著作权", "base", "software_copyrights", 10,
     [(1, 3), (3, 6), (5, 8), (10, 10)]),
    ("rd_expenditure", "研发投入（万元）", "base", "rd_expenditure_wan", 15,
     [(50, 5), (100, 8), (300, 12), (500, 15)]),
    ("rd_share", "研发投入占营业收入比例（%）", "base", "rd_share_pct", 15,
     [(3, 5), (5, 8), (8, 12), (10, 15)]),
    ("high_end_talent", "高端人才", "bonus", "high_end_talent", 10,
     [(1, 5), (3, 8), (5, 10)]),
    ("innovative_products", "创新产品", "bonus", "new_products", 10,
     [(1, 4), (3, 7), (5, 10)]),
    ("high_tech", "创新能力：有效高新技术企业证书", "bonus", "high_tech_certificate", 10,
     [(1, 10)]),
]  # fmt: skip
GRADES = [
    ("AAA", 85, 5_000_000),
    ("AA", 70, 3_000_000),
    ("A", 55, 2_000_000),
    ("B", 40, 1_000_000),
    ("C", 25, 500_000),
]


def forwards(apps, schema_editor):
    CreditModel = apps.get_model("loans", "CreditModel")
    CreditIndicator = apps.get_model("loans", "CreditIndicator")
    CreditGrade = apps.get_model("loans", "CreditGrade")
    CompensationFund = apps.get_model("loans", "CompensationFund")
    if not CreditModel.objects.exists():
        model = CreditModel.objects.create(version=1, name=MODEL_NAME, is_active=True, notes=NOTES)
        for order, (code, name, kind, measure, points, bands) in enumerate(INDICATORS):
            CreditIndicator.objects.create(
                credit_model=model,
                code=code,
                name=name,
                kind=kind,
                measure=measure,
                max_points=Decimal(points),
                bands=[{"min": str(m), "points": str(p)} for m, p in bands],
                sort_order=order,
            )
        for grade, min_score, quota in GRADES:
            CreditGrade.objects.create(
                credit_model=model, grade=grade, min_score=Decimal(min_score), quota=Decimal(quota)
            )
    if not CompensationFund.objects.exists():
        CompensationFund.objects.create(
            name="知识价值信用贷款风险补偿基金", city_share_pct=Decimal(40), balance=Decimal(0)
        )


def backwards(apps, schema_editor):
    CreditModel = apps.get_model("loans", "CreditModel")
    CreditModel.objects.filter(version=1, name=MODEL_NAME, evaluations__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("loans", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
