"""One workflow mechanism for every process (DESIGN §3a).

A process's workflow is data: a table `(from, to) → who may make the step`, and for each
state who acts next. An actor is one of three kinds:

- `Permission`: bureau staff holding a permission codename ("subsidies.sign_as_handler");
- `Relation`: the users of an organisation the record points to (the owning enterprise or
  carrier, the bank the loan is with, the audit firm assigned), through an approved link;
- `SYSTEM`: a scheduled step (a notice ending, a loan falling overdue by its schedule).

The transition service (`lock`, `require_step`, `move`, or `transition` for all three)
locks the row alone (`of=("self",)`), checks the table and the actor, lets the process run its
own checks, writes the status-change record and writes one notification row per next actor
in the same transaction (`common.notifications`), sent by a task after commit.

The work queue (`common.queue`) is computed from the same tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from common.audit import save_with_audit

if TYPE_CHECKING:
    from common.models import StatusChange
    from common.types import User


class Actor(Protocol):
    """Who may make a step, or acts next in a state."""

    # Read-only: the actors are frozen dataclasses (a settable member would refuse them).
    @property
    def key(self) -> str: ...

    @property
    def label(self) -> str | Promise: ...

    def holds(self, user: User | None, obj: models.Model) -> bool:
        """Whether `user` is this actor towards `obj`."""

    def recipients(self, obj: models.Model) -> QuerySet[Any]:
        """The users to tell that `obj` waits for this actor."""

    def scope(self, user: User) -> Q | None:
        """The records of the process `user` acts on as this actor; None for none."""


def _active_user(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_active", False) and user.pk)


@dataclass(frozen=True)
class Permission:
    """Bureau staff (an active `is_staff` account) holding `codename`."""

    codename: str
    label: str | Promise

    @property
    def key(self) -> str:
        return self.codename

    def holds(self, user: User | None, obj: models.Model | None = None) -> bool:
        return _active_user(user) and bool(user.is_staff) and user.has_perm(self.codename)  # type: ignore[union-attr]

    def recipients(self, obj: models.Model | None = None) -> QuerySet[Any]:
        return (
            get_user_model()
            .objects.with_perm(
                self.codename,
                include_superusers=False,
                backend="django.contrib.auth.backends.ModelBackend",
            )
            .filter(is_staff=True, is_active=True)
        )

    def scope(self, user: User) -> Q | None:
        return Q() if self.holds(user) else None


def _follow(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


@dataclass(frozen=True)
class Relation:
    """The users of the organisation a record points to, through an approved link.

    `kind` is the user's `organisation_kind` ("enterprise", "incubator", "bank",
    "audit_firm"), whose foreign key on the user has the same name; `path` leads from the
    record to that organisation's id ("enterprise_id", "audit__firm_id").
    """

    key: str
    label: str | Promise
    kind: str
    path: str

    def _organisation_id(self, user: Any) -> Any:
        if not (
            _active_user(user)
            and getattr(user, "organisation_kind", "") == self.kind
            and getattr(user, "link_status", "") == "approved"
        ):
            return None
        return getattr(user, f"{self.kind}_id", None)

    def holds(self, user: User | None, obj: models.Model) -> bool:
        mine = self._organisation_id(user)
        return mine is not None and mine == _follow(obj, self.path)

    def recipients(self, obj: models.Model) -> QuerySet[Any]:
        users = get_user_model().objects.filter(
            is_active=True, organisation_kind=self.kind, link_status="approved"
        )
        target = _follow(obj, self.path)
        if target is None:
            return users.none()
        return users.filter(**{f"{self.kind}_id": target})

    def scope(self, user: User) -> Q | None:
        mine = self._organisation_id(user)
        return None if mine is None else Q(**{self.path: mine})


@dataclass(frozen=True)
class System:
    """A scheduled step: made by the system, never by a person."""

    key: str = "system"
    label: str | Promise = ""

    def holds(self, user: User | None, obj: models.Model | None = None) -> bool:
        return user is None

    def recipients(self, obj: models.Model | None = None) -> QuerySet[Any]:
        return get_user_model().objects.none()

    def scope(self, user: User) -> Q | None:
        return None


SYSTEM = System()


@dataclass(frozen=True)
class Workflow:
    """One process: its model, its table of steps and who acts next in each state.

    `record` is the status-change model (a `common.models.StatusChange`) and `record_fk`
    its foreign key to the process's row. `links` gives, per actor key, the page that opens
    for that actor (staff default to the admin change page). `holder_field` names the staff
    member who took the record up: while set, the record waits for that person (or whoever
    holds their queue) rather than every holder of the permission; `held_actors` names the
    actors (by key) the holder stands for, when not every permission of the process is the
    holder's to act on (a handler who also holds finance's permission still leaves the
    approved claim to finance). `due_working_days` gives per state how many working days the
    next actor has. `related` names the relations `title`, `deadline` and `links` read,
    joined when the work queue lists the records.
    """

    name: str
    label: str | Promise
    model: str
    states: type[models.TextChoices]
    steps: Mapping[tuple[str, str], tuple[Actor, ...]]
    next: Mapping[str, tuple[Actor, ...]]
    record: str
    record_fk: str
    status_field: str = "status"
    tell: Mapping[str, tuple[Actor, ...]] = field(default_factory=dict)
    links: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)
    title: Callable[[Any], str] = str
    holder_field: str | None = None
    held_actors: tuple[str, ...] = ()
    due_working_days: Mapping[str, int] = field(default_factory=dict)
    deadline: Callable[[Any], dt.date | None] | None = None
    related: tuple[str, ...] = ()
    guards: Mapping[tuple[str, str], tuple[Callable[[Any], str], ...]] = field(default_factory=dict)

    # -- the table

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def record_class(self) -> type[StatusChange]:
        return apps.get_model(self.record)

    def actors_for(self, source: str, target: str) -> tuple[Actor, ...]:
        return self.steps.get((source, target), ())

    def targets(self, source: str) -> list[str]:
        """The states reachable from `source` in one step, in the order of the states."""
        reachable = {to for (frm, to) in self.steps if frm == source}
        return [value for value in self.states.values if value in reachable]

    def sources(self, target: str) -> list[str]:
        return [frm for (frm, to) in self.steps if to == target]

    def may(self, user: User | None, obj: models.Model, target: str) -> bool:
        actors = self.actors_for(self.status_of(obj), target)
        return any(actor.holds(user, obj) for actor in actors)

    def steps_for(self, user: User | None, obj: models.Model) -> list[str]:
        """The steps `user` may make on `obj` now (the buttons a page offers)."""
        return [to for to in self.targets(self.status_of(obj)) if self.may(user, obj, to)]

    def status_of(self, obj: models.Model) -> str:
        return str(getattr(obj, self.status_field))

    def state_label(self, value: str) -> str:
        return str(self.states(value).label) if value in self.states.values else value

    def all_actors(self) -> list[Actor]:
        seen: dict[str, Actor] = {}
        for actors in [*self.steps.values(), *self.next.values(), *self.tell.values()]:
            for actor in actors:
                seen.setdefault(actor.key, actor)
        return list(seen.values())

    # -- links

    def link(self, obj: models.Model, actor: Actor) -> str:
        """The path of the page that opens `obj` for `actor`."""
        if actor.key in self.links:
            return self.links[actor.key](obj)
        meta = obj._meta
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])

    # -- the holder

    def holder_id(self, obj: models.Model) -> int | None:
        return getattr(obj, f"{self.holder_field}_id", None) if self.holder_field else None

    def held_by_holder(self, actor: Actor) -> bool:
        """Whether the record's holder (when set) acts for `actor`: a permission actor named
        in `held_actors`, or any permission actor when none is named."""
        if not isinstance(actor, Permission):
            return False
        return not self.held_actors or actor.key in self.held_actors


REGISTRY: dict[str, Workflow] = {}

# Every process's row keeps when it entered its state (`common.models.InStateSince`).
SINCE_FIELD = "status_since"


def status_since_backfill(
    app_label: str, model_name: str, record_name: str, record_fk: str, *, made: str | None
) -> Callable[[Any, Any], None]:
    """A migration step (RunPython) that sets `status_since` on a process's existing rows as
    the work queue worked it out before it was kept: the latest recorded step into the
    current state (a reply that left the state as it was does not count), else when the row
    was made (`made`, a column), else empty. One statement per table."""

    def run(apps_: Any, schema_editor: Any) -> None:
        model = apps_.get_model(app_label, model_name)
        record = apps_.get_model(app_label, record_name)
        qn = schema_editor.quote_name
        table = qn(model._meta.db_table)
        fk = qn(record._meta.get_field(record_fk).column)
        made_sql = f"{table}.{qn(made)}" if made else "NULL"
        schema_editor.execute(
            # Only quoted table and column names are put in the text; no value is.
            f"UPDATE {table} SET {SINCE_FIELD} = COALESCE(("
            f"SELECT MAX(r.created_at) FROM {qn(record._meta.db_table)} r "
            f"WHERE r.{fk} = {table}.id AND r.to_status = {table}.status "
            f"AND r.from_status <> r.to_status), {made_sql})"
        )

    return run


def register(workflow: Workflow) -> Workflow:
    """Make `workflow` known to the work queue and the notifications."""
    REGISTRY[workflow.name] = workflow
    return workflow


def workflow_for(obj: models.Model) -> Workflow:
    label = obj._meta.label
    for workflow in REGISTRY.values():
        if workflow.model == label:
            return workflow
    raise LookupError(label)


# ----------------------------------------------------------------------- the transition


def lock(workflow: Workflow, obj: models.Model, *, related: Iterable[str] = ()) -> Any:
    """The row of `obj`, locked alone (never the rows it joins)."""
    manager = workflow.model_class._default_manager
    return manager.select_for_update(of=("self",)).select_related(*related).get(pk=obj.pk)


def refused_message(workflow: Workflow, obj: models.Model, target: str) -> str:
    return _("This %(process)s is “%(status)s” and cannot become “%(target)s”.") % {
        "process": workflow.label,
        "status": workflow.state_label(workflow.status_of(obj)),
        "target": workflow.state_label(target),
    }


def require_step(workflow: Workflow, obj: models.Model, target: str, acting_user: Any) -> None:
    """Refuse a step the table does not have (ValidationError), an actor it does not
    name (PermissionDenied) or a step one of its guards refuses (ValidationError with the
    guard's message); nothing is written either way."""
    source = workflow.status_of(obj)
    actors = workflow.actors_for(source, target)
    if not actors:
        raise ValidationError(refused_message(workflow, obj, target))
    if not any(actor.holds(acting_user, obj) for actor in actors):
        raise PermissionDenied(
            _("Only %(actors)s may make this step.")
            % {"actors": _(", ").join(str(actor.label) for actor in actors)}
        )
    for guard in workflow.guards.get((source, target), ()):
        message = guard(obj)
        if message:
            raise ValidationError(message)


def move(
    workflow: Workflow,
    obj: models.Model,
    target: str,
    *,
    acting_user: Any,
    note: str = "",
    reason: str = "",
) -> StatusChange:
    """Set the state of a locked, checked row, save it, record the step and write the
    notifications for the next actors. Call inside the caller's transaction."""
    from common.notifications import step_notifications_write

    source = workflow.status_of(obj)
    setattr(obj, workflow.status_field, target)
    if target != source:  # a reply that leaves the state as it was keeps its clock
        setattr(obj, SINCE_FIELD, timezone.now())
    save_with_audit(obj, acting_user=acting_user, reason=reason or f"{source} → {target}")
    change = workflow.record_class(
        **{workflow.record_fk: obj},
        from_status=source,
        to_status=target,
        acting_user=acting_user if _active_user(acting_user) else None,
        note=(note or "").strip(),
    )
    save_with_audit(change, acting_user=acting_user)
    step_notifications_write(workflow, obj, change)
    return change


def transition(
    workflow: Workflow,
    obj: models.Model,
    target: str,
    *,
    acting_user: Any,
    note: str = "",
    check: Callable[[Any], None] | None = None,
    related: Iterable[str] = (),
) -> Any:
    """Lock, check the table and the actor, run the process's own `check` on the locked row
    (it may refuse or set fields), then move and record. Returns the locked row."""
    with transaction.atomic():
        locked = lock(workflow, obj, related=related)
        require_step(workflow, locked, target, acting_user)
        if check is not None:
            check(locked)
        move(workflow, locked, target, acting_user=acting_user, note=note)
        return locked


# --------------------------------------------------------------------- who acted, shown


def acting_party(change: StatusChange, *, for_bureau: bool) -> str:
    """Who made a step, as the reader may see it.

    The bureau sees people's names. An enterprise, carrier, bank or audit firm sees the
    bureau's steps as the bureau's and every other step as the acting organisation's: no
    officer is named outside the bureau (decided once, for timelines and emails alike).
    """
    user = change.acting_user
    if user is None:
        return _("the system") if change.from_status else ""
    if for_bureau:
        return user.display_name
    if user.is_staff:
        return _("the district science and technology bureau")
    organisation = getattr(user, "organisation", None)
    return str(organisation) if organisation is not None else user.display_name
