"""Roles are groups; this table says which permissions each one holds.

The data migrations of this app create the groups and grant these permissions; a later
issue that adds models adds its codenames here and a migration that calls `sync_roles`.
"""

from enum import StrEnum


class Role(StrEnum):
    """Group names as staff see them in admin."""

    BUREAU_ADMIN = "局系统管理员"
    BUREAU_STAFF = "业务科室"
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
_SERVICE_DESK_MODELS = ("servicevisit", "servicerequest", "department", "projectrecommendation")
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
)
_SUBSIDY_RECORDS = (
    "subsidyclaimstatuschange",
    "hightechapplicationstatuschange",
    "signoff",
    "rdaudit",
    "claimattachment",
    "paymentbatch",
)
ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
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
        "accounts.view_user",
        "accounts.change_user",
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
        # Handlers and section heads are staff; the deputy director's signature is granted
        # to that person (or held by the bureau admin).
        "subsidies.sign_as_handler",
        "subsidies.sign_as_section_head",
    ),
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
    ),
    # The desks of these roles are web pages scoped to their organisation, not admin.
    Role.BANK_OFFICER: (),
    Role.AUDITOR: (),
    Role.CARRIER_OPERATOR: (),
    Role.ENTERPRISE_USER: (),
}

STAFF_ROLES = (Role.BUREAU_ADMIN, Role.BUREAU_STAFF, Role.FINANCE)


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
