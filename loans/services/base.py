"""Shared by the loans services: whether a user acts for a firm or a bank (outside the
workflows, e.g. creating an application), cents and today, and `lock_step`, the start of
every workflow step. Who may make a step is the table's business (loans.workflows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeGuard

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from common.workflow import Workflow, lock, require_step

if TYPE_CHECKING:
    from common.types import AnyUser, User

CENT = Decimal("0.01")


def today() -> dt.date:
    """The local date (Asia/Shanghai): what "today" means for every rule."""
    return timezone.localdate()


def _link_approved(user: AnyUser, kind: str) -> TypeGuard[User]:
    return (
        user.is_authenticated
        and user.is_active
        and user.organisation_kind == kind
        and user.link_status == "approved"
    )


def is_enterprise_user_of(user: AnyUser, enterprise_id: int | None) -> bool:
    return _link_approved(user, "enterprise") and user.enterprise_id == enterprise_id


def is_officer_of(user: AnyUser, bank_id: int | None) -> bool:
    return bank_id is not None and _link_approved(user, "bank") and user.bank_id == bank_id


def _is_staff_with(user: AnyUser, perm: str) -> bool:
    return user.is_active and user.is_staff and user.has_perm(perm)


def lock_step(
    workflow: Workflow,
    obj: models.Model,
    target: str,
    acting_user: User | None,
    *,
    related: Iterable[str] = (),
) -> Any:
    """Lock `obj`'s row, then refuse (PermissionDenied) anyone who makes no step to `target`
    from any state, before the table is read, so that an outsider learns nothing of the
    record, not even its state; then check the step (common.workflow.require_step). Nothing
    is written either way. Returns the locked row."""
    locked = lock(workflow, obj, related=related)
    actors = {
        actor.key: actor
        for source in workflow.sources(target)
        for actor in workflow.actors_for(source, target)
    }
    if actors and not any(actor.holds(acting_user, locked) for actor in actors.values()):
        raise PermissionDenied(
            _("Only %(actors)s may make this step.")
            % {"actors": _(", ").join(str(actor.label) for actor in actors.values())}
        )
    require_step(workflow, locked, target, acting_user)
    return locked
