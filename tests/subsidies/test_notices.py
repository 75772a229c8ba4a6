"""The public notice board (公示): notices grouping claims, the public objection form, the
approval guard for unanswered objections, the outcome shown once closed, notifications."""

import datetime as dt
import zoneinfo

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.models import Notification
from subsidies import services
from subsidies.models import Notice, Objection, Programme, SubsidyClaim
from subsidies.workflows.claims import CLAIM
from tests.subsidies.factories import YEAR
from tests.subsidies.flow import NOTICE, advance, pdf, rent_claim, rent_ready

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
S = SubsidyClaim.Status
DURING = dt.datetime(YEAR + 1, 1, 6, 10, tzinfo=TZ)
AFTER = dt.datetime(YEAR + 1, 1, 12, 10, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def signed_off(actors):
    rent_ready(actors)
    return advance(actors, rent_claim(actors), S.SIGNED_OFF)


@pytest.fixture
def notice(actors, signed_off, time_machine):
    time_machine.move_to(DURING)
    return services.notice_publish(
        claims=[signed_off],
        title="2026年房租补贴拟支持名单公示",
        starts_on=NOTICE[0],
        ends_on=NOTICE[1],
        acting_user=actors.handler,
    )


def _visitor_post(client, notice, target, **overrides):
    data = {
        "claim": str(target.pk),
        "content": "该企业实际租用面积小于申报面积",
        "name": "周婷",
        "phone": "13812345678",
        **overrides,
    }
    return client.post(reverse("notices:detail", args=[notice.pk]), data)


# ------------------------------------------------------------------------------ publishing


def test_a_notice_groups_its_claims_and_ends_by_the_working_day_calendar(actors, signed_off):
    # 2026-09-30 (Wednesday) before the National Day holiday: five working days counting the
    # first end after the holiday, never on a calendar count.
    notice = services.notice_publish(
        claims=[signed_off],
        title="公示",
        starts_on=dt.date(2026, 9, 30),
        acting_user=actors.handler,
    )
    from common.calendar import notice_earliest_end, working_days_between

    assert notice.ends_on == notice_earliest_end(dt.date(2026, 9, 30))
    assert working_days_between(notice.starts_on, notice.ends_on) >= 4
    assert (notice.ends_on - notice.starts_on).days > 7
    signed_off.refresh_from_db()
    assert signed_off.status == S.IN_NOTICE and signed_off.notice == notice
    assert (signed_off.notice_starts_on, signed_off.notice_ends_on) == (
        notice.starts_on,
        notice.ends_on,
    )


def test_a_notice_of_a_claim_not_signed_off_is_refused_whole(actors, signed_off):
    from tests.enterprises.factories import EnterpriseFactory

    draft = SubsidyClaim.objects.create(
        programme=Programme.RENT,
        year=YEAR,
        policy=signed_off.policy,
        enterprise=EnterpriseFactory(),
        rent_month_from=1,
        rent_month_to=1,
    )
    with pytest.raises(ValidationError) as caught:
        services.notice_publish(
            claims=[signed_off, draft], title="公示", acting_user=actors.handler
        )
    assert f"#{draft.pk}" in str(caught.value)
    assert not Notice.objects.exists()
    signed_off.refresh_from_db()
    assert signed_off.status == S.SIGNED_OFF


def test_publishing_needs_staff_and_a_title(actors, signed_off):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.notice_publish(claims=[signed_off], title="公示", acting_user=actors.member)
    with pytest.raises(ValidationError, match="title"):
        services.notice_publish(claims=[signed_off], title=" ", acting_user=actors.handler)
    assert not Notice.objects.exists()


def test_the_handler_hears_of_the_notice_end_once(actors, notice, time_machine):
    # The handler published it: not told of their own act.
    assert not Notification.objects.filter(kind="notice_published").exists()
    time_machine.move_to(AFTER)
    assert services.subsidy_claim_notices_end() == 1
    ended = Notification.objects.filter(kind="notice_ended")
    assert list(ended.values_list("recipient", flat=True)) == [actors.handler.pk]
    assert services.subsidy_claim_notices_end() == 0
    assert Notification.objects.filter(kind="notice_ended").count() == 1


def test_the_handler_hears_when_another_publishes(actors, signed_off):
    from tests.portal.factories import StaffFactory

    colleague = StaffFactory()
    services.notice_publish(claims=[signed_off], title="公示", acting_user=colleague)
    told = Notification.objects.filter(kind="notice_published")
    assert list(told.values_list("recipient", flat=True)) == [actors.handler.pk]


# ------------------------------------------------------------------------ the public form


def test_an_anonymous_visitor_files_an_objection_that_reaches_the_handler(
    client, actors, notice, signed_off
):
    response = _visitor_post(client, notice, signed_off)
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert (objection.claim, objection.objector_name, objection.objector_phone) == (
        signed_off,
        "周婷",
        "13812345678",
    )
    assert objection.filed_by is None and objection.received_on == DURING.date()
    told = Notification.objects.filter(kind="objection_filed")
    assert list(told.values_list("recipient", flat=True)) == [actors.handler.pk]
    assert str(objection.pk) in told.get().url


def test_a_signed_in_user_files_as_themselves(client, actors, notice, signed_off):
    client.force_login(actors.other_member)
    response = client.post(
        reverse("notices:detail", args=[notice.pk]),
        {"claim": str(signed_off.pk), "content": "有异议"},
    )
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.filed_by == actors.other_member
    assert objection.objector_name == "" and objection.objector_phone == ""


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": ""}, "phone"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "1381234567"}, "phone"),
        ({"name": ""}, "name"),
        ({"content": "   "}, "content"),
        ({"claim": "987654321"}, "claim"),
    ],
)
def test_bad_input_is_refused_at_its_field(client, notice, signed_off, overrides, field):
    response = _visitor_post(client, notice, signed_off, **overrides)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Objection.objects.exists()


@pytest.mark.parametrize("phone", ["023-67881234", "02367881234", "+86 138 1234 5678"])
def test_landlines_and_spaced_mobiles_are_accepted(client, notice, signed_off, phone):
    assert _visitor_post(client, notice, signed_off, phone=phone).status_code == 302


def test_a_file_that_is_not_a_document_is_refused(client, notice, signed_off):
    bad = SimpleUploadedFile("evidence.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    response = client.post(
        reverse("notices:detail", args=[notice.pk]),
        {
            "claim": str(signed_off.pk),
            "content": "见附件",
            "name": "周婷",
            "phone": "13812345678",
            "file": bad,
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert not Objection.objects.exists()


def test_a_supporting_file_is_kept_privately(client, notice, signed_off):
    response = client.post(
        reverse("notices:detail", args=[notice.pk]),
        {
            "claim": str(signed_off.pk),
            "content": "见附件",
            "name": "周婷",
            "phone": "13812345678",
            "file": pdf("evidence.pdf"),
        },
    )
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.file.name.startswith("objections/")
    assert "evidence" not in objection.file.name


def test_another_notices_claim_is_refused(actors, client, notice, signed_off, time_machine):
    from tests.enterprises.factories import EnterpriseFactory

    other = SubsidyClaim.objects.create(
        programme=Programme.RENT,
        year=YEAR,
        policy=signed_off.policy,
        enterprise=EnterpriseFactory(),
        rent_month_from=1,
        rent_month_to=1,
    )
    with pytest.raises(ValidationError) as caught:
        services.objection_file(
            notice=notice, claim_id=other.pk, content="x", name="周婷", phone_number="13812345678"
        )
    assert "claim" in caught.value.error_dict
    response = _visitor_post(client, notice, signed_off, claim=str(other.pk))
    assert response.status_code == 400
    assert not Objection.objects.exists()


def test_objections_after_the_end_are_refused_with_the_dates(
    client, notice, signed_off, time_machine
):
    time_machine.move_to(dt.datetime(YEAR + 1, 1, 11, 23, tzinfo=TZ))
    # the last day still takes objections
    assert _visitor_post(client, notice, signed_off).status_code == 302
    time_machine.move_to(AFTER)
    response = _visitor_post(client, notice, signed_off)
    assert response.status_code == 400
    text = response.content.decode()
    assert NOTICE[0].isoformat() in text and NOTICE[1].isoformat() in text
    assert Objection.objects.count() == 1


def test_the_form_is_rate_limited_per_address(client, notice, signed_off, settings):
    settings.OBJECTION_RATE_LIMIT = 2
    assert _visitor_post(client, notice, signed_off).status_code == 302
    assert _visitor_post(client, notice, signed_off).status_code == 302
    response = _visitor_post(client, notice, signed_off)
    assert response.status_code == 429
    assert "2" in " ".join(response.context["form"].non_field_errors())
    assert Objection.objects.count() == 2
    # another address is not held up
    response = client.post(
        reverse("notices:detail", args=[notice.pk]),
        {"claim": str(signed_off.pk), "content": "x", "name": "周婷", "phone": "13812345678"},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302


def test_the_form_needs_the_csrf_token(notice, signed_off):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert _visitor_post(strict, notice, signed_off).status_code == 403
    assert not Objection.objects.exists()


# ---------------------------------------------------------------------- approval guarded


def _ended_with_objection(actors, notice, signed_off, time_machine) -> Objection:
    objection = services.objection_file(
        notice=notice,
        claim_id=signed_off.pk,
        content="面积有误",
        name="周婷",
        phone_number="13812345678",
    )
    time_machine.move_to(AFTER)
    services.subsidy_claim_notices_end()
    return objection


def test_a_claim_with_an_open_objection_is_not_approved(actors, notice, signed_off, time_machine):
    objection = _ended_with_objection(actors, notice, signed_off, time_machine)
    with pytest.raises(ValidationError, match="not answered"):
        services.subsidy_claim_approve(
            claim=signed_off, approved_amount=signed_off.eligible_amount, acting_user=actors.handler
        )
    signed_off.refresh_from_db()
    assert signed_off.status == S.NOTICE_ENDED
    services.objection_answer(objection=objection, answer="经核实无误", acting_user=actors.handler)
    services.subsidy_claim_approve(
        claim=signed_off, approved_amount=signed_off.eligible_amount, acting_user=actors.handler
    )
    signed_off.refresh_from_db()
    assert signed_off.status == S.APPROVED


def test_the_guard_is_what_refuses(actors, notice, signed_off, time_machine, monkeypatch):
    """Without the approval step's guard in the table the claim would be approved: the
    refusal above comes from the workflow's guard and nowhere else."""
    _ended_with_objection(actors, notice, signed_off, time_machine)
    monkeypatch.delitem(CLAIM.guards, (S.NOTICE_ENDED, S.APPROVED))
    services.subsidy_claim_approve(
        claim=signed_off, approved_amount=signed_off.eligible_amount, acting_user=actors.handler
    )
    signed_off.refresh_from_db()
    assert signed_off.status == S.APPROVED


def test_answering_is_for_staff_once(actors, notice, signed_off, time_machine):
    from django.core.exceptions import PermissionDenied

    objection = _ended_with_objection(actors, notice, signed_off, time_machine)
    with pytest.raises(PermissionDenied):
        services.objection_answer(objection=objection, answer="x", acting_user=actors.member)
    with pytest.raises(ValidationError):
        services.objection_answer(objection=objection, answer=" ", acting_user=actors.handler)
    services.objection_answer(objection=objection, answer="已核实", acting_user=actors.handler)
    objection.refresh_from_db()
    assert (objection.answered_by, objection.answered_on) == (actors.handler, AFTER.date())
    with pytest.raises(ValidationError, match="already"):
        services.objection_answer(objection=objection, answer="再答", acting_user=actors.handler)


# -------------------------------------------------------------------------- the outcome


def test_a_closed_notice_shows_objections_and_answers_without_the_objector(
    client, actors, notice, signed_off, time_machine
):
    objection = _ended_with_objection(actors, notice, signed_off, time_machine)
    services.objection_answer(
        objection=objection, answer="经核实面积无误", acting_user=actors.handler
    )
    response = client.get(reverse("notices:detail", args=[notice.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "面积有误" in text and "经核实面积无误" in text
    assert "周婷" not in text and "13812345678" not in text
    assert 'id="objection-form"' not in text


def test_an_open_notice_shows_its_claims_and_the_form(client, notice, signed_off):
    response = client.get(reverse("notices:detail", args=[notice.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert signed_off.enterprise.name in text
    assert f'data-claim="{signed_off.pk}"' in text
    assert 'id="objection-form"' in text and "csrfmiddlewaretoken" in text


def test_a_notice_not_yet_started_is_404(client, actors, signed_off, time_machine):
    time_machine.move_to(DURING)
    later = services.notice_publish(
        claims=[signed_off],
        title="公示",
        starts_on=DURING.date() + dt.timedelta(days=7),
        acting_user=actors.handler,
    )
    assert client.get(reverse("notices:detail", args=[later.pk])).status_code == 404
    assert client.get(reverse("notices:detail", args=[987654321])).status_code == 404


# ---------------------------------------------------------------------------- query counts


def _notices(actors, count: int, start: dt.date) -> None:
    """`count` notices, each of two claims (made directly: the list reads, it does not step)."""
    from tests.enterprises.factories import EnterpriseFactory
    from tests.subsidies.factories import policy

    rent_policy = policy(Programme.RENT)
    for index in range(count):
        notice = Notice.objects.create(
            number=f"T-{start:%m%d}-{index}",
            title=f"公示 {index}",
            # even ones open, odd ones closed
            starts_on=start - dt.timedelta(days=index + 30 * (index % 2)),
            ends_on=start + dt.timedelta(days=10 - 30 * (index % 2)),
        )
        for _ in range(2):
            claim = SubsidyClaim.objects.create(
                programme=Programme.RENT,
                year=YEAR,
                policy=rent_policy,
                enterprise=EnterpriseFactory(),
                rent_month_from=1,
                rent_month_to=1,
                status=S.IN_NOTICE,
                notice=notice,
                eligible_amount=1000,
            )
            Objection.objects.create(
                claim=claim, received_on=start, content="异议", answer="答复", answered_on=start
            )


@pytest.mark.parametrize("size", [3, 25])
def test_the_board_and_a_notice_page_hold_their_queries_as_rows_grow(
    client, actors, size, time_machine
):
    time_machine.move_to(dt.datetime(YEAR + 1, 3, 2, 10, tzinfo=TZ))
    _notices(actors, size, dt.date(YEAR + 1, 3, 2))
    with CaptureQueriesContext(connection) as board:
        assert client.get(reverse("notices:list")).status_code == 200
    # session-less anonymous page: the paginator's count and the page of notices
    assert len(board) <= 3, [q["sql"] for q in board]
    last = Notice.objects.order_by("starts_on").first()
    with CaptureQueriesContext(connection) as page:
        assert client.get(reverse("notices:detail", args=[last.pk])).status_code == 200
    # the notice, its claims with claimant and policy, their objections
    assert len(page) <= 4, [q["sql"] for q in page]


def test_open_notices_come_first(client, actors, time_machine):
    time_machine.move_to(dt.datetime(YEAR + 1, 3, 2, 10, tzinfo=TZ))
    _notices(actors, 8, dt.date(YEAR + 1, 3, 2))
    response = client.get(reverse("notices:list"))
    flags = [n.closed for n in response.context["page"].object_list]
    assert flags == sorted(flags) and 0 in flags and 1 in flags


# ---------------------------------------------------------------------------------- admin


@pytest.mark.parametrize(
    "url_name",
    ["admin:subsidies_notice_changelist", "admin:subsidies_objection_changelist"],
)
@pytest.mark.parametrize("size", [3, 25])
def test_the_admin_lists_hold_their_queries(client, actors, url_name, size, time_machine):
    time_machine.move_to(dt.datetime(YEAR + 1, 3, 2, 10, tzinfo=TZ))
    _notices(actors, size, dt.date(YEAR + 1, 3, 2))
    client.force_login(actors.handler)
    # session, user, permissions, the page with its joined rows, the count, filters,
    # the date hierarchy; none per row.
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(url_name)).status_code == 200
    assert len(queries) <= 14, [q["sql"] for q in queries]


def test_staff_answer_in_the_admin_and_an_empty_answer_is_refused(
    client, actors, notice, signed_off
):
    objection = services.objection_file(
        notice=notice,
        claim_id=signed_off.pk,
        content="异议",
        name="周婷",
        phone_number="13812345678",
    )
    client.force_login(actors.handler)
    url = reverse("admin:subsidies_objection_change", args=[objection.pk])
    page = client.get(url)
    assert page.status_code == 200 and "13812345678" in page.content.decode()
    response = client.post(url, {"answer": "  "})
    assert response.status_code == 200 and response.context["adminform"].form.errors["answer"]
    objection.refresh_from_db()
    assert objection.answered_on is None
    response = client.post(url, {"answer": "已核实", "_save": "1"})
    assert response.status_code == 302
    objection.refresh_from_db()
    assert (objection.answer, objection.answered_by) == ("已核实", actors.handler)


def test_a_signer_reads_objections_but_cannot_answer(client, actors, notice, signed_off):
    objection = services.objection_file(
        notice=notice,
        claim_id=signed_off.pk,
        content="异议",
        name="周婷",
        phone_number="13812345678",
    )
    client.force_login(actors.head)
    url = reverse("admin:subsidies_objection_change", args=[objection.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"answer": "越权答复"})
    objection.refresh_from_db()
    assert objection.answered_on is None


def test_the_objection_file_opens_for_staff_only(client, actors, notice, signed_off):
    objection = services.objection_file(
        notice=notice,
        claim_id=signed_off.pk,
        content="见附件",
        name="周婷",
        phone_number="13812345678",
        file=pdf("evidence.pdf"),
    )
    url = reverse("admin:subsidies_objection_file", args=[objection.pk])
    client.force_login(actors.handler)
    response = client.get(url)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    client.force_login(actors.member)
    assert client.get(url).status_code in (302, 403, 404)


def test_the_claims_action_publishes_a_notice_and_refuses_a_claim_not_signed_off(
    client, actors, signed_off
):
    from tests.enterprises.factories import EnterpriseFactory

    draft = SubsidyClaim.objects.create(
        programme=Programme.RENT,
        year=YEAR,
        policy=signed_off.policy,
        enterprise=EnterpriseFactory(),
        rent_month_from=1,
        rent_month_to=1,
    )
    client.force_login(actors.handler)
    url = reverse("admin:subsidies_subsidyclaim_changelist")
    data = {"action": "put_on_notice", "title": "公示", "starts_on": "", "publish": "1"}
    response = client.post(url, {**data, "_selected_action": [signed_off.pk, draft.pk]})
    assert response.status_code == 200 and response.context["form"].errors
    assert not Notice.objects.exists()
    response = client.post(
        url, {**data, "starts_on": NOTICE[0].isoformat(), "_selected_action": [signed_off.pk]}
    )
    assert response.status_code == 302
    notice = Notice.objects.get()
    assert list(notice.claims.all()) == [signed_off]
