"""The work queue (我的待办) of a person, and who holds whose queue today (handovers).

A queue is computed from the workflow tables (`common.workflow.REGISTRY`): for every process,
the records in a state whose next actors the person holds. A `Permission` actor sees every
record in that state, except where the process names a holder (`Workflow.holder_field`): a
held record waits for its holder, or for the colleagues the holder handed the queue to today,
as long as one of them holds the permission (else, as for the notifications, for everyone
who does). A `Relation` actor sees the records of its own organisation.

The queue costs a bounded number of queries whatever the number of rows: one per process
(two when a process has more rows than the page lists), plus the day's handovers and the
holders of the permissions that meet a holder. The count in the navigation is one query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission as AuthPermission
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models, transaction
from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from common import calendar as cal
from common.audit import save_with_audit
from common.models import QueueHandover
from common.workflow import REGISTRY, Actor, Permission, Workflow

# How many items a queue lists; the totals per process count every item.
QUEUE_LIMIT = 200
# Who sets other people's handovers: the bureau admin's right (portal.accounts.roles names it;
# a codename, not an import, keeps common below portal).
MANAGE_HANDOVERS = "accounts.manage_accounts"


def queue_holders(user_id: int, *, on: dt.date | None = None) -> list[Any]:
    """The people who act on `user_id`'s records on `on` (default today): the colleagues the
    queue is handed to, or the person themself when no handover covers the day."""
    day = on or timezone.localdate()
    delegates = list(
        QueueHandover.objects.filter(
            from_user_id=user_id, starts_on__lte=day, ends_on__gte=day
        ).values_list("to_user_id", flat=True)
    )
    ids = delegates or [user_id]
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("pk"))


# ---------------------------------------------------------------------------- the queue


@dataclass(frozen=True)
class QueueItem:
    """One record waiting for the person, as the queue page and the digest show it."""

    workflow: Workflow
    obj: Any
    actor: Actor
    process: str
    title: str
    state: str
    since: dt.datetime | None  # when it entered its state
    age: int | None  # working days since then
    deadline: dt.date | None
    overdue: bool
    holder: str  # the holder's name, or the role it waits for
    handed_to: str  # the colleagues holding the holder's queue today, if any
    link: str  # the page that opens it for this person


@dataclass(frozen=True)
class ProcessTotal:
    name: str
    label: str
    count: int


@dataclass(frozen=True)
class WorkQueue:
    """The first `limit` items, oldest first, and how many wait in each process."""

    items: list[QueueItem]
    totals: list[ProcessTotal]
    handed_over: list[QueueHandover]  # today the person's own queue is with these colleagues

    @property
    def total(self) -> int:
        return sum(t.count for t in self.totals)

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.items if item.overdue)

    @property
    def truncated(self) -> bool:
        return self.total > len(self.items)


class _Handovers:
    """The handovers covering one day: whose queue is with whom (one query)."""

    def __init__(self, day: dt.date) -> None:
        self.delegates: dict[int, list[Any]] = {}
        rows = (
            QueueHandover.objects.filter(starts_on__lte=day, ends_on__gte=day)
            .select_related("to_user")
            .order_by("from_user_id", "to_user_id")
        )
        for row in rows:
            self.delegates.setdefault(row.from_user_id, []).append(row.to_user)

    def holders(self, user_id: int) -> set[int]:
        """Whose hands `user_id`'s records are in (as `queue_holders`, before the active
        filter: a permission holder is active anyway)."""
        handed = self.delegates.get(user_id)
        return {u.pk for u in handed} if handed else {user_id}

    def handed_from(self, user_id: int) -> set[int]:
        """The people whose queue `user_id` holds today."""
        return {f for f, to in self.delegates.items() if any(u.pk == user_id for u in to)}

    def names(self, user_id: int) -> str:
        return _("、").join(u.display_name for u in self.delegates.get(user_id, ()))


def _permission_holders(codenames: Iterable[str]) -> dict[str, set[int]]:
    """For each "app.codename", the active bureau accounts holding it (superusers hold all),
    in one query, as `Permission.holds` answers for each of them."""
    codenames = sorted(set(codenames))
    found: dict[str, set[int]] = {code: set() for code in codenames}
    if not codenames:
        return found
    user_model = get_user_model()
    wanted = Q()
    for code in codenames:
        app_label, codename = code.split(".", 1)
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    permissions = AuthPermission.objects.filter(wanted)
    bureau = {"user__is_active": True, "user__is_staff": True}
    direct = user_model.user_permissions.through.objects.filter(  # type: ignore[attr-defined]
        permission__in=permissions, **bureau
    ).values_list("user_id", "permission__content_type__app_label", "permission__codename")
    grouped = user_model.groups.through.objects.filter(  # type: ignore[attr-defined]
        group__permissions__in=permissions, **bureau
    ).values_list(
        "user_id", "group__permissions__content_type__app_label", "group__permissions__codename"
    )
    superusers = user_model.objects.filter(
        is_superuser=True, is_active=True, is_staff=True
    ).values_list("pk", Value(""), Value("*"))
    for user_id, app_label, codename in direct.union(grouped, superusers, all=True):
        if codename == "*":
            for holders in found.values():
                holders.add(user_id)
        else:
            found.setdefault(f"{app_label}.{codename}", set()).add(user_id)
    return found


def _held_by(field: str, user: Any, holders: set[int], handovers: _Handovers) -> Q:
    """Which held records of a permission's state wait for `user` (who holds the permission):
    unheld ones, those whose holder's queue is in `user`'s hands, and those no holder's hand
    can take (then everyone holding the permission is asked, as the notifications do)."""
    covered = {h for h in holders if not handovers.delegates.get(h)} | {
        f for f in handovers.delegates if handovers.holders(f) & holders
    }
    mine = {h for h in covered if user.pk in handovers.holders(h)}
    return (
        Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}_id__in": sorted(mine)})
        | ~Q(**{f"{field}_id__in": sorted(covered)})
    )


@dataclass(frozen=True)
class _Part:
    """One process's share of a queue: per (state, actor) the records it selects."""

    workflow: Workflow
    branches: list[tuple[Actor, Q]]

    def queryset(self) -> models.QuerySet[Any]:
        condition = Q()
        for _actor, branch in self.branches:
            condition |= branch
        return self.workflow.model_class._default_manager.filter(condition)


def _holds(actor: Actor, user: Any) -> bool:
    return isinstance(actor, Permission) and actor.holds(user)


def _parts(user: Any, day: dt.date) -> tuple[list[_Part], _Handovers | None]:
    if not (user is not None and getattr(user, "is_active", False) and user.pk):
        return [], None
    workflows = sorted(REGISTRY.values(), key=lambda wf: wf.name)
    # Only a held process's permission states need the handovers and the permission holders.
    held_codes = {
        actor.key
        for wf in workflows
        if wf.holder_field
        for actors in wf.next.values()
        for actor in actors
        if _holds(actor, user)
    }
    handovers = _Handovers(day) if held_codes else None
    holders = _permission_holders(held_codes)
    parts: list[_Part] = []
    for wf in workflows:
        branches: list[tuple[Actor, Q]] = []
        for state, actors in wf.next.items():
            for actor in actors:
                scope = actor.scope(user)
                if scope is None:
                    continue
                branch = Q(**{wf.status_field: state}) & scope
                if wf.holder_field and handovers is not None and isinstance(actor, Permission):
                    branch &= _held_by(wf.holder_field, user, holders[actor.key], handovers)
                branches.append((actor, branch))
        if branches:
            parts.append(_Part(wf, branches))
    return parts, handovers


def _has_field(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _since(wf: Workflow) -> Any:
    """When a record entered its current state: its latest step into that state, else when
    the record was made."""
    latest = (
        wf.record_class._default_manager.filter(
            **{wf.record_fk: OuterRef("pk"), "to_status": OuterRef(wf.status_field)}
        )
        .exclude(from_status=F("to_status"))  # a reply that leaves the state as it was
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )
    since = Subquery(latest, output_field=models.DateTimeField())
    if _has_field(wf.model_class, "created_at"):
        return Coalesce(since, F("created_at"), output_field=models.DateTimeField())
    return since


def _items(
    part: _Part, day: dt.date, handovers: _Handovers | None, limit: int
) -> Iterator[QueueItem]:
    wf = part.workflow
    related = [*wf.related, *([wf.holder_field] if wf.holder_field else [])]
    rows = (
        part.queryset()
        .annotate(
            queue_branch=Case(
                *(When(branch, then=Value(i)) for i, (_a, branch) in enumerate(part.branches)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            queue_since=_since(wf),
        )
        .select_related(*related)
        .order_by(F("queue_since").asc(nulls_first=True), "pk")[:limit]
    )
    for obj in rows:
        actor = part.branches[obj.queue_branch][0]
        yield _item(wf, obj, actor, day, handovers)


def _item(
    wf: Workflow, obj: Any, actor: Actor, day: dt.date, handovers: _Handovers | None
) -> QueueItem:
    state = wf.status_of(obj)
    since = obj.queue_since
    start = timezone.localdate(since) if since is not None else None
    deadline = wf.deadline(obj) if wf.deadline is not None else None
    if deadline is None and start is not None and state in wf.due_working_days:
        deadline = cal.add_working_days(start, wf.due_working_days[state])
    holder_id = wf.holder_id(obj)
    if holder_id is not None:
        holder = getattr(obj, str(wf.holder_field))
        holder_name = holder.display_name
        handed_to = handovers.names(holder_id) if handovers is not None else ""
    else:
        holder_name, handed_to = str(actor.label), ""
    return QueueItem(
        workflow=wf,
        obj=obj,
        actor=actor,
        process=str(wf.label),
        title=str(wf.title(obj)),
        state=wf.state_label(state),
        since=since,
        age=cal.working_days_between(start, day) if start is not None else None,
        deadline=deadline,
        overdue=deadline is not None and deadline < day,
        holder=holder_name,
        handed_to=handed_to,
        link=wf.link(obj, actor),
    )


def _oldest_first(item: QueueItem) -> tuple[Any, ...]:
    return (item.since is not None, item.since, item.workflow.name, item.obj.pk)


def queue_for_user(*, user: Any, day: dt.date | None = None, limit: int = QUEUE_LIMIT) -> WorkQueue:
    """What waits for `user` across every process, oldest first: the first `limit` items
    and the count of each process. Reads only; a bounded number of queries."""
    day = day or timezone.localdate()
    parts, handovers = _parts(user, day)
    items: list[QueueItem] = []
    totals: list[ProcessTotal] = []
    for part in parts:
        found = list(_items(part, day, handovers, limit))
        count = len(found) if len(found) < limit else part.queryset().count()
        if count:
            totals.append(ProcessTotal(part.workflow.name, str(part.workflow.label), count))
        items.extend(found)
    items.sort(key=_oldest_first)
    handed_over = []
    if handovers is not None and handovers.delegates.get(user.pk):
        handed_over = list(
            QueueHandover.objects.filter(
                from_user=user, starts_on__lte=day, ends_on__gte=day
            ).select_related("to_user")
        )
    return WorkQueue(items=items[:limit], totals=totals, handed_over=handed_over)


def queue_count_for_user(*, user: Any, day: dt.date | None = None) -> int:
    """How many records wait for `user` (the number in the navigation): one query over every
    process, plus the day's handovers for bureau staff."""
    parts, _handovers = _parts(user, day or timezone.localdate())
    if not parts:
        return 0
    first, *rest = (part.queryset().order_by().values_list("pk") for part in parts)
    return first.union(*rest, all=True).count() if rest else first.count()


def overdue_queue_items(*, user: Any, day: dt.date | None = None) -> list[QueueItem]:
    """The items of `user`'s queue past their deadline on `day` (for the daily digest)."""
    return [item for item in queue_for_user(user=user, day=day).items if item.overdue]


# ----------------------------------------------------------------------------- handovers


def may_set_handover(acting_user: Any, from_user_id: int | None) -> bool:
    """A handler hands over their own queue; the bureau admin anyone's."""
    if not (getattr(acting_user, "is_active", False) and getattr(acting_user, "is_staff", False)):
        return False
    return from_user_id == acting_user.pk or acting_user.has_perm(MANAGE_HANDOVERS)


@transaction.atomic
def queue_handover_save(*, handover: QueueHandover, acting_user: Any) -> QueueHandover:
    """A person hands their work queue to a colleague for a period (or the bureau admin sets
    it for them), or the period is corrected.

    Refused (PermissionDenied) unless the acting user may set handovers of that person, before
    and after the change; checked by `QueueHandover.clean` (a different active bureau user,
    dates in order). Side effects: the row saved, naming who set it; from the first day the
    records held by that person wait in the colleague's queue and their emails go there.
    """
    perm = "common.change_queuehandover" if handover.pk else "common.add_queuehandover"
    if not (may_set_handover(acting_user, handover.from_user_id) and acting_user.has_perm(perm)):
        raise PermissionDenied(_("You may only hand over your own queue."))
    if handover.pk:
        stored = QueueHandover.objects.select_for_update().get(pk=handover.pk)
        if not may_set_handover(acting_user, stored.from_user_id):
            raise PermissionDenied(_("You may only hand over your own queue."))
    elif handover.created_by_id is None:
        handover.created_by = acting_user
    save_with_audit(handover, acting_user=acting_user, reason="queue handover")
    return handover
