"""Users and the organisation each non-staff user belongs to."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.accounts.roles import Role

# The foreign key of each organisation kind; each equals its `User.OrganisationKind` value.
ORGANISATION_FIELDS = ("enterprise", "incubator", "bank", "audit_firm")


def _organisation_matches_kind() -> Q:
    """No organisation key for a bureau user; exactly the key of its kind for everyone else."""
    condition = Q(organisation_kind="")
    for field in ORGANISATION_FIELDS:
        condition &= Q(**{f"{field}__isnull": True})
    for kind in ORGANISATION_FIELDS:
        branch = Q(organisation_kind=kind) & Q(**{f"{kind}__isnull": False})
        for other in ORGANISATION_FIELDS:
            if other != kind:
                branch &= Q(**{f"{other}__isnull": True})
        condition |= branch
    return condition


def _is_latin(part: str) -> bool:
    """True for an empty part or one of ASCII letters, spaces, hyphens, dots and apostrophes."""
    return all(ch.isascii() and (ch.isalpha() or ch in " -.'") for ch in part.strip())


class User(AbstractUser):
    """A person who logs in: bureau staff, or someone acting for one organisation.

    A non-staff user belongs to exactly one organisation. Each kind of organisation is a
    nullable foreign key plus a value of `OrganisationKind`; the check constraint keeps the
    kind and the key in step. Later kinds (bank, audit firm, carrier) add a key and a value.
    """

    class OrganisationKind(models.TextChoices):
        NONE = "", _("None (bureau)")
        ENTERPRISE = "enterprise", _("Enterprise")
        INCUBATOR = "incubator", _("Innovation carrier")
        BANK = "bank", _("Partner bank")
        AUDIT_FIRM = "audit_firm", _("Audit firm")

    class LinkStatus(models.TextChoices):
        NONE = "", _("No organisation")
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    organisation_kind = models.CharField(
        _("organisation kind"),
        max_length=20,
        choices=OrganisationKind.choices,
        blank=True,
        default="",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("enterprise"),
    )
    incubator = models.ForeignKey(
        "incubators.Incubator",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="operators",
        verbose_name=_("innovation carrier"),
    )
    bank = models.ForeignKey(
        "loans.Bank",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="officers",
        verbose_name=_("partner bank"),
    )
    audit_firm = models.ForeignKey(
        "subsidies.AuditFirm",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="auditors",
        verbose_name=_("audit firm"),
    )
    link_status = models.CharField(
        _("organisation link"),
        max_length=10,
        choices=LinkStatus.choices,
        blank=True,
        default="",
        db_index=True,
    )
    link_decided_by = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("link decided by"),
    )
    link_decided_at = models.DateTimeField(_("link decided at"), null=True, blank=True)
    # The language the person chose with the switcher; blank: the browser's, else Chinese.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # The bureau admin's right (portal.accounts.roles.can_manage_accounts).
        permissions = [
            (
                "manage_accounts",
                _("Can manage accounts, groups, permissions and other people's passwords"),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=_organisation_matches_kind(),
                name="user_organisation_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(organisation_kind="", link_status="")
                | (~Q(organisation_kind="") & ~Q(link_status="")),
                name="user_link_status_with_organisation",
            ),
        ]

    @property
    def organisation(self) -> models.Model | None:
        """The organisation this user acts for, approved or not."""
        # Each kind's value is the name of its foreign key (see ORGANISATION_FIELDS).
        return getattr(self, self.organisation_kind) if self.organisation_kind else None

    @property
    def link_approved(self) -> bool:
        return self.link_status == self.LinkStatus.APPROVED

    def get_full_name(self) -> str:
        """The name as people write it: 周婷 (family name first, no space), or "Ada Lovelace".

        Empty when neither part is filled in; `display_name` falls back to the username.
        """
        first, last = (self.first_name or "").strip(), (self.last_name or "").strip()
        if _is_latin(first) and _is_latin(last):
            return f"{first} {last}".strip()
        return f"{last}{first}"

    def get_short_name(self) -> str:
        """The given name for a Latin-script name; the whole name otherwise (周婷, not 婷)."""
        first = (self.first_name or "").strip()
        if first and _is_latin(first) and _is_latin(self.last_name or ""):
            return first
        return self.get_full_name()

    @property
    def display_name(self) -> str:
        """How a person is shown in timelines, sign-offs, emails and the admin."""
        return self.get_full_name() or self.get_username()

    def __str__(self) -> str:
        return self.display_name

    def has_role(self, role: Role) -> bool:
        return self.groups.filter(name=role.value).exists()


class SecurityEvent(models.Model):
    """One sign-in, failed sign-in, sign-out or change of someone's rights, for the admin.

    Written by portal.accounts.signals through `security_event_record`; never changed.
    """

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        SIGNED_OUT = "signed_out", _("Signed out")
        PERMISSIONS_CHANGED = "permissions_changed", _("Permissions changed")

    kind = models.CharField(_("event"), max_length=30, choices=Kind.choices)
    user = models.ForeignKey(
        User,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="security_events",
        verbose_name=_("user"),
    )
    # As typed at a failed sign-in (which may name no account); the user's name otherwise.
    username = models.CharField(_("username"), max_length=150, blank=True)
    acting_user = models.ForeignKey(
        User,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acting user"),
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "-created_at"], name="securityevent_kind_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.username}"
