"""Who qualifies and how to apply, for the seeded programmes whose texts are still empty.

The texts are the bureau's content (staff edit them in admin), so they are data in Chinese,
not translations. Policies that staff already described are left as they are.
"""

from django.db import migrations

TEXTS = {
    "rd_investment": (
        "在本区登记注册、当年有效入库的科技型企业，研发投入经区科技局委托的第三方审计机构审计确认。"
        "补贴额为经审计的可计入研发费用乘以补贴比例，单个企业不超过单项封顶金额。",
        "登录企业端，在“我的补贴申请”中选择“研发投入补贴”，上传研发费用辅助账等材料后提交；"
        "科技局受理后委托审计机构审计，经签批、公示后拨付。",
    ),
    "hte_new": (
        "当年首次认定为高新技术企业、注册地在本区的企业。",
        "取得高新技术企业证书后，系统根据证书自动生成奖励申请草稿，企业登录后确认提交即可。",
    ),
    "hte_renewal": (
        "当年重新认定为高新技术企业、注册地在本区的企业。",
        "取得重新认定的证书后，系统自动生成奖励申请草稿，企业登录后确认提交即可。",
    ),
    "carrier_hte": (
        "本区认定的孵化载体，其在孵企业当年首次认定为高新技术企业的，每培育一家给予奖励。",
        "载体运营方登录后，在“我的补贴申请”中选择本项目并提交，系统根据在孵企业名单和证书计算金额。",
    ),
    "carrier_listing": (
        "本区认定的孵化载体，其在孵企业当年在主板、科创板、创业板、北交所上市或新三板挂牌的，"
        "每培育一家给予奖励。",
        "载体运营方登录后，在“我的补贴申请”中选择本项目并提交，系统根据在孵企业上市记录计算金额。",
    ),
    "rent": (
        "租用本区孵化载体场地、且在租用月份为有效入库科技型企业的企业；"
        "按租用面积每平方米每月给予补贴，已拨付的月份不得重复申请。",
        "登录企业端，在“我的补贴申请”中选择“房租补贴”，填写申请月份并上传租赁合同后提交。",
    ),
}


def forwards(apps, schema_editor):
    SubsidyPolicy = apps.get_model("subsidies", "SubsidyPolicy")
    for code, (qualification, how_to_apply) in TEXTS.items():
        SubsidyPolicy.objects.filter(code=code, qualification="").update(
            qualification=qualification
        )
        SubsidyPolicy.objects.filter(code=code, how_to_apply="").update(how_to_apply=how_to_apply)


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0002_seed_policies")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
