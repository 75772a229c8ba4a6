"""The work queue (我的待办) of a person, and who holds whose queue today (handovers).

A queue is computed from the workflow tables (`common.workflow.REGISTRY`): for every process,
the records in a state whose next actors the person holds. A `Permission` actor sees every
record in that state, except where the process names a holder (`Workflow.holder_field`) who
stands for that actor (`Workflow.held_by_holder`): a held record waits for its holder, or for
the colleagues the holder handed the queue to today, as long as one of them holds the
permission (else, as for the notifications, for everyone who does). A `Relation` actor sees
the records of its own organisation.

The queue costs a bounded number of queries whatever the number of rows: per process the
keys of the page's rows in the queue's order, then those rows (and a count when a process has
more rows than the page lists), plus the day's handovers to name who holds what and, for
staff, who holds the permissions a holder stands for. The count in the navigation is one
query (two for staff).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission as AuthPermission
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Q,
    Value,
    When,
    signals,
)
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from common import calendar as cal
from common.audit import save_with_audit
from common.models import QueueHandover
from common.workflow import REGISTRY, SINCE_FIELD, Actor, Workflow

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


# Whose queue is handed to whom on a day: holder id -> the ids of the people holding it.
_Handed = dict[int, set[int]]


class _Handovers:
    """The handovers covering one day, to name who holds a handed-over record (one query)."""

    def __init__(self, day: dt.date) -> None:
        self.delegates: dict[int, list[Any]] = {}
        rows = (
            QueueHandover.objects.filter(starts_on__lte=day, ends_on__gte=day)
            .select_related("to_user")
            .order_by("from_user_id", "to_user_id")
        )
        for row in rows:
            self.delegates.setdefault(row.from_user_id, []).append(row.to_user)

    def names(self, user_id: int) -> str:
        return _(", ").join(u.display_name for u in self.delegates.get(user_id, ()))


HANDOVER = "handover:"


def _permission_holders(codenames: set[str], day: dt.date) -> tuple[dict[str, set[int]], _Handed]:
    """The active bureau accounts holding each "app.codename" (superusers hold every
    permission), as `Permission.holds` answers for each of them, and whose queue is handed
    to whom on `day`. One query for them all (the handovers ride in it as rows whose first
    column is "handover:<to user>"): the queue's conditions then name the holders as ids,
    which the database's planner weighs rightly and plans quickly (behind a subquery per row
    it misjudges the filter and sorts every waiting row rather than read the queue-order
    index and stop at the page, and planning the subqueries took longer than running)."""
    found: dict[str, set[int]] = {codename: set() for codename in codenames}
    handed: _Handed = {}
    if not codenames:
        return found, handed
    queries: list[models.QuerySet[Any, tuple[str, int]]] = []
    for codename in sorted(codenames):
        app_label, name = codename.split(".", 1)
        permission = AuthPermission.objects.filter(content_type__app_label=app_label, codename=name)
        queries.append(
            get_user_model()
            .objects.filter(is_active=True, is_staff=True)
            .filter(
                Q(is_superuser=True)
                | Q(user_permissions__in=permission)
                | Q(groups__permissions__in=permission)
            )
            .annotate(held=Value(codename, output_field=models.CharField()))
            .values_list("held", "pk")
        )
    queries.append(
        QueueHandover.objects.filter(starts_on__lte=day, ends_on__gte=day)
        .order_by()  # no ORDER BY inside a UNION (SQLite refuses it)
        .annotate(held=Concat(Value(HANDOVER), Cast("to_user", models.CharField())))
        .values_list("held", "from_user")
    )
    first, *rest = queries
    for held, pk in first.union(*rest, all=True):
        if held.startswith(HANDOVER):
            handed.setdefault(pk, set()).add(int(held.removeprefix(HANDOVER)))
        else:
            found[held].add(pk)
    return found, handed


def _held_by(field: str, user: Any, holders: set[int], handed: _Handed) -> Q:
    """Which records of a permission's state wait for `user` (who holds the permission) in a
    process that names a holder: unheld ones; those whose holder's queue is in `user`'s hands
    today (their own, not handed over, or a colleague's handed to them); and those nobody
    whose hands the holder's queue is in may take (`holders`: who holds the permission; then
    everyone holding it is asked, as the notifications do). `handed`: the day's handovers,
    holder → the people their queue is handed to."""
    mine = ({user.pk} - handed.keys()) | {holder for holder, to in handed.items() if user.pk in to}
    taken = (holders - handed.keys()) | {holder for holder, to in handed.items() if to & holders}
    return (
        Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__in": sorted(mine)})
        | ~Q(**{f"{field}__in": sorted(taken)})
    )


@dataclass(frozen=True)
class _Part:
    """One process's share of a queue: per (state, actor) the records it selects."""

    workflow: Workflow
    branches: list[tuple[Actor, Q]]
    # The branches ORed, with the states whose every record waits for the person (an actor
    # scoped to all records, no holder between) merged into one `status IN (…)`: an index
    # on the status answers that, where an OR of per-actor INs is read as a filter.
    condition: Q
    # Per state the person acts in, the records of that state waiting for them: the state
    # alone where every record of it waits (an open branch), else the branches acting in
    # it (without the other states' branches, which the planner misjudges as a filter).
    by_state: dict[str, Q]

    def queryset(self) -> models.QuerySet[Any]:
        return self.workflow.model_class._default_manager.filter(self.condition)

    @property
    def held(self) -> bool:
        """Whether a holder may stand between the records and this person."""
        return bool(self.workflow.holder_field) and any(
            self.workflow.held_by_holder(actor) for actor, _branch in self.branches
        )

    def count(self) -> int:
        """How many records wait, counted per state (each a range of the queue-order index,
        read without the table) and summed: one query."""
        manager = self.workflow.model_class._default_manager
        status = self.workflow.status_field
        first, *rest = (
            manager.filter(q).order_by().values(status).annotate(n=Count("pk")).values_list("n")
            for q in self.by_state.values()
        )
        if not rest:
            return sum(n for (n,) in first)
        if connection.features.supports_slicing_ordering_in_compound:
            return sum(n for (n,) in first.union(*rest, all=True))
        return self.queryset().count()  # SQLite (`make run`)


def _parts(user: Any, day: dt.date) -> list[_Part]:
    """Per process, the records waiting for `user`, as conditions (one query, naming who
    holds the permissions a holder stands for and the day's handovers, when the person acts
    in such a process)."""
    if not (user is not None and getattr(user, "is_active", False) and user.pk):
        return []
    parts: list[_Part] = []
    workflows = sorted(REGISTRY.values(), key=lambda wf: wf.name)
    held_keys = {
        actor.key
        for wf in workflows
        if wf.holder_field
        for actor in wf.all_actors()
        if wf.held_by_holder(actor) and actor.scope(user) is not None
    }
    holders, handed = _permission_holders(held_keys, day)
    for wf in workflows:
        # One branch per actor over all the states it acts in (`status IN (…)`, which an
        # index on the status serves; an OR of equalities is read as a filter).
        states: dict[str, tuple[Actor, list[str]]] = {}
        for state, actors in wf.next.items():
            for actor in actors:
                states.setdefault(actor.key, (actor, []))[1].append(state)
        branches: list[tuple[Actor, Q]] = []
        open_states: list[str] = []
        acted_in: list[str] = []
        condition = Q()
        by_state: dict[str, Q] = {}
        for actor, actor_states in states.values():
            scope = actor.scope(user)
            if scope is None:
                continue
            acted_in += actor_states
            held = bool(wf.holder_field) and wf.held_by_holder(actor)
            if held:
                scope &= _held_by(str(wf.holder_field), user, holders[actor.key], handed)
            branch = Q(**{f"{wf.status_field}__in": actor_states}) & scope
            branches.append((actor, branch))
            if scope == Q():
                open_states += actor_states
            else:
                condition |= branch
            for state in actor_states:
                by_state[state] = by_state[state] | scope if state in by_state else scope
        if open_states:
            condition |= Q(**{f"{wf.status_field}__in": open_states})
        if branches:
            # Every state the person acts in, ANDed in front of the branches: the database
            # then reads the process's queue indexes (partial over those states, holding the
            # state and the holder) in the queue's order without the table; behind an OR
            # alone it cannot tell the indexes cover the rows, and sorts them all.
            for state in open_states:
                by_state[state] = Q()  # every record of the state waits for the person
            parts.append(
                _Part(
                    wf,
                    branches,
                    Q(**{f"{wf.status_field}__in": acted_in}) & condition,
                    {state: Q(**{wf.status_field: state}) & q for state, q in by_state.items()},
                )
            )
    return parts


def _since(wf: Workflow) -> Any:
    """When a record entered its current state: kept on the row by `common.workflow.move`
    (`InStateSince`), which an index per process serves in the queue's order."""
    return F(SINCE_FIELD)


def _relations(model: type[models.Model], *, required: bool) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if (f.many_to_one or f.one_to_one)
        and f.related_model is not model
        and not (required and f.null)
    ]


def _related(wf: Workflow) -> list[str]:
    """The relations joined when the queue lists a process's records: those the workflow
    names, else every relation of the record and the required ones of those (the firm, a
    request's department, a claim's loan and its firm), and the holder, so that titles and
    names cost no query per row."""
    paths = list(wf.related)
    if not paths:
        for first in _relations(wf.model_class, required=False):
            paths.append(first.name)
            target = first.related_model
            if isinstance(target, type):
                paths += [f"{first.name}__{g.name}" for g in _relations(target, required=True)]
    if wf.holder_field and wf.holder_field not in paths:
        paths.append(wf.holder_field)
    return paths


@dataclass(frozen=True)
class _Key:
    """A waiting record before its row is read: enough to put it in the queue's order."""

    part: _Part
    pk: Any
    branch: int
    since: dt.datetime | None

    def order(self) -> tuple[Any, ...]:
        return (self.since is not None, self.since, self.part.workflow.name, self.pk)


def _keys(part: _Part, limit: int) -> list[_Key]:
    """The first `limit` records of a process, oldest in their state first, and the branch
    (actor) each waits under: over the queue-order index, without the joins (which the
    database would otherwise make for every waiting row before sorting)."""
    wf = part.workflow
    manager = wf.model_class._default_manager
    under = Case(
        *(When(q, then=Value(i)) for i, (_actor, q) in enumerate(part.branches)),
        default=Value(0),
        output_field=IntegerField(),
    )
    # The first `limit` of each state, each a range of the process's queue-order index
    # (which leads with the state), then merged: over several states the index cannot give
    # the order, and the database would walk it past every record of the states the
    # person does not act in (63,000 disbursed loans before the bureau's submitted ones on
    # the bench data) or sort every waiting record.
    order = (F("queue_since").asc(nulls_first=True), "pk")

    def first_keys(queryset: models.QuerySet[Any]) -> models.QuerySet[Any, tuple[Any, ...]]:
        return (
            queryset.annotate(queue_since=_since(wf), queue_branch=under)
            .order_by(*order)
            .values_list("pk", "queue_branch", "queue_since")[:limit]
        )

    first, *rest = [first_keys(manager.filter(q)) for q in part.by_state.values()]
    if not rest:
        rows = first
    elif connection.features.supports_slicing_ordering_in_compound:
        rows = first.union(*rest, all=True).order_by(*order)[:limit]
    else:  # SQLite (`make run`): one query over every state, sorted by the database
        rows = first_keys(part.queryset())
    return [_Key(part, pk, branch, since) for pk, branch, since in rows]


def _items(
    part: _Part, keys: list[_Key], day: dt.date, handovers: _Handovers | None
) -> Iterator[QueueItem]:
    """The rows of a process's records the page lists, with what their titles and links
    read (one query)."""
    wf = part.workflow
    rows = {
        obj.pk: obj
        for obj in wf.model_class._default_manager.filter(pk__in=[key.pk for key in keys])
        .annotate(queue_since=_since(wf))
        .select_related(*_related(wf))
        .order_by()
    }
    for key in keys:
        obj = rows.get(key.pk)
        if obj is not None:  # gone between the two reads
            yield _item(wf, obj, part.branches[key.branch][0], day, handovers)


def _item(
    wf: Workflow, obj: Any, actor: Actor, day: dt.date, handovers: _Handovers | None
) -> QueueItem:
    state = wf.status_of(obj)
    since = obj.queue_since
    start = timezone.localdate(since) if since is not None else None
    deadline = wf.deadline(obj) if wf.deadline is not None else None
    if deadline is None and start is not None and state in wf.due_working_days:
        deadline = cal.add_working_days(start, wf.due_working_days[state])
    holder_id = wf.holder_id(obj) if wf.held_by_holder(actor) else None
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
    parts = _parts(user, day)
    # Who holds a handed-over record today is named on the page (one query, for staff).
    handovers = _Handovers(day) if any(part.held for part in parts) else None
    totals: list[ProcessTotal] = []
    waiting: list[_Key] = []
    for part in parts:
        keys = _keys(part, limit)
        count = len(keys) if len(keys) < limit else part.count()
        if count:
            totals.append(ProcessTotal(part.workflow.name, str(part.workflow.label), count))
        waiting.extend(keys)
    # The oldest `limit` across the processes; only their rows are read.
    waiting.sort(key=_Key.order)
    listed = waiting[:limit]
    items: list[QueueItem] = []
    for part in parts:
        mine = [key for key in listed if key.part is part]
        if mine:
            items.extend(_items(part, mine, day, handovers))
    items.sort(key=_oldest_first)
    handed_over = []
    if handovers is not None and handovers.delegates.get(user.pk):
        handed_over = list(
            QueueHandover.objects.filter(
                from_user=user, starts_on__lte=day, ends_on__gte=day
            ).select_related("to_user")
        )
    return WorkQueue(items=items, totals=totals, handed_over=handed_over)


def queue_count_for_user(*, user: Any, day: dt.date | None = None) -> int:
    """How many records wait for `user` (the number in the navigation): one query over every
    process."""
    parts = _parts(user, day or timezone.localdate())
    if not parts:
        return 0
    first, *rest = (part.queryset().order_by().values_list("pk") for part in parts)
    return first.union(*rest, all=True).count() if rest else first.count()


# The navigation's number is shown on every page; counting costs tens of milliseconds for
# staff over the big tables, so it is cached per person and day for count_ttl() seconds. Any save
# or delete of a process's row or a handover bumps a generation the cached value carries (the
# cache then counts afresh on the next page); steps made by bulk updates, permission changes
# and a cache per process (locmem outside compose) are covered by the expiry.
COUNT_GENERATION_KEY = "queue-count:generation"


def count_ttl() -> int:
    """Seconds a count is kept (settings.QUEUE_COUNT_CACHE_SECONDS, 30; 0 counts every time,
    as the test settings do so that a page's queries do not depend on the page before)."""
    return int(getattr(settings, "QUEUE_COUNT_CACHE_SECONDS", 30))


def _count_key(user: Any, day: dt.date) -> str:
    return f"queue-count:{user.pk}:{day.isoformat()}"


def queue_count_cached(*, user: Any, day: dt.date | None = None) -> int:
    """`queue_count_for_user` for the navigation: at most count_ttl() seconds old, and fresh
    after any change to a process's rows or a handover (one cache round trip when cached)."""
    day = day or timezone.localdate()
    if count_ttl() <= 0:
        return queue_count_for_user(user=user, day=day)
    key = _count_key(user, day)
    found = cache.get_many([COUNT_GENERATION_KEY, key])
    generation = found.get(COUNT_GENERATION_KEY, 0)
    stored = found.get(key)
    if stored is not None and stored[0] == generation:
        return stored[1]
    count = queue_count_for_user(user=user, day=day)
    cache.set(key, (generation, count), count_ttl())
    return count


def queue_counts_invalidate() -> None:
    """Make every cached navigation count stale: at once (the same request or transaction
    sees its own change) and again when the transaction commits (a count another request
    cached meanwhile, before the change was visible, is not kept)."""

    def bump() -> None:
        try:
            cache.incr(COUNT_GENERATION_KEY)
        except ValueError:  # no generation yet (or it expired)
            cache.set(COUNT_GENERATION_KEY, 1, None)

    bump()
    transaction.on_commit(bump)


def _on_change(sender: Any, **kwargs: Any) -> None:
    if sender is QueueHandover or any(wf.model == sender._meta.label for wf in REGISTRY.values()):
        queue_counts_invalidate()


def connect_count_invalidation() -> None:
    """Called by the app's ready(): saves and deletes of every process's rows (the registry
    as it stands when they happen) and of the handovers make the cached counts stale."""
    signals.post_save.connect(_on_change, dispatch_uid="queue-count-save")
    signals.post_delete.connect(_on_change, dispatch_uid="queue-count-delete")


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
