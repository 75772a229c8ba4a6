"""Queue handovers: a handler away hands their queue to a colleague for a period; each sets
their own, the bureau admin anyone's. Through the service and through the admin."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from common.models import Notification, QueueHandover
from common.queue import queue_handover_save
from portal.accounts.roles import Role
from tests.portal.factories import EnterpriseUserFactory, StaffFactory
from tests.subsidies.factories import FinanceFactory

pytestmark = pytest.mark.django_db

MON, FRI = dt.date(2026, 3, 16), dt.date(2026, 3, 20)


def handover(from_user, to_user, starts_on=MON, ends_on=FRI):
    return QueueHandover(from_user=from_user, to_user=to_user, starts_on=starts_on, ends_on=ends_on)


@pytest.fixture
def admin_user():
    return StaffFactory(roles=(Role.BUREAU_ADMIN,))


# ----------------------------------------------------------------------------- service


def test_a_handler_hands_over_their_own_queue():
    wang, li = StaffFactory(), StaffFactory()
    saved = queue_handover_save(handover=handover(wang, li), acting_user=wang)
    saved.refresh_from_db()
    assert (saved.from_user, saved.to_user, saved.created_by) == (wang, li, wang)


def test_finance_hands_over_their_own_queue_too():
    zhou, li = FinanceFactory(), StaffFactory()
    queue_handover_save(handover=handover(zhou, li), acting_user=zhou)
    assert QueueHandover.objects.filter(from_user=zhou).exists()


def test_a_handler_cannot_hand_over_a_colleagues_queue():
    wang, li = StaffFactory(), StaffFactory()
    with pytest.raises(PermissionDenied):
        queue_handover_save(handover=handover(wang, li), acting_user=li)
    assert not QueueHandover.objects.exists()


def test_a_handler_cannot_take_over_a_colleagues_handover():
    wang, li, zhao = StaffFactory(), StaffFactory(), StaffFactory()
    given = QueueHandover.objects.create(from_user=wang, to_user=zhao, starts_on=MON, ends_on=FRI)
    given.from_user = li
    given.to_user = wang
    with pytest.raises(PermissionDenied):
        queue_handover_save(handover=given, acting_user=li)
    given.refresh_from_db()
    assert (given.from_user, given.to_user) == (wang, zhao)


def test_the_bureau_admin_sets_anyones_handover(admin_user):
    wang, li = StaffFactory(), StaffFactory()
    saved = queue_handover_save(handover=handover(wang, li), acting_user=admin_user)
    assert saved.created_by == admin_user


@pytest.mark.parametrize(
    ("to", "days", "field", "message"),
    [
        ("self", (MON, FRI), "to_user", "Hand the queue to someone else."),
        ("inactive", (MON, FRI), "to_user", "Hand the queue to an active bureau user."),
        ("enterprise", (MON, FRI), "to_user", "Hand the queue to an active bureau user."),
        ("colleague", (FRI, MON), "ends_on", "The handover cannot end before it starts."),
    ],
)
def test_a_wrong_handover_is_refused_with_a_message(to, days, field, message, settings):
    settings.LANGUAGE_CODE = "en"
    wang = StaffFactory()
    target = {
        "self": wang,
        "inactive": StaffFactory(is_active=False),
        "enterprise": EnterpriseUserFactory(),
        "colleague": StaffFactory(),
    }[to]
    with pytest.raises(ValidationError) as refused:
        queue_handover_save(handover=handover(wang, target, *days), acting_user=wang)
    assert refused.value.message_dict[field] == [message]
    assert not QueueHandover.objects.exists()


def test_only_a_bureau_users_queue_is_handed_over(admin_user, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(ValidationError) as refused:
        queue_handover_save(
            handover=handover(EnterpriseUserFactory(), StaffFactory()), acting_user=admin_user
        )
    assert "from_user" in refused.value.message_dict
    assert not QueueHandover.objects.exists()


# ------------------------------------------------------------------------------- admin


def _post(client, url, from_user, to_user, starts_on=MON, ends_on=FRI):
    return client.post(
        url,
        {
            "from_user": from_user.pk,
            "to_user": to_user.pk,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
        },
    )


def test_staff_add_their_own_handover_in_the_admin(client):
    wang, li = StaffFactory(), StaffFactory()
    client.force_login(wang)
    page = client.get(reverse("admin:common_queuehandover_add"))
    assert page.status_code == 200
    choices = page.context["adminform"].form.fields["from_user"].queryset
    assert list(choices) == [wang]

    response = _post(client, reverse("admin:common_queuehandover_add"), wang, li)
    assert response.status_code == 302
    assert QueueHandover.objects.get().created_by == wang


def test_staff_cannot_set_a_colleagues_handover_in_the_admin(client):
    wang, li, zhao = StaffFactory(), StaffFactory(), StaffFactory()
    client.force_login(wang)
    response = _post(client, reverse("admin:common_queuehandover_add"), li, zhao)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["from_user"]
    assert not QueueHandover.objects.exists()


def test_staff_see_only_handovers_they_give_or_take(client):
    wang, li, zhao = StaffFactory(), StaffFactory(), StaffFactory()
    given = QueueHandover.objects.create(from_user=wang, to_user=li, starts_on=MON, ends_on=FRI)
    taken = QueueHandover.objects.create(from_user=zhao, to_user=wang, starts_on=MON, ends_on=FRI)
    QueueHandover.objects.create(from_user=li, to_user=zhao, starts_on=MON, ends_on=FRI)
    client.force_login(wang)

    listed = client.get(reverse("admin:common_queuehandover_changelist"))
    assert set(listed.context["cl"].result_list) == {given, taken}
    # one taken from a colleague is read, not changed
    url = reverse("admin:common_queuehandover_change", args=[taken.pk])
    assert _post(client, url, zhao, wang, MON, MON).status_code == 403
    taken.refresh_from_db()
    assert taken.ends_on == FRI


def test_the_bureau_admin_sets_anyones_handover_in_the_admin(client, admin_user):
    wang, li = StaffFactory(), StaffFactory()
    client.force_login(admin_user)
    response = _post(client, reverse("admin:common_queuehandover_add"), wang, li)
    assert response.status_code == 302
    saved = QueueHandover.objects.get()
    assert (saved.from_user, saved.created_by) == (wang, admin_user)


def test_the_admin_form_refuses_reversed_days(client):
    wang, li = StaffFactory(), StaffFactory()
    client.force_login(wang)
    response = _post(client, reverse("admin:common_queuehandover_add"), wang, li, FRI, MON)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["ends_on"]
    assert not QueueHandover.objects.exists()


# ------------------------------------------------------------------- the outbox, read-only


def _notification(recipient):
    return Notification.objects.create(
        recipient=recipient, email=recipient.email, kind="test", subject="主题", body="正文"
    )


def test_the_bureau_admin_reads_the_outbox_and_changes_nothing(client, admin_user):
    row = _notification(StaffFactory())
    client.force_login(admin_user)
    listed = client.get(reverse("admin:common_notification_changelist") + "?status__exact=pending")
    assert list(listed.context["cl"].result_list) == [row]
    assert client.get(reverse("admin:common_notification_add")).status_code == 403
    change = reverse("admin:common_notification_change", args=[row.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"subject": "改了", "status": "sent"}).status_code == 403
    delete = reverse("admin:common_notification_delete", args=[row.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    row.refresh_from_db()
    assert (row.subject, row.status) == ("主题", "pending")


@pytest.mark.parametrize("role", [Role.BUREAU_STAFF, Role.FINANCE])
def test_other_bureau_roles_do_not_see_the_outbox(client, role):
    _notification(StaffFactory())
    client.force_login(StaffFactory(roles=(role,)))
    assert client.get(reverse("admin:common_notification_changelist")).status_code == 403
