"""The changelists' search across relations (common.admin.RelatedSearchMixin) finds the same
rows as Django's own search, with the related table searched alone."""

import pytest
from django.contrib import admin
from django.contrib.admin.options import ModelAdmin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from common.admin import RelatedSearchMixin
from enterprises.models import Enterprise
from incubators.models import Tenancy
from subsidies.models import RDAudit
from tests.enterprises.factories import EnterpriseFactory
from tests.incubators.factories import IncubatorFactory, TenancyFactory
from tests.portal.factories import StaffFactory
from tests.subsidies.factories import RDAuditFactory

TERMS = [
    "科技",
    "丰收",
    "重庆丰收",
    "江北测试孵化器",
    "丰收 孵化",
    '"丰收 农业"',
    "没有的名字",
    "5001",
]


def plain(model, search_fields):
    class Plain(ModelAdmin):
        pass

    Plain.search_fields = search_fields
    return Plain(model, admin.site)


def mixed(model, search_fields, cap=1000):
    class Mixed(RelatedSearchMixin, ModelAdmin):
        ID_CAP = cap

    Mixed.search_fields = search_fields
    return Mixed(model, admin.site)


def ids(model_admin, term):
    request = RequestFactory().get("/", {"q": term})
    request.user = StaffFactory()
    qs, duplicates = model_admin.get_search_results(
        request, model_admin.model._default_manager.all(), term
    )
    return set(qs.values_list("pk", flat=True)), duplicates


@pytest.fixture
def tenancies(db):
    harvest = EnterpriseFactory(name="重庆丰收农业有限公司")
    other = EnterpriseFactory(name="重庆测试科技有限公司")
    carrier = IncubatorFactory(name="丰收孵化器")
    TenancyFactory(enterprise=harvest)
    TenancyFactory(enterprise=other, incubator=carrier)
    TenancyFactory(enterprise=other)
    TenancyFactory()
    return harvest


@pytest.mark.parametrize("cap", [1000, 0])  # ids as a list, and as a subquery past the cap
def test_same_rows_as_the_plain_search(tenancies, cap):
    fields = ("enterprise__name", "=enterprise__uscc", "incubator__name")
    for term in [*TERMS, tenancies.uscc, tenancies.uscc.lower()]:
        expected, _ = ids(plain(Tenancy, fields), term)
        found, duplicates = ids(mixed(Tenancy, fields, cap), term)
        assert found == expected, term
        assert not duplicates


def test_two_relations_deep_and_local_fields(db):
    audit = RDAuditFactory()
    audit.claim.enterprise.name = "重庆丰收农业有限公司"
    audit.claim.enterprise.save()
    RDAuditFactory()
    fields = ("claim__enterprise__name", "firm__name")
    for term in [*TERMS, audit.firm.name]:
        assert ids(mixed(RDAudit, fields), term)[0] == ids(plain(RDAudit, fields), term)[0], term


@pytest.mark.parametrize("cap", [1000, 0])
def test_a_relation_past_the_cap_gathers_no_ids_of_the_relation_before_it(db, cap):
    """The rule: when the firms matching are more than the cap (checked row by row), the
    claims of those firms are not gathered as ids first (they would be as many); the rows
    are still the plain search's."""
    for n in range(2):
        firm = RDAuditFactory().claim.enterprise
        firm.name = f"重庆丰收农业{n}有限公司"
        firm.save()
    fields = ("claim__enterprise__name",)
    with CaptureQueriesContext(connection) as queries:
        found, _ = ids(mixed(RDAudit, fields, cap), "丰收")
    assert found == ids(plain(RDAudit, fields), "丰收")[0]
    gathered = [q["sql"] for q in queries.captured_queries if 'AS "pk" FROM' in q["sql"]]
    claims = [sql for sql in gathered if 'FROM "subsidies_subsidyclaim"' in sql.split("WHERE")[0]]
    assert len(claims) == (1 if cap else 0), gathered


def test_the_list_is_searched_without_joining_the_firm(tenancies):
    """The rule: the changelist's own query filters by ids, it does not join the firm."""
    model_admin = mixed(Tenancy, ("enterprise__name", "=enterprise__uscc"))
    request = RequestFactory().get("/", {"q": "丰收"})
    request.user = StaffFactory()
    qs, _ = model_admin.get_search_results(request, Tenancy.objects.all(), "丰收")
    with CaptureQueriesContext(connection) as queries:
        assert len(list(qs)) == 1
    assert "enterprises_enterprise" not in queries.captured_queries[-1]["sql"]


@pytest.mark.parametrize("cap", [1000, 0])
def test_two_character_terms_find_what_the_plain_search_finds(tenancies, cap):
    """Two-character terms go through the firm's bigram column (PostgreSQL); the rows are
    those of the plain search, for a pair at the start, the middle and the end of a name, a
    pair spanning two words, Latin letters in either case, and a pair no firm holds."""
    EnterpriseFactory(name="AB科技有限公司")
    fields = ("enterprise__name", "=enterprise__uscc", "incubator__name")
    for term in ["重庆", "丰收", "农业", "公司", "收农", "ab", "AB", "孵化", "无此"]:
        expected, _ = ids(plain(Tenancy, fields), term)
        assert ids(mixed(Tenancy, fields, cap), term)[0] == expected, term
    firm_fields = ("name", "=uscc", "uscc")
    for term in ["丰收", "科技", "ab", "无此"]:
        assert (
            ids(mixed(Enterprise, firm_fields), term)[0]
            == ids(plain(Enterprise, firm_fields), term)[0]
        ), term


def test_a_two_character_term_reads_the_bigram_column(tenancies):
    """The rule: on PostgreSQL the firm search for a pair names the bigram column."""
    model_admin = mixed(Tenancy, ("enterprise__name",))
    with CaptureQueriesContext(connection) as queries:
        ids(model_admin, "丰收")
    assert any("name_bigrams" in q["sql"] for q in queries.captured_queries)
    with CaptureQueriesContext(connection) as queries:
        ids(model_admin, "丰收农")
    assert not any("name_bigrams" in q["sql"] for q in queries.captured_queries)


def test_a_term_no_credit_code_can_hold_is_not_looked_for_in_codes(tenancies):
    """The rule: a Chinese term is not compared with the codes (it cannot be in one), and a
    term that could be still is; the rows are those of the plain search."""
    fields = ("name", "=uscc", "uscc")
    for term in ["丰收", "91500105", tenancies.uscc[-6:].lower(), "无此"]:
        expected, _ = ids(plain(Enterprise, fields), term)
        assert ids(mixed(Enterprise, fields), term)[0] == expected, term
    with CaptureQueriesContext(connection) as queries:
        ids(mixed(Enterprise, fields), "丰收")
    assert '"uscc"' not in queries.captured_queries[-1]["sql"]
    with CaptureQueriesContext(connection) as queries:
        ids(mixed(Enterprise, ("uscc",)), "丰收")
    assert queries.captured_queries[-1]["sql"].count("enterprises_enterprise") >= 1
    assert ids(mixed(Enterprise, ("uscc",)), "丰收")[0] == set()


def test_a_whole_credit_code_is_compared_whole_not_looked_for_inside_codes(tenancies):
    """The rule: a term as long as a code can only be inside a code equal to it, so the code
    is compared whole (the expression index's equality) instead of by LIKE (the trigram index,
    which reads every code sharing the district's prefix); the rows are the plain search's."""
    fields = ("name", "=uscc", "uscc")
    for term in [tenancies.uscc, tenancies.uscc.lower(), tenancies.uscc[:-1] + "X", "91500105"]:
        expected, _ = ids(plain(Enterprise, fields), term)
        assert ids(mixed(Enterprise, fields), term)[0] == expected, term
    with CaptureQueriesContext(connection) as queries:
        found, _ = ids(mixed(Enterprise, fields), tenancies.uscc.lower())
    assert found == {tenancies.pk}
    sql = queries.captured_queries[-1]["sql"]
    assert 'UPPER("enterprises_enterprise"."uscc"::text) = UPPER(' in sql, sql
    assert 'UPPER("enterprises_enterprise"."uscc"::text) LIKE' not in sql, sql
    with CaptureQueriesContext(connection) as queries:
        ids(mixed(Enterprise, fields), "91500105")  # part of a code: still looked for inside
    assert (
        'UPPER("enterprises_enterprise"."uscc"::text) LIKE' in queries.captured_queries[-1]["sql"]
    )


def test_two_character_terms_find_activities_through_their_titles_bigrams(db):
    """The rule: an activity title's two-character term is looked for through its bigram
    column (incubators 0006), as a firm's name is; the rows are the plain search's."""
    from incubators.models import Activity
    from tests.incubators.factories import ActivityFactory

    ActivityFactory(title="科技路演日", organiser=IncubatorFactory(name="丰收孵化器"))
    ActivityFactory(title="Python 培训")
    ActivityFactory(title="创业沙龙")
    fields = ("title", "organiser__name")
    for term in ["路演", "培训", "PY", "py", "丰收", "沙龙", "无此", "科技路演"]:
        expected, _ = ids(plain(Activity, fields), term)
        assert ids(mixed(Activity, fields), term)[0] == expected, term
    with CaptureQueriesContext(connection) as queries:
        ids(mixed(Activity, fields), "路演")
    assert "title_bigrams" in queries.captured_queries[-1]["sql"]
