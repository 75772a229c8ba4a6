"""Every role of the portal as one user each, and the check that a step told exactly the
people the workflow names, each with a link that opens for them.

`every_role(enterprise=firm)` gives the bureau's roles and one user of each kind of
organisation, the firm's own user among them, for `tests.workflow_walk.walk`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from common.models import Notification
from common.workflow import Workflow
from portal.accounts.roles import Role


def every_role(*, enterprise: Any) -> dict[str, Any]:
    """One active user per role; "firm" acts for `enterprise`, "other_firm" for another."""
    from tests.incubators.factories import OperatorFactory
    from tests.loans.factories import BankOfficerFactory
    from tests.portal.factories import EnterpriseUserFactory, StaffFactory
    from tests.subsidies.factories import (
        AuditorFactory,
        DeputyDirectorFactory,
        FinanceFactory,
        SectionHeadFactory,
    )

    return {
        "bureau_admin": StaffFactory(roles=[Role.BUREAU_ADMIN]),
        "staff": StaffFactory(),
        "section_head": SectionHeadFactory(),
        "deputy_director": DeputyDirectorFactory(),
        "finance": FinanceFactory(),
        "firm": EnterpriseUserFactory(enterprise=enterprise),
        "other_firm": EnterpriseUserFactory(),
        "bank_officer": BankOfficerFactory(),
        "auditor": AuditorFactory(),
        "carrier_operator": OperatorFactory(),
    }


def last_notification_pk() -> int:
    last = Notification.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def expected_recipients(workflow: Workflow, obj: Any, roles: dict[str, Any]) -> set[int]:
    """The users of `roles` the state of `obj` names as next actors or as told: the holder
    alone for a staff actor the holder stands for once a staff member took the record up."""
    state = workflow.status_of(obj)
    holder = workflow.holder_id(obj)
    expected: set[int] = set()
    for actor in (*workflow.next.get(state, ()), *workflow.tell.get(state, ())):
        people = [user for user in roles.values() if actor.holds(user, obj)]
        if holder is not None and workflow.held_by_holder(actor):
            people = [user for user in people if user.pk == holder] or people
        expected |= {user.pk for user in people}
    return expected


def assert_told(
    client: Any,
    workflow: Workflow,
    obj: Any,
    roles: dict[str, Any],
    *,
    after: int,
) -> list[Notification]:
    """The notifications of `workflow` written since `after` went to exactly the people it
    names for the state of `obj`, one each, and each link answers 200 for its recipient.
    (A step may start another process, as recognition drafts a reward claim; that process
    tells its own next actors, in notifications of its own kind.)"""
    obj.refresh_from_db()
    written = list(Notification.objects.filter(pk__gt=after, kind=workflow.name).order_by("pk"))
    where = f"{workflow.name} → {workflow.status_of(obj)}"
    recipients = [row.recipient_id for row in written]
    assert len(recipients) == len(set(recipients)), f"{where}: someone was told twice"
    last = (
        workflow.record_class._default_manager.filter(**{workflow.record_fk: obj})
        .order_by("-created_at", "-pk")
        .first()
    )
    # the person who made the step is not told of it
    expected = expected_recipients(workflow, obj, roles) - {getattr(last, "acting_user_id", None)}
    assert expected, f"{where}: nobody to tell"
    assert set(recipients) == expected, f"{where}: told {recipients}, expected {expected}"
    for row in written:
        assert row.url and row.url in row.body, f"{where}: the email lacks its link"
        client.force_login(row.recipient)
        response = client.get(urlsplit(row.url).path)
        assert response.status_code == 200, f"{where}: {row.url} answers {response.status_code}"
    client.logout()
    return written
