"""Roles are groups; this table says which permissions each one holds.

The data migrations of this app create the groups and grant these permissions; a later
issue that adds models adds its codenames here and a migration that calls `sync_roles`.

`ROLES` says, per role, whether it is a bureau role (an `is_staff` account that works in the
admin) and what it may do to user accounts; the account rules at the end of this module read
it, and `portal.accounts.admin` enforces them.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """Group names as staff see them in admin."""

    BUREAU_ADMIN = "局系统管理员"
    BUREAU_STAFF = "业务科室"
    SECTION_HEAD = "科长"
    DEPUTY_DIRECTOR = "副局长"
    FINANCE = "财务"
    BANK_OFFICER = "合作银行信贷员"
    AUDITOR = "审计机构"
    CARRIER_OPERATOR = "载体运营方"
    ENTERPRISE_USER = "企业用户"


# "app_label.codename" for each role; "*" grants every permission that exists.
_REGISTRY_MODELS = (
    "enterprise",
    "street",
    "techfirmregistration",
    "hightechcertificate",
    "annualfigures",
)
_LOAN_POLICY_MODELS = ("bank", "creditmodel", "creditindicator", "creditgrade")
_LOAN_RECORD_MODELS = (
    "creditevaluation",
    "loanapplication",
    "loanstatuschange",
    "loanattachment",
    "repayment",
    "compensationfund",
    "fundcontribution",
    "compensationclaim",
)
# The service desk: staff record visits, handle requests and recommend projects.
_SERVICE_DESK_MODELS = (
    "servicevisit",
    "servicerequest",
    "department",
    "requestcategory",
    "projectrecommendation",
)
_SERVICE_DESK_RECORDS = (
    "servicerequeststatuschange",
    "projectrecommendationstatuschange",
    "overduedigest",
)
_CARRIER_MODELS = (
    "incubator",
    "incubatorsite",
    "recognition",
    "tenancy",
    "activity",
    "competitionentry",
    "readinessthreshold",
)
# Subsidies: staff keep policies, follow claims and high-tech applications, assign audits.
_SUBSIDY_MODELS = (
    "subsidypolicy",
    "subsidyclaim",
    "hightechapplication",
    "auditfirm",
    "enterpriselisting",
    "objection",
    "notice",
)
_SUBSIDY_RECORDS = (
    "subsidyclaimstatuschange",
    "hightechapplicationstatuschange",
    "signoff",
    "rdaudit",
    "claimattachment",
    "paymentbatch",
    "paymentbatchstatuschange",
)
# Queue handovers: handlers and finance hand over their own queue, the records they took up
# (common.admin keeps them to their own; the bureau admin, holding every permission, sets
# anyone's). Signers hold no records: a signature waits for every holder of the right. The
# notification outbox is the bureau admin's alone.
_OWN_HANDOVERS = tuple(f"common.{verb}_queuehandover" for verb in ("view", "add", "change"))
# What a signer reads to judge a claim, and nothing it could change: the claim with its
# timeline, signatures, objections, documents and audit; the policy it is paid under; the
# claimant's registry entries and carrier records the eligibility rests on; the dashboard.
_CLAIM_READING = (
    *(f"enterprises.view_{model}" for model in _REGISTRY_MODELS),
    *(f"incubators.view_{model}" for model in ("incubator", "tenancy")),
    *(
        f"subsidies.view_{model}"
        for model in (
            "subsidypolicy",
            "subsidyclaim",
            "subsidyclaimstatuschange",
            "signoff",
            "objection",
            "notice",
            "claimattachment",
            "rdaudit",
            "auditfirm",
            "enterpriselisting",
        )
    ),
    "statistics.view_monthlysummary",
)
_OWN_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.BUREAU_ADMIN: ("*",),
    Role.BUREAU_STAFF: (
        *(
            f"enterprises.{verb}_{model}"
            for model in _REGISTRY_MODELS
            for verb in ("view", "add", "change")
        ),
        *(
            f"enterprises.{verb}_{model}"
            for model in _SERVICE_DESK_MODELS
            for verb in ("view", "add", "change")
        ),
        *(f"enterprises.view_{model}" for model in _SERVICE_DESK_RECORDS),
        *(
            f"incubators.{verb}_{model}"
            for model in _CARRIER_MODELS
            for verb in ("view", "add", "change")
        ),
        "enterprises.view_importjob",
        "enterprises.add_importjob",
        *(
            f"loans.{verb}_{model}"
            for model in _LOAN_POLICY_MODELS
            for verb in ("view", "add", "change")
        ),
        *(f"loans.view_{model}" for model in _LOAN_RECORD_MODELS),
        "loans.review_loanapplication",
        "loans.evaluate_enterprise",
        "loans.import_loanledger",
        "loans.decide_compensationclaim",
        "loans.add_fundcontribution",
        # Monthly statistics: the dashboard, district figures, report subscriptions.
        "statistics.view_monthlysummary",
        "statistics.change_monthlysummary",
        *(
            f"statistics.{verb}_{model}"
            for model in ("districtstatistic", "reportsubscription")
            for verb in ("view", "add", "change")
        ),
        "statistics.view_reportdelivery",
        "statistics.change_reportdelivery",
        *(
            f"subsidies.{verb}_{model}"
            for model in _SUBSIDY_MODELS
            for verb in ("view", "add", "change")
        ),
        *(f"subsidies.view_{model}" for model in _SUBSIDY_RECORDS),
        # A version's calls and materials: rows of its admin page, removed there too.
        *(
            f"subsidies.{verb}_{model}"
            for model in ("applicationwindow", "checklistitem")
            for verb in ("view", "add", "change", "delete")
        ),
        # The first of a claim's three signatures; the other two are their own roles'.
        "subsidies.sign_as_handler",
        # The official calendar: staff enter each year's holiday arrangements when the State
        # Council publishes them, and remove a day entered by mistake.
        *(f"common.{verb}_calendarday" for verb in ("view", "add", "change", "delete")),
        *_OWN_HANDOVERS,
    ),
    # The second and third signatures: they read claims and sign, and change nothing else.
    Role.SECTION_HEAD: (*_CLAIM_READING, "subsidies.sign_as_section_head"),
    Role.DEPUTY_DIRECTOR: (*_CLAIM_READING, "subsidies.sign_as_deputy_director"),
    Role.FINANCE: (
        *(f"enterprises.view_{model}" for model in _REGISTRY_MODELS),
        *(f"incubators.view_{model}" for model in _CARRIER_MODELS),
        "statistics.view_monthlysummary",
        "loans.view_bank",
        "loans.view_loanapplication",
        "loans.view_compensationfund",
        "loans.view_fundcontribution",
        "loans.add_fundcontribution",
        "loans.view_compensationclaim",
        "loans.pay_compensationclaim",
        # Payment batches of approved claims.
        "subsidies.view_subsidyclaim",
        "subsidies.view_subsidypolicy",
        "subsidies.view_paymentbatch",
        "subsidies.add_paymentbatch",
        "subsidies.change_paymentbatch",
        *_OWN_HANDOVERS,
        "subsidies.view_paymentbatchstatuschange",
    ),
    # The desks of these roles are web pages scoped to their organisation, not admin.
    Role.BANK_OFFICER: (),
    Role.AUDITOR: (),
    Role.CARRIER_OPERATOR: (),
    Role.ENTERPRISE_USER: (),
}


class AccountRights(StrEnum):
    """What a role may do to user accounts."""

    # No access to accounts at all.
    NONE = "none"
    # The bureau's business on accounts: approve or reject an enterprise user's link; link a
    # bank officer, carrier operator or auditor to their organisation. Nothing else.
    LINKS = "links"
    # Everything: create accounts, groups, permissions, the staff flag, other people's
    # passwords, the security log. Only a superuser grants the superuser flag.
    MANAGE = "manage"


# The account permissions each level of rights holds; "*" already holds them for MANAGE.
ACCOUNT_PERMISSIONS: dict[AccountRights, tuple[str, ...]] = {
    AccountRights.NONE: (),
    AccountRights.LINKS: ("accounts.view_user", "accounts.change_user"),
    AccountRights.MANAGE: (
        "accounts.manage_accounts",
        "accounts.view_securityevent",
        *(f"accounts.{verb}_user" for verb in ("view", "add", "change", "delete")),
        *(
            f"auth.{verb}_{model}"
            for model in ("group", "permission")
            for verb in ("view", "add", "change", "delete")
        ),
    ),
}


@dataclass(frozen=True)
class RoleRow:
    """One role: a bureau role's accounts are `is_staff` and sign out after idling."""

    bureau: bool
    accounts: AccountRights


ROLES: dict[Role, RoleRow] = {
    Role.BUREAU_ADMIN: RoleRow(bureau=True, accounts=AccountRights.MANAGE),
    Role.BUREAU_STAFF: RoleRow(bureau=True, accounts=AccountRights.LINKS),
    Role.SECTION_HEAD: RoleRow(bureau=True, accounts=AccountRights.LINKS),
    Role.DEPUTY_DIRECTOR: RoleRow(bureau=True, accounts=AccountRights.LINKS),
    Role.FINANCE: RoleRow(bureau=True, accounts=AccountRights.NONE),
    Role.BANK_OFFICER: RoleRow(bureau=False, accounts=AccountRights.NONE),
    Role.AUDITOR: RoleRow(bureau=False, accounts=AccountRights.NONE),
    Role.CARRIER_OPERATOR: RoleRow(bureau=False, accounts=AccountRights.NONE),
    Role.ENTERPRISE_USER: RoleRow(bureau=False, accounts=AccountRights.NONE),
}


def _role_permissions(role: Role) -> tuple[str, ...]:
    own = _OWN_PERMISSIONS[role]
    if own == ("*",):
        return own
    return (*own, *ACCOUNT_PERMISSIONS[ROLES[role].accounts])


# What `sync_roles` grants: each role's own permissions plus those of its account rights.
ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {role: _role_permissions(role) for role in Role}

# Every bureau role: a user of one is `is_staff=True` and a member of the group `role.value`.
BUREAU_ROLES: tuple[Role, ...] = tuple(role for role in Role if ROLES[role].bureau)
STAFF_ROLES = BUREAU_ROLES

# The account fields that carry rights; only the bureau admin changes them.
RIGHTS_FIELDS = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")


def can_manage_accounts(user: Any) -> bool:
    """The bureau admin (or a superuser): groups, permissions, flags, other passwords."""
    return bool(
        getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
        and user.has_perm("accounts.manage_accounts")
    )


def can_decide_links(user: Any) -> bool:
    """Staff (and the admin) decide which organisation an account acts for."""
    return bool(
        getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
        and user.has_perm("accounts.change_user")
    )


def can_change_account(actor: Any, account: Any) -> bool:
    """Whether `actor` may change `account` at all.

    Only a superuser changes a superuser. The bureau admin changes every other account;
    staff who decide links change only accounts outside the bureau (never a bureau account,
    their own included).
    """
    if account.is_superuser and not actor.is_superuser:
        return False
    if can_manage_accounts(actor):
        return True
    return can_decide_links(actor) and not account.is_staff


def rights_fields(actor: Any, account: Any) -> tuple[str, ...]:
    """The fields of `RIGHTS_FIELDS` that `actor` may change on `account`.

    Nobody but a superuser raises their own rights, and only a superuser grants the
    superuser flag.
    """
    if actor.is_superuser:
        return RIGHTS_FIELDS
    if not can_manage_accounts(actor) or account.pk == actor.pk:
        return ()
    return tuple(field for field in RIGHTS_FIELDS if field != "is_superuser")


def can_set_password(actor: Any, account: Any | None) -> bool:
    """Whether `actor` may set `account`'s password without knowing the old one.

    The bureau admin only (a superuser's only by a superuser); everyone changes their own
    through the password change page, which asks for the old password.
    """
    if not can_manage_accounts(actor):
        return False
    return account is None or actor.is_superuser or not account.is_superuser


def sync_roles(apps) -> None:  # type: ignore[no-untyped-def]
    """Create every role group and set its permissions to the table above (migration-safe)."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        if codes == ("*",):
            perms = list(Permission.objects.all())
        else:
            perms = []
            for code in codes:
                app_label, codename = code.split(".")
                perms.extend(
                    Permission.objects.filter(content_type__app_label=app_label, codename=codename)
                )
        group.permissions.set(perms)
