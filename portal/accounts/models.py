"""Users and the organisation each non-staff user belongs to."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.accounts.roles import Role


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
                condition=(
                    Q(organisation_kind="")
                    & Q(enterprise__isnull=True)
                    & Q(incubator__isnull=True)
                    & Q(bank__isnull=True)
                    & Q(audit_firm__isnull=True)
                )
                | (
                    Q(organisation_kind="enterprise")
                    & Q(enterprise__isnull=False)
                    & Q(incubator__isnull=True)
                    & Q(bank__isnull=True)
                    & Q(audit_firm__isnull=True)
                )
                | (
                    Q(organisation_kind="incubator")
                    & Q(incubator__isnull=False)
                    & Q(enterprise__isnull=True)
                    & Q(bank__isnull=True)
                    & Q(audit_firm__isnull=True)
                )
                | (
                    Q(organisation_kind="bank")
                    & Q(bank__isnull=False)
                    & Q(enterprise__isnull=True)
                    & Q(incubator__isnull=True)
                    & Q(audit_firm__isnull=True)
                )
                | (
                    Q(organisation_kind="audit_firm")
                    & Q(audit_firm__isnull=False)
                    & Q(enterprise__isnull=True)
                    & Q(incubator__isnull=True)
                    & Q(bank__isnull=True)
                ),
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
        if self.organisation_kind == self.OrganisationKind.ENTERPRISE:
            return self.enterprise
        if self.organisation_kind == self.OrganisationKind.INCUBATOR:
            return self.incubator
        if self.organisation_kind == self.OrganisationKind.BANK:
            return self.bank
        if self.organisation_kind == self.OrganisationKind.AUDIT_FIRM:
            return self.audit_firm
        return None

    @property
    def link_approved(self) -> bool:
        return self.link_status == self.LinkStatus.APPROVED

    def has_role(self, role: Role) -> bool:
        return self.groups.filter(name=role.value).exists()
