"""Policy calls and the what-if of draft versions: windows, checklists, applying inside a
call only, telling qualifying firms once per window, drafts, copying a year."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.models import Notification
from subsidies import eligibility, lib, selectors, services
from subsidies.forms import WindowFormSet
from subsidies.models import (
    ApplicationWindow,
    ChecklistItem,
    Programme,
    SubsidyClaim,
    SubsidyPolicy,
)
from tests.enterprises.factories import EnterpriseFactory, TechFirmRegistrationFactory
from tests.incubators.factories import TenancyFactory
from tests.portal.factories import EnterpriseUserFactory
from tests.subsidies.factories import YEAR, RDAuditFactory, SectionHeadFactory, policy
from tests.subsidies.flow import pdf, rent_ready

pytestmark = pytest.mark.django_db
D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = (dt.date(YEAR, 3, 1), dt.date(YEAR, 3, 31))


def on(year: int, month: int, day: int):
    return time_machine.travel(dt.datetime(year, month, day, 10, tzinfo=SHANGHAI), tick=False)


def _login(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _march_call(actors, code=Programme.RENT) -> SubsidyPolicy:
    version = policy(code)
    services.application_window_add(
        policy=version, opens_on=MARCH[0], closes_on=MARCH[1], acting_user=actors.handler
    )
    return version


def _draft_rent(actors, **extra):
    return services.subsidy_claim_draft(
        programme=Programme.RENT,
        year=YEAR,
        enterprise=actors.enterprise,
        rent_month_from=1,
        rent_month_to=2,
        acting_user=actors.member,
        **extra,
    )


def _renting_firm(area: Decimal | None = None):
    firm = EnterpriseFactory()
    TechFirmRegistrationFactory(enterprise=firm, registered_on=dt.date(YEAR - 1, 1, 1))
    TenancyFactory(enterprise=firm, area=area or D("100"), moved_in_on=dt.date(YEAR - 1, 1, 1))
    EnterpriseUserFactory(enterprise=firm)
    return firm


# ------------------------------------------------------------------------------ windows


def test_a_claim_started_outside_the_window_is_refused_with_its_dates(actors):
    rent_ready(actors)
    _march_call(actors)
    with on(YEAR, 4, 10), pytest.raises(ValidationError) as refused:
        _draft_rent(actors)
    assert "2025-03-01" in str(refused.value) and "2025-03-31" in str(refused.value)
    assert not SubsidyClaim.objects.exists()
    with on(YEAR, 3, 10):
        assert _draft_rent(actors).status == SubsidyClaim.Status.DRAFT


def test_a_claim_submitted_after_its_window_closed_is_refused(actors):
    rent_ready(actors)
    version = _march_call(actors)
    with on(YEAR, 3, 10):
        claim = _draft_rent(actors)
        services.subsidy_claim_attach(
            claim=claim, title="租赁合同", file=pdf(), acting_user=actors.member
        )
    with on(YEAR, 4, 10), pytest.raises(ValidationError, match="2025-03-31"):
        services.subsidy_claim_submit(claim=claim, acting_user=actors.member)
    claim.refresh_from_db()
    assert claim.status == SubsidyClaim.Status.DRAFT and claim.submitted_on is None
    services.application_window_add(
        policy=version,
        opens_on=dt.date(YEAR, 4, 1),
        closes_on=dt.date(YEAR, 4, 30),
        acting_user=actors.handler,
    )
    with on(YEAR, 4, 10):
        services.subsidy_claim_submit(claim=claim, acting_user=actors.member)
    claim.refresh_from_db()
    assert claim.status == SubsidyClaim.Status.SUBMITTED


def test_a_version_without_windows_takes_claims_while_in_effect(actors):
    rent_ready(actors)
    with on(YEAR, 8, 1):
        assert _draft_rent(actors).pk


@pytest.mark.parametrize(
    ("opens_on", "closes_on", "field"),
    [
        (dt.date(YEAR, 3, 20), dt.date(YEAR, 4, 10), "opens_on"),  # overlaps March
        (dt.date(YEAR, 2, 1), dt.date(YEAR, 3, 1), "opens_on"),  # touches its first day
        (dt.date(YEAR, 6, 10), dt.date(YEAR, 6, 1), "closes_on"),  # closes before it opens
    ],
)
def test_bad_windows_are_refused_at_the_field(actors, opens_on, closes_on, field):
    version = _march_call(actors)
    with pytest.raises(ValidationError) as refused:
        services.application_window_add(
            policy=version, opens_on=opens_on, closes_on=closes_on, acting_user=actors.handler
        )
    assert field in refused.value.error_dict
    assert version.windows.count() == 1


def test_a_firm_user_cannot_add_windows(actors):
    version = policy(Programme.RENT)
    with pytest.raises(PermissionDenied):
        services.application_window_add(
            policy=version, opens_on=MARCH[0], closes_on=MARCH[1], acting_user=actors.member
        )
    assert not ApplicationWindow.objects.exists()


def test_the_admin_inline_refuses_two_new_windows_that_overlap(actors):
    version = policy(Programme.RENT)
    formset_class = forms.inlineformset_factory(
        SubsidyPolicy,
        ApplicationWindow,
        formset=WindowFormSet,
        fields=("opens_on", "closes_on"),
        extra=0,
    )
    data = {
        "windows-TOTAL_FORMS": "2",
        "windows-INITIAL_FORMS": "0",
        "windows-0-opens_on": "2025-03-01",
        "windows-0-closes_on": "2025-03-31",
        "windows-1-opens_on": "2025-03-15",
        "windows-1-closes_on": "2025-04-15",
    }
    formset = formset_class(data, instance=version, prefix="windows")
    assert not formset.is_valid()
    assert "opens_on" in formset.forms[1].errors


# --------------------------------------------------------------------- drafts, published


def test_one_published_version_a_year_and_drafts_beside_it(actors):
    published = policy(Programme.RENT)
    draft = SubsidyPolicy.objects.get(pk=published.pk)
    draft.pk = None
    draft.status = SubsidyPolicy.Status.DRAFT
    draft.full_clean()
    draft.save()
    second = SubsidyPolicy.objects.get(pk=draft.pk)
    second.pk = None
    second.status = SubsidyPolicy.Status.PUBLISHED
    with pytest.raises(ValidationError):
        second.full_clean()


def test_a_claim_against_a_draft_version_is_refused(actors, client):
    rent_ready(actors)
    SubsidyPolicy.objects.filter(code=Programme.RENT, year=YEAR).update(
        status=SubsidyPolicy.Status.DRAFT
    )
    with pytest.raises(ValidationError) as refused:
        _draft_rent(actors)
    assert "year" in refused.value.error_dict  # no (published) version that year
    assert not SubsidyClaim.objects.exists()
    draft = SubsidyPolicy.objects.get(code=Programme.RENT, year=YEAR)
    _login(client, actors.member)
    assert client.get(reverse("subsidies:policy_detail", args=[draft.pk])).status_code == 404
    url = reverse("subsidies:claim_apply") + f"?policy={draft.pk}"
    assert client.get(url).status_code == 404
    assert client.get(reverse("subsidies:claim_apply") + "?policy=x").status_code == 404


def test_copying_a_year_makes_drafts_with_windows_a_year_on_and_the_checklist(actors):
    version = _march_call(actors)
    ChecklistItem.objects.create(policy=version, title="租赁合同", required=True, position=1)
    ChecklistItem.objects.create(policy=version, title="发票", required=False, position=2)
    rd = policy(Programme.RD_INVESTMENT)
    [draft, rd_draft] = sorted(
        services.policy_versions_copy_to_next_year(
            policies=[version, rd], acting_user=actors.handler
        ),
        key=lambda p: p.code != Programme.RENT,
    )
    assert (draft.year, draft.status, draft.amount) == (YEAR + 1, "draft", version.amount)
    assert [(w.opens_on, w.closes_on) for w in draft.windows.all()] == [
        (dt.date(YEAR + 1, 3, 1), dt.date(YEAR + 1, 3, 31))
    ]
    assert [(i.title, i.required) for i in draft.checklist.all()] == [
        ("租赁合同", True),
        ("发票", False),
    ]
    assert rd_draft.rate == rd.rate
    count = SubsidyPolicy.objects.count()
    with pytest.raises(ValidationError, match=str(YEAR + 1)):
        services.policy_versions_copy_to_next_year(policies=[version], acting_user=actors.handler)
    assert SubsidyPolicy.objects.count() == count
    with pytest.raises(PermissionDenied):
        services.policy_versions_copy_to_next_year(policies=[rd], acting_user=actors.member)


# ----------------------------------------------------------------------------- what-if


def test_a_draft_with_a_higher_rate_needs_more_budget_firm_by_firm(actors):
    published = policy(Programme.RD_INVESTMENT, rate=D("0.1000"), cap=D("150000"))
    for personnel in (D("500000"), D("1200000"), D("3000000")):
        audit = RDAuditFactory(personnel=personnel)
        audit.apply_cap()
        audit.completed_at = dt.datetime(YEAR + 1, 2, 1, tzinfo=SHANGHAI)
        audit.save()
    draft = services.policy_versions_copy_to_next_year(
        policies=[published], acting_user=actors.handler
    )[0]
    draft.year = YEAR  # a revision of this year's version, weighed before publishing
    draft.rate = D("0.2000")
    draft.save()

    before = selectors.policy_what_if(policy=published)
    after = selectors.policy_what_if(policy=draft)
    assert len(after.outcomes) == len(before.outcomes) == 3
    assert after.total > before.total
    audits = {a.claim.enterprise_id: a for a in selectors.basis_audits(draft)[1]}
    for old, new in zip(before.outcomes, after.outcomes, strict=True):
        audit = audits[new.enterprise.pk]
        assert new.eligibility.amount == eligibility.rd_subsidy(policy=draft, audit=audit).amount
        assert new.eligibility.amount == lib.rate_with_cap(
            base=audit.eligible_total, rate=D("0.2"), cap=D("150000")
        )
        assert new.eligibility.amount >= old.eligibility.amount
    assert after.total == sum(o.eligibility.amount for o in after.outcomes)


def test_the_what_if_of_rent_is_what_each_firm_computes_alone(actors):
    firms = [_renting_firm(D(area)) for area in ("50", "80.5")]
    EnterpriseFactory()  # registered nowhere: not a candidate
    published = policy(Programme.RENT)
    what_if = selectors.policy_what_if(policy=published)
    assert {o.enterprise for o in what_if.outcomes} == set(firms)
    for outcome in what_if.outcomes:
        alone = eligibility.compute(
            policy=published, enterprise=outcome.enterprise, months=range(1, 13)
        )
        assert outcome.eligibility.amount == alone.amount


# ------------------------------------------------------------------------------- calls


def test_staff_tell_qualifying_firms_once_per_window(actors):
    version = _march_call(actors)
    told_firms = [_renting_firm(), _renting_firm()]
    rent_ready(actors)  # this firm applies, so it is not told
    with on(YEAR, 3, 10):
        _draft_rent(actors)
        prospects = selectors.call_prospects(policy=version, day=dt.date(YEAR, 3, 10))
        assert {o.enterprise for o in prospects} == set(told_firms)
        assert (
            services.policy_call_notify(
                policy=version, acting_user=actors.handler, day=dt.date(YEAR, 3, 10)
            )
            == 2
        )
        rows = Notification.objects.filter(kind="policy_call")
        assert {n.recipient.enterprise for n in rows} == set(told_firms)
        assert (
            services.policy_call_notify(
                policy=version, acting_user=actors.handler, day=dt.date(YEAR, 3, 10)
            )
            == 0
        )
        assert Notification.objects.filter(kind="policy_call").count() == 2
    with pytest.raises(ValidationError):  # no call open in April
        services.policy_call_notify(
            policy=version, acting_user=actors.handler, day=dt.date(YEAR, 4, 10)
        )


def test_a_signer_may_read_the_call_page_but_not_tell_firms(client, actors):
    version = _march_call(actors)
    _renting_firm()
    head = SectionHeadFactory()
    _login(client, head)
    url = reverse("admin:subsidies_subsidypolicy_call", args=[version.pk])
    with on(YEAR, 3, 10):
        assert client.get(url).status_code == 200
        assert client.post(url).status_code == 403
    assert not Notification.objects.filter(kind="policy_call").exists()
    _login(client, actors.member)
    assert client.get(url).status_code == 302  # to the admin's login


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_policy_pages_query_counts_do_not_grow_with_firms(client, actors):
    version = _march_call(actors)
    ChecklistItem.objects.create(policy=version, title="租赁合同")
    _login(client, actors.handler)
    urls = [
        reverse("admin:subsidies_subsidypolicy_call", args=[version.pk]),
        reverse("admin:subsidies_subsidypolicy_what_if", args=[version.pk]),
        reverse("subsidies:policy_detail", args=[version.pk]),
        reverse("subsidies:policies"),
    ]
    with on(YEAR, 3, 10):
        for _ in range(3):
            _renting_firm()
        for url in urls:  # the official calendar is read once per process, then kept
            client.get(url)
        small = [_queries(client, url) for url in urls]
        for _ in range(12):
            _renting_firm()
        services.policy_call_notify(
            policy=version, acting_user=actors.handler, day=dt.date(YEAR, 3, 10)
        )
        large = [_queries(client, url) for url in urls]
    assert large == small
    # session, user, permissions, the version, tenancies, registrations, firms, claims
    # started, who was told: a fixed number, none per firm
    assert max(large) <= 14


# ------------------------------------------------------------------- the firm's pages


def test_the_policy_list_shows_this_years_versions_with_rates_as_percentages(client, actors):
    with on(YEAR, 3, 10):
        policy(Programme.RD_INVESTMENT, rate=D("0.1000"))
        _march_call(actors)
        policy(Programme.RENT, year=YEAR - 1)
        page = client.get(reverse("subsidies:policies"))
    text = page.content.decode()
    listed = page.context["policies"]
    assert {p.year for p in listed} == {YEAR} and len({p.code for p in listed}) == len(listed)
    assert "10%" in text and "0.1000" not in text and "20.00" in text


def test_the_policy_page_counts_working_days_left_then_names_the_next_window(client, actors):
    version = _march_call(actors)
    services.application_window_add(
        policy=version,
        opens_on=dt.date(YEAR, 9, 1),
        closes_on=dt.date(YEAR, 9, 30),
        acting_user=actors.handler,
    )
    url = reverse("subsidies:policy_detail", args=[version.pk])
    with on(YEAR, 3, 10):  # a Monday; 31 March is a Monday three weeks on
        state = client.get(url).context["state"]
    assert state.window.closes_on == MARCH[1] and state.working_days_left == 16
    with on(YEAR, 5, 10):
        state = client.get(url).context["state"]
    assert state.window is None and state.next_window.opens_on == dt.date(YEAR, 9, 1)
    with on(YEAR, 10, 10):
        response = client.get(url)
    assert not response.context["state"].is_open and response.context["state"].next_window is None
    assert 'id="apply"' not in response.content.decode()


def test_a_firm_applies_from_the_policy_page_with_each_material(client, actors):
    rent_ready(actors)
    version = _march_call(actors)
    lease = ChecklistItem.objects.create(policy=version, title="租赁合同", required=True)
    invoice = ChecklistItem.objects.create(policy=version, title="发票", required=False)
    _login(client, actors.member)
    apply_url = reverse("subsidies:claim_apply") + f"?policy={version.pk}"
    with on(YEAR, 3, 10):
        page = client.get(reverse("subsidies:policy_detail", args=[version.pk]))
        assert 'id="apply"' in page.content.decode()
        form = client.get(apply_url).context["form"]
        assert [item for _name, item in form.slots] == [lease, invoice]
        data = {"programme": "rent", "year": YEAR, "rent_month_from": 1, "rent_month_to": 3}
        missing = client.post(apply_url, data)
        assert missing.status_code == 200
        assert f"material_{lease.pk}" in missing.context["form"].errors
        assert not SubsidyClaim.objects.exists()
        response = client.post(apply_url, {**data, f"material_{lease.pk}": pdf()})
    claim = SubsidyClaim.objects.get()
    assert response.status_code == 302
    assert [a.title for a in claim.attachments.all()] == ["租赁合同"]
    with on(YEAR, 4, 2):  # closed: the page says so and offers no Apply
        page = client.get(reverse("subsidies:policy_detail", args=[version.pk]))
        assert 'id="apply"' not in page.content.decode()
        refused = client.post(apply_url, {**data, f"material_{lease.pk}": pdf()})
        assert refused.status_code == 200 and "2025-03-31" in refused.content.decode()


def test_submitting_without_a_required_material_is_refused(actors):
    rent_ready(actors)
    version = _march_call(actors)
    ChecklistItem.objects.create(policy=version, title="租赁合同", required=True)
    with on(YEAR, 3, 10):
        claim = _draft_rent(actors)
        services.subsidy_claim_attach(
            claim=claim, title="别的文件", file=pdf(), acting_user=actors.member
        )
        with pytest.raises(ValidationError, match="租赁合同"):
            services.subsidy_claim_submit(claim=claim, acting_user=actors.member)
        services.subsidy_claim_attach(
            claim=claim, title="租赁合同", file=pdf(), acting_user=actors.member
        )
        services.subsidy_claim_submit(claim=claim, acting_user=actors.member)
    claim.refresh_from_db()
    assert claim.status == SubsidyClaim.Status.SUBMITTED


# ------------------------------------------------------------------------------- admin


def test_staff_keep_windows_and_materials_on_the_version_page_and_copy_a_year(client, actors):
    version = _march_call(actors)
    _login(client, actors.handler)
    change = client.get(reverse("admin:subsidies_subsidypolicy_change", args=[version.pk]))
    text = change.content.decode()
    assert change.status_code == 200
    assert 'id="what-if-link"' in text and 'name="windows-0-opens_on"' in text
    assert 'name="checklist-TOTAL_FORMS"' in text
    changelist = reverse("admin:subsidies_subsidypolicy_changelist")
    data = {"action": "copy_to_next_year", "_selected_action": [version.pk]}
    assert client.post(changelist, data).status_code == 302
    draft = SubsidyPolicy.objects.get(code=version.code, year=YEAR + 1, status="draft")
    assert draft.windows.get().opens_on == dt.date(YEAR + 1, 3, 1)
    client.post(changelist, data)  # a second copy is refused: still one draft
    drafts = SubsidyPolicy.objects.filter(code=version.code, year=YEAR + 1, status="draft")
    assert drafts.count() == 1
    page = client.get(reverse("admin:subsidies_subsidypolicy_what_if", args=[draft.pk]))
    assert page.status_code == 200 and page.context["what_if"].total >= 0


def test_the_claim_page_names_the_materials_still_to_upload(client, actors):
    rent_ready(actors)
    version = _march_call(actors)
    ChecklistItem.objects.create(policy=version, title="租赁合同", required=True)
    ChecklistItem.objects.create(policy=version, title="发票", required=False)
    with on(YEAR, 3, 10):
        claim = _draft_rent(actors)
    _login(client, actors.member)
    page = client.get(reverse("subsidies:claim_detail", args=[claim.pk]))
    assert page.context["missing_materials"] == ["租赁合同"]
    form = client.get(reverse("subsidies:claim_attach", args=[claim.pk])).context["form"]
    assert form.titles == ["租赁合同"]
    services.subsidy_claim_attach(
        claim=claim, title="租赁合同", file=pdf(), acting_user=actors.member
    )
    page = client.get(reverse("subsidies:claim_detail", args=[claim.pk]))
    assert page.context["missing_materials"] == []
