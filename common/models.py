"""What every process shares: the status-change record, the notification outbox and queue
handovers. The models of the official calendar live here too (see `common.calendar`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StatusChange(models.Model):
    """One step of a process: from which state to which, by whom, when, and why.

    Each process's record inherits it and adds the foreign key to its own row (and the
    state choices, by redeclaring the two status fields).
    """

    from_status = models.CharField(_("from"), max_length=30, blank=True)
    to_status = models.CharField(_("to"), max_length=30)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return self.step_display

    @property
    def step_display(self) -> str:
        """'— → 办理中': the two states' labels in the reader's language, as inlines and
        histories show a step (a code no choice names, as an older row may hold, as it is)."""
        field = self._meta.get_field("to_status")
        labels = dict(getattr(field, "flatchoices", ()))
        before = labels.get(self.from_status, self.from_status) if self.from_status else "—"
        return f"{before} → {labels.get(self.to_status, self.to_status)}"


class QueueOrderIndex(models.Index):
    """An index in the work queue's order (oldest in its state first: `status_since` ASC
    NULLS FIRST). SQLite (`make run`) refuses NULLS FIRST in an index, and puts NULLs first
    in ascending order anyway: there the clause is left out."""

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        statement = super().create_sql(model, schema_editor, using=using, **kwargs)
        if schema_editor.connection.vendor == "sqlite":
            return str(statement).replace(" NULLS FIRST", "")
        return statement


class InStateSince(models.Model):
    """A process's row that knows when it entered its current state.

    `common.workflow.move` writes it at each step that changes the state; a new row is in its
    first state from when it is made. The work queue orders and ages its items by it over an
    index (working it out from the status-change records costs a subquery per waiting row).
    Empty only for a row made before it was kept that has neither a recorded step nor a time
    it was made.
    """

    status_since = models.DateTimeField(
        _("in this state since"), default=timezone.now, null=True, editable=False
    )

    class Meta:
        abstract = True


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    UNCERTAIN = "uncertain", _("May have been sent; check before resending")


class OutboxMessage(models.Model):
    """The delivery state every outgoing email shares (see `common.outbox`, which alone
    writes these fields).

    pending → sending (claimed by a conditional UPDATE) → sent. A failed attempt leaves it
    failed with `next_attempt_at` set (the periodic sweep queues it again then) or, once the
    attempts are spent or the error is permanent, failed with none (a person decides). A
    claim that outlives its time limit (a killed worker) is taken back by the sweep: resent
    if the SMTP dialogue had not started, `uncertain` if it had — the message may have left,
    so it is never resent by itself.
    """

    Status = OutboxStatus

    status = models.CharField(
        _("status"),
        max_length=10,
        choices=OutboxStatus.choices,
        default=OutboxStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(
        _("next attempt at"), null=True, blank=True, db_index=True, default=timezone.now
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    smtp_started_at = models.DateTimeField(_("handed to the mail server at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    alerted_at = models.DateTimeField(_("staff alerted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        abstract = True

    def email_message(self) -> Any:
        """The django.core.mail.EmailMessage to send (built at send time)."""
        raise NotImplementedError

    @property
    def needs_a_person(self) -> bool:
        """Nothing more happens by itself: it may have left, or trying was given up."""
        return self.status == OutboxStatus.UNCERTAIN or (
            self.status == OutboxStatus.FAILED and self.next_attempt_at is None
        )


class Notification(OutboxMessage):
    """One email to one person, written in the transaction of what it reports (an outbox).

    Its delivery follows `OutboxMessage`. A message to an address rather than a user (the
    ADMINS' alerts and error reports) has no recipient.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    email = models.EmailField(_("email address"), blank=True)
    kind = models.CharField(_("kind"), max_length=60)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    url = models.CharField(_("link"), max_length=500, blank=True)
    dedupe_key = models.CharField(
        _("once-only key"),
        max_length=120,
        blank=True,
        help_text=_("A second notification with the same key to the same person is not written."),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_once_per_key",
            ),
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | ~Q(email=""),
                name="notification_to_someone",
            ),
        ]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.email or self.recipient_id}"

    def email_message(self) -> Any:
        from django.core.mail import EmailMessage

        return EmailMessage(subject=self.subject, body=self.body, to=[self.email])

    @property
    def path(self) -> str:
        """The link as a path on this site (the email carries it absolute)."""
        base = settings.PORTAL_BASE_URL.rstrip("/")
        return self.url[len(base) :] if base and self.url.startswith(base + "/") else self.url


class QueueHandover(models.Model):
    """A person away hands their work queue to a colleague for a period (both days count)."""

    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="handovers_given",
        verbose_name=_("handed over by"),
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="handovers_taken",
        verbose_name=_("handed over to"),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("queue handover")
        verbose_name_plural = _("queue handovers")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="handover_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(from_user=models.F("to_user")), name="handover_to_someone_else"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_user} → {self.to_user} ({self.starts_on} – {self.ends_on})"

    def clean(self) -> None:
        """A bureau user's queue goes to another active bureau user, for days in order."""
        errors: dict[str, list[Any]] = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = [_("The handover cannot end before it starts.")]
        if self.from_user_id is not None and not self.from_user.is_staff:
            errors["from_user"] = [_("Only a bureau user's queue can be handed over.")]
        if self.to_user_id is not None:
            if self.to_user_id == self.from_user_id:
                errors["to_user"] = [_("Hand the queue to someone else.")]
            elif not (self.to_user.is_staff and self.to_user.is_active):
                errors["to_user"] = [_("Hand the queue to an active bureau user.")]
        if errors:
            raise ValidationError(errors)

    def covers(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


# ---- the official calendar


class CalendarDayQuerySet(models.QuerySet):
    def in_year(self, year: int) -> CalendarDayQuerySet:
        return self.filter(date__gte=dt.date(year, 1, 1), date__lt=dt.date(year + 1, 1, 1))


class CalendarDay(models.Model):
    """One day of the State Council's holiday arrangements (节假日安排) that differs from, or
    names a day of, the ordinary Monday-to-Friday week.

    A holiday row is a day off (whole published spans are stored, their weekend days too);
    a working-day row is a weekend day worked in lieu (调休上班). A year is covered once it
    has any row; `common.calendar` counts deadlines on these rows and counts weekends only
    in a year that has none.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (day off)")
        WORKDAY = "workday", _("Adjusted working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("arrangement"), max_length=10, choices=Kind.choices)
    name = models.CharField(
        _("holiday name"),
        max_length=60,
        help_text=_("As the State Council's notice names it, e.g. 国庆节."),
    )
    # Empty for the rows seeded from the chinesecalendar library.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CalendarDayQuerySet.as_manager()

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday arrangement")
        verbose_name_plural = _("holiday arrangements")
        constraints = [
            # Days worked in lieu are always weekend days; a weekday is a working day anyway.
            models.CheckConstraint(
                condition=Q(kind="holiday") | Q(date__iso_week_day__gte=6),
                name="calendar_workday_on_weekend",
                violation_error_message=_("An adjusted working day falls on a Saturday or Sunday."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name} ({self.get_kind_display()})"

    def clean(self) -> None:
        if self.name and not self.name.strip():
            raise ValidationError({"name": _("Name the holiday, e.g. 国庆节.")})
        self.name = " ".join(self.name.split())
        if self.kind == self.Kind.WORKDAY and self.date and self.date.isoweekday() < 6:
            raise ValidationError(
                {"date": _("An adjusted working day falls on a Saturday or Sunday.")}
            )


class WordListEntry(models.Model):
    """One word of a list the bureau keeps itself (DESIGN §5: request categories, activity
    kinds, departments): staff add, rename, reorder and retire words in admin, and an import
    meeting an unknown word adds it (`common.importing.columns.WordList`).

    Each list is a concrete model of its own, so a row's foreign key says which list it
    draws from and the database keeps a word in use from being deleted (PROTECT).
    """

    name = models.CharField(_("name"), max_length=50, unique=True)
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive words are not offered in forms; records keep them."),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        abstract = True
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name
