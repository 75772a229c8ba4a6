"""Word lists the bureau keeps itself (DESIGN §5): a ledger naming request categories the
list lacks imports, adds them and names them as new; the statistics count its requests.
The §5 value sets stay closed."""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from common.importing.readers import read_table
from enterprises.models import Enterprise, RequestCategory, ServiceRequest
from enterprises.resources import EnterpriseResource, ServiceRequestResource
from tests.enterprises.factories import EnterpriseFactory, make_uscc
from tests.enterprises.test_resources import enterprise_rows, xlsx_bytes

pytestmark = pytest.mark.django_db
REQUESTS = "enterprises.resources.ServiceRequestResource"
CODE = make_uscc(870001)
NEW = ("融资需求", "用地用房", "市场拓展")


def ledger(tmp_path: Path, rows: list[list]) -> str:
    target = tmp_path / "ledger.xlsx"
    target.write_bytes(xlsx_bytes(ServiceRequestResource.headers(), rows))
    return str(target)


def real_ledger() -> list[list]:
    """A street office's ledger in its own words: three categories the portal never had."""
    return [
        ["2025-03-04", CODE, "重庆江北智造有限公司", "融资需求", "流动资金贷款对接",
         "转办部门", "办理中", ""],
        ["2025-03-04", CODE, "重庆江北智造有限公司", "用地用房", "扩产用地",
         "区内协调", "已解决", "2025-03-20"],
        ["2025-03-11", CODE, "重庆江北智造有限公司", "市场拓展", "对接龙头企业采购",
         "现场答复", "已解决", "2025-03-11"],
        ["2025-03-11", CODE, "重庆江北智造有限公司", "政策咨询", "加计扣除口径",
         "现场答复", "已解决", "2025-03-11"],
        ["2025-03-12", CODE, "重庆江北智造有限公司", "融资需求", "知识价值信用贷款",
         "", "办理中", ""],
    ]  # fmt: skip


def test_ledger_with_new_categories_imports_and_monthly_summary_counts_it(tmp_path, capsys):
    EnterpriseFactory(uscc=CODE, name="重庆江北智造有限公司")
    before = RequestCategory.objects.count()

    call_command("import", "--no-input", REQUESTS, ledger(tmp_path, real_ledger()))

    out = capsys.readouterr()
    assert "新词条 问题类别：融资需求、用地用房、市场拓展" in out.out
    assert "5 new" in out.err
    assert RequestCategory.objects.count() == before + 3
    counts = dict(RequestCategory.objects.filter(name__in=NEW).values_list("name", "requests__pk"))
    assert set(counts) == set(NEW)
    assert ServiceRequest.objects.filter(category__name="融资需求").count() == 2

    call_command("monthly_summary", "--period", "2025-03", "--json")
    services = json.loads(capsys.readouterr().out)["services"]
    assert services["requests_collected_ytd"] == 5
    assert services["requests_resolved_ytd"] == 3

    # Again: the words are known now, nothing is new and nothing changes.
    call_command("import", "--no-input", REQUESTS, ledger(tmp_path, real_ledger()))
    out = capsys.readouterr()
    assert "新词条" not in out.out and "0 new, 0 updated" in out.err
    assert RequestCategory.objects.count() == before + 3


def test_a_dry_run_names_the_new_words_and_adds_none(tmp_path, capsys):
    EnterpriseFactory(uscc=CODE)
    before = RequestCategory.objects.count()

    call_command("import", "--no-input", "--dry-run", REQUESTS, ledger(tmp_path, real_ledger()))

    assert "新词条 问题类别：融资需求、用地用房、市场拓展" in capsys.readouterr().out
    assert RequestCategory.objects.count() == before
    assert not ServiceRequest.objects.exists()


def test_a_refused_ledger_adds_no_words(tmp_path):
    EnterpriseFactory(uscc=CODE)
    rows = real_ledger()
    rows[4][6] = "已办结"
    before = RequestCategory.objects.count()

    with pytest.raises(CommandError) as info:
        call_command("import", "--no-input", REQUESTS, ledger(tmp_path, rows))

    assert "第 6 行「状态」：不是可选值" in str(info.value)
    assert RequestCategory.objects.count() == before


def test_a_word_written_with_extra_spaces_is_the_same_word(tmp_path):
    EnterpriseFactory(uscc=CODE)
    rows = real_ledger()[:1]
    rows[0][3] = " 政策咨询 "

    call_command("import", "--no-input", REQUESTS, ledger(tmp_path, rows))

    assert ServiceRequest.objects.get().category.name == "政策咨询"
    assert not RequestCategory.objects.filter(name__contains=" ").exists()


def test_the_section5_value_sets_stay_closed():
    rows = enterprise_rows()[:1]
    rows[0][3] = "新设街道"  # 所属街道
    table = read_table(xlsx_bytes(EnterpriseResource.required_headers(), rows))
    outcome = EnterpriseResource().import_table(table)
    assert outcome.refused and not outcome.new_words
    assert any("「所属街道」" in line for line in outcome.messages())
    assert not Enterprise.objects.exists()


def test_the_firms_request_form_offers_active_words_only(client):
    from django.urls import reverse

    from tests.portal.factories import EnterpriseUserFactory

    RequestCategory.objects.filter(name="其他").update(active=False)
    added = RequestCategory.objects.create(name="用地用房")
    user = EnterpriseUserFactory()
    client.force_login(user)

    form = client.get(reverse("enterprises:request_create")).context["form"]
    names = {c.name for c in form.fields["category"].queryset}
    assert "用地用房" in names and "其他" not in names

    response = client.post(
        reverse("enterprises:request_create"),
        {"category": added.pk, "description": "扩产用地"},
    )
    assert response.status_code == 302
    assert ServiceRequest.objects.get().category == added
    assert dt.date.today() >= ServiceRequest.objects.get().registered_on
