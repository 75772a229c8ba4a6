"""The work queue (我的待办) of a person, and who holds whose queue today (handovers).

A queue is computed from the workflow tables (`common.workflow.REGISTRY`): for every process,
the records in a state whose next actors the person holds. A `Permission` actor sees every
record in that state, except where the process names a holder (`Workflow.holder_field`) who
stands for that actor (`Workflow.held_by_holder`): a held record waits for its holder, or for
the colleagues the holder handed the queue to today, as long as one of them holds the
permission (else, as for the notifications, for everyone who does). A `Relation` actor sees
the records of its own organisation.

The queue costs a bounded number of queries whatever the number of rows: the keys of the
page's records of every process in the queue's order (one query), the count per process when
the page does not hold them all (one), then the rows of each process with a record on the
page; for staff, one more naming who holds the permissions a holder stands for and the day's
handovers (and the names of those a listed record is handed to, on a day with a handover).
The count in the navigation is one query (two for staff).
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

# How many items a queue lists (the daily digest reads the oldest of them); the totals per
# process count every item.
QUEUE_LIMIT = 200
# How many items a page of the queue lists (我的待办, page by page).
QUEUE_PAGE_SIZE = 50
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
    offset: int = 0  # the listed items are items offset to offset + limit of the queue
    limit: int = QUEUE_LIMIT

    @property
    def total(self) -> int:
        return sum(t.count for t in self.totals)

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.items if item.overdue)

    @property
    def truncated(self) -> bool:
        return self.total > len(self.items)

    @property
    def number(self) -> int:
        """The page listed (1 for the first `limit` items)."""
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))


# Whose queue is handed to whom on a day: holder id -> the ids of the people holding it.
_Handed = dict[int, set[int]]


class _Handovers:
    """The day's handovers (read with the permission holders), to name who holds a
    handed-over record: the names are read when a listed record's holder has one (one query,
    on the days some handover covers)."""

    def __init__(self, handed: _Handed) -> None:
        self.handed = handed
        self._names: dict[int, str] | None = None

    def names(self, user_id: int) -> str:
        if user_id not in self.handed:
            return ""
        if self._names is None:
            to = {pk for delegates in self.handed.values() for pk in delegates}
            self._names = {
                user.pk: user.display_name for user in get_user_model().objects.filter(pk__in=to)
            }
        return _(", ").join(
            self._names[pk] for pk in sorted(self.handed[user_id]) if pk in self._names
        )


HANDOVER = "handover:"
SUPERUSER = "*"


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
    wanted = Q()
    for codename in sorted(codenames):
        app_label, name = codename.split(".", 1)
        wanted |= Q(content_type__app_label=app_label, codename=name)
    held = Concat(
        "content_type__app_label", Value("."), "codename", output_field=models.CharField()
    )
    permissions = AuthPermission.objects.filter(wanted).order_by().annotate(held=held)
    staff = {"is_active": True, "is_staff": True}
    queries: list[models.QuerySet[Any, tuple[str, int]]] = [
        # Held directly, through a group, and by every superuser (each permission).
        permissions.filter(**{f"user__{k}": v for k, v in staff.items()}).values_list(
            "held", "user"
        ),
        permissions.filter(**{f"group__user__{k}": v for k, v in staff.items()}).values_list(
            "held", "group__user"
        ),
        get_user_model()
        .objects.filter(is_superuser=True, **staff)
        .order_by()
        .annotate(held=Value(SUPERUSER, output_field=models.CharField()))
        .values_list("held", "pk"),
        QueueHandover.objects.filter(starts_on__lte=day, ends_on__gte=day)
        .order_by()  # no ORDER BY inside a UNION (SQLite refuses it)
        .annotate(held=Concat(Value(HANDOVER), Cast("to_user", models.CharField())))
        .values_list("held", "from_user"),
    ]
    first, *rest = queries
    for label, pk in first.union(*rest, all=True):
        if label.startswith(HANDOVER):
            handed.setdefault(pk, set()).add(int(label.removeprefix(HANDOVER)))
        elif label == SUPERUSER:
            for holders in found.values():
                holders.add(pk)
        else:
            found[label].add(pk)
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
    # Per state the person acts in, which of its records wait for them: Q() where every
    # record of it does (an open branch), else the scopes of the branches acting in it.
    scopes: dict[str, Q]

    def queryset(self) -> models.QuerySet[Any]:
        return self.workflow.model_class._default_manager.filter(self.condition)

    @property
    def by_state(self) -> list[Q]:
        """The waiting records state by state (to read each state's oldest over its range of
        the queue-order index; without the other states' branches, which the planner
        misjudges as a filter)."""
        status = self.workflow.status_field
        return [Q(**{status: state}) & scope for state, scope in self.scopes.items()]

    @property
    def by_scope(self) -> list[Q]:
        """The same records, the states sharing a scope in one `status IN (…)` (to count
        them, not to order them)."""
        states: dict[Q, list[str]] = {}
        for state, scope in self.scopes.items():
            states.setdefault(scope, []).append(state)
        status = self.workflow.status_field
        return [Q(**{f"{status}__in": names}) & scope for scope, names in states.items()]

    @property
    def held(self) -> bool:
        """Whether a holder may stand between the records and this person."""
        return bool(self.workflow.holder_field) and any(
            self.workflow.held_by_holder(actor) for actor, _branch in self.branches
        )


def _parts(user: Any, day: dt.date) -> tuple[list[_Part], _Handed]:
    """Per process, the records waiting for `user`, as conditions (one query, naming who
    holds the permissions a holder stands for and the day's handovers, when the person acts
    in such a process)."""
    if not (user is not None and getattr(user, "is_active", False) and user.pk):
        return [], {}
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
        scopes: dict[str, Q] = {}
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
                scopes[state] = scopes[state] | scope if state in scopes else scope
        if open_states:
            condition |= Q(**{f"{wf.status_field}__in": open_states})
        if branches:
            # Every state the person acts in, ANDed in front of the branches: the database
            # then reads the process's queue indexes (partial over those states, holding the
            # state and the holder) in the queue's order without the table; behind an OR
            # alone it cannot tell the indexes cover the rows, and sorts them all.
            for state in open_states:
                scopes[state] = Q()  # every record of the state waits for the person
            parts.append(
                _Part(
                    wf,
                    branches,
                    Q(**{f"{wf.status_field}__in": acted_in}) & condition,
                    scopes,
                )
            )
    return parts, handed


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


def _order(since: dt.datetime | None, process: str, pk: Any) -> tuple[Any, ...]:
    """The queue's order: oldest in its state first (a record whose entry is unknown first
    of all), then by process and record."""
    return (since is not None, since, process, pk)


# The queue's order in the database, over the columns `_first_keys` selects.
_ORDER = (F("queue_since").asc(nulls_first=True), "queue_process", "pk")


def _first_keys(
    index: int, part: _Part, queryset: models.QuerySet[Any], limit: int
) -> models.QuerySet[Any, tuple[Any, ...]]:
    """The first `limit` records of `queryset` (a process's records) in the queue's order:
    which part, the key, the branch (actor) each waits under and since when."""
    under = Case(
        *(When(q, then=Value(i)) for i, (_actor, q) in enumerate(part.branches)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        queryset.annotate(
            queue_part=Value(index, output_field=IntegerField()),
            queue_process=Value(part.workflow.name, output_field=models.CharField()),
            queue_branch=under,
            queue_since=_since(part.workflow),
        )
        .order_by(*_ORDER)
        .values_list("queue_part", "pk", "queue_branch", "queue_since", "queue_process")[:limit]
    )


def _keys(parts: list[_Part], limit: int, offset: int = 0) -> list[_Key]:
    """The waiting records `offset` to `offset + limit` across the processes, in the queue's
    order, without the joins (which the database would otherwise make for every waiting row
    before sorting): one query. The first `offset + limit` of each state, each a range of
    its process's queue-order index (which leads with the state), merged and cut in the
    database: over several states an index cannot give the order, and the database would
    walk it past every record of the states the person does not act in (63,000 disbursed
    loans before the bureau's submitted ones on the bench data) or sort every waiting
    record."""
    end = offset + limit
    if connection.features.supports_slicing_ordering_in_compound:
        first, *rest = (
            _first_keys(i, part, part.workflow.model_class._default_manager.filter(q), end)
            for i, part in enumerate(parts)
            for q in part.by_state
        )
        merged = first.union(*rest, all=True).order_by(*_ORDER) if rest else first
        rows = list(merged[offset:end])
    else:  # SQLite (`make run`): a query per process over its states, merged here
        rows = [
            row
            for i, part in enumerate(parts)
            for row in _first_keys(i, part, part.queryset(), end)
        ]
        rows.sort(key=lambda row: _order(row[3], row[4], row[1]))
        rows = rows[offset:end]
    return [_Key(parts[i], pk, branch, since) for i, pk, branch, since, _process in rows]


def _counts(parts: list[_Part], keys: list[_Key], limit: int, offset: int) -> list[int]:
    """How many records wait in each process. When the first page holds fewer than `limit`,
    its keys are all of them; else one query: a count per process and condition over the
    states it covers (ranges of an index, read without the table)."""
    if offset == 0 and len(keys) < limit:
        return [sum(1 for key in keys if key.part is part) for part in parts]
    counted = [0] * len(parts)
    if connection.features.supports_slicing_ordering_in_compound:
        first, *rest = (
            part.workflow.model_class._default_manager.filter(q)
            .order_by()
            .annotate(queue_part=Value(i, output_field=IntegerField()))
            .values("queue_part")  # a constant: no GROUP BY, one count over the range
            .annotate(n=Count("*"))
            .values_list("queue_part", "n")
            for i, part in enumerate(parts)
            for q in part.by_scope
        )
        for i, n in first.union(*rest, all=True) if rest else first:
            counted[i] += n
    else:  # SQLite (`make run`)
        counted = [part.queryset().count() for part in parts]
    return counted


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
    return _order(item.since, item.workflow.name, item.obj.pk)


def queue_for_user(
    *, user: Any, day: dt.date | None = None, limit: int = QUEUE_LIMIT, offset: int = 0
) -> WorkQueue:
    """What waits for `user` across every process, oldest first: items `offset` to
    `offset + limit` and the count of each process. Reads only; a bounded number of
    queries."""
    day = day or timezone.localdate()
    parts, handed = _parts(user, day)
    # Who holds a handed-over record today is named on the page.
    handovers = _Handovers(handed) if any(part.held for part in parts) else None
    listed = _keys(parts, limit, offset) if parts else []
    totals = [
        ProcessTotal(part.workflow.name, str(part.workflow.label), count)
        for part, count in zip(parts, _counts(parts, listed, limit, offset), strict=True)
        if count
    ]
    # Only the listed records' rows are read: a query per process with one of them.
    items: list[QueueItem] = []
    for part in parts:
        mine = [key for key in listed if key.part is part]
        if mine:
            items.extend(_items(part, mine, day, handovers))
    items.sort(key=_oldest_first)
    handed_over = []
    if handed.get(user.pk):
        handed_over = list(
            QueueHandover.objects.filter(
                from_user=user, starts_on__lte=day, ends_on__gte=day
            ).select_related("to_user")
        )
    return WorkQueue(items, totals, handed_over, offset, limit)


def queue_count_for_user(*, user: Any, day: dt.date | None = None) -> int:
    """How many records wait for `user` (the number in the navigation): one query over every
    process."""
    parts, _handed = _parts(user, day or timezone.localdate())
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
