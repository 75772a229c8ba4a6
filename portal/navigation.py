"""The site's menu: which pages each person may open, computed once per request.

The header (templates/base.html) and the home page's "way in" read the same `Menu`, so a
link appears in one exactly when it appears in the other, and only when its page opens for
that person: staff pages by the permission their views require, an organisation's pages
once the bureau approved the account's link (before that, the "account under review" page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from common.types import AnyUser


@dataclass(frozen=True)
class MenuLink:
    """One page of the menu: `label` in the header, `title` and `blurb` on the home page."""

    name: str  # the URL name, which tests and templates may key on
    label: StrOrPromise
    blurb: StrOrPromise = ""
    title: StrOrPromise = ""
    counted: bool = False  # shows the work queue's number beside it

    @property
    def url(self) -> str:
        return reverse(self.name)

    @property
    def heading(self) -> StrOrPromise:
        return self.title or self.label


@dataclass(frozen=True)
class Menu:
    """`public`: pages for everyone; `desk`: the signed-in person's own pages, in the order
    of the header; `account`: log in and sign up, or the password change."""

    public: tuple[MenuLink, ...]
    desk: tuple[MenuLink, ...] = ()
    account: tuple[MenuLink, ...] = ()


PUBLIC = (
    MenuLink(
        "subsidies:policies",
        _("Subsidy policies"),
        _("This year's subsidy and reward policies, and when each accepts claims."),
    ),
    MenuLink(
        "notices:list",
        _("Public notices"),
        _("Claims the bureau means to approve, open for objections."),
    ),
)
ANONYMOUS = (
    MenuLink("login", _("Log in"), _("For enterprises, partner banks, carriers and auditors.")),
    MenuLink(
        "signup",
        _("Sign up"),
        _("An enterprise opens its account; the bureau approves the link to the firm."),
        title=_("Sign up as an enterprise"),
    ),
)

# Bureau pages beside the admin (which needs is_staff alone), each with the permission its
# view requires.
STAFF_PAGES = (
    (
        MenuLink(
            "statistics:dashboard",
            _("Figures"),
            _("The monthly headline figures and their trends."),
        ),
        "statistics.view_monthlysummary",
    ),
    (
        MenuLink(
            "dossier:search",
            _("Enterprise dossiers"),
            _("One firm's whole record, found by name or code."),
        ),
        "enterprises.view_enterprise",
    ),
    (
        MenuLink(
            "service_desk:desk",
            _("Service desk"),
            _("Requests raised by firms, by department and age."),
        ),
        "enterprises.view_servicerequest",
    ),
)

CLAIMANT_PAGE = MenuLink(
    "subsidies:my_claims", _("My subsidy claims"), _("Claims made and what they wait for.")
)
# An organisation's own pages, once the bureau approved the account's link to it.
ORGANISATION_PAGES: dict[str, tuple[MenuLink, ...]] = {
    "enterprise": (
        MenuLink(
            "enterprises:my_enterprise",
            _("My enterprise"),
            _("Registration, contact details and annual figures."),
        ),
        MenuLink(
            "enterprises:my_requests", _("My requests"), _("Problems raised with the bureau.")
        ),
        MenuLink("loans:home", _("Credit loans"), _("The credit quota and loan applications.")),
        CLAIMANT_PAGE,
    ),
    "bank": (
        MenuLink("loans:bank_desk", _("Bank desk"), _("Loans forwarded to the bank, to decide.")),
    ),
    "incubator": (
        MenuLink("incubators:home", _("My carrier"), _("Tenants, activities and indicators.")),
        CLAIMANT_PAGE,
    ),
    "audit_firm": (
        MenuLink("subsidies:audits", _("Audits"), _("R&D audits assigned to the firm.")),
    ),
}


def menu_for(*, user: AnyUser | None) -> Menu:
    """The menu of `user` (None or anonymous: the public one). Reads the user's permissions
    for bureau staff (Django caches them on the user); no other query."""
    if user is None or not user.is_authenticated:
        return Menu(public=PUBLIC, account=ANONYMOUS)
    desk = [
        MenuLink(
            "queue",
            _("My work queue"),
            _("What waits for you, oldest first, with deadlines."),
            counted=True,
        )
    ]
    if user.is_staff:
        desk.append(
            MenuLink("admin:index", _("Administration"), _("Registries, claims and payments."))
        )
        desk.extend(link for link, permission in STAFF_PAGES if user.has_perm(permission))
    kind: str = getattr(user, "organisation_kind", "")
    if kind and not getattr(user, "link_approved", False):
        desk.append(
            MenuLink(
                "link_pending",
                _("Account under review"),
                _("The bureau checks that you act for the organisation."),
            )
        )
    elif kind:
        desk.extend(ORGANISATION_PAGES.get(kind, ()))
    account = (MenuLink("password_change", _("Change password")),)
    return Menu(public=PUBLIC, desk=tuple(desk), account=account)


def menu_of_request(request: Any) -> Menu:
    """The menu of the request's user, computed once per request."""
    if not hasattr(request, "_menu"):
        request._menu = menu_for(user=getattr(request, "user", None))
    menu: Menu = request._menu
    return menu
