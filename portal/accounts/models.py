"""Users and the organisation each non-staff user belongs to."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
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
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
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

    def has_role(self, role: Role) -> bool:
        return self.groups.filter(name=role.value).exists()
