"""Section `loans`: knowledge-value credit loans and the risk compensation fund as of D.

The figures come from loans.selectors.loans_summary_on (five aggregate queries whatever the
row counts), which states how each is judged:
- applicant_firms: distinct firms with an application dated ≤ D, whatever its fate;
- granted_firms, granted_amount: over loans disbursed ≤ D; granted_amount_month: disbursed
  in the month (first day ≤ disbursed_on ≤ D);
- outstanding_amount: principal disbursed ≤ D, less repayments paid ≤ D, of loans not
  compensated by D (ledger rows imported as repaid or compensated count as settled);
- overdue_loans: loans whose status on D was "overdue" (the last status change ≤ D; ledger
  rows by their status);
- compensation_paid: claims paid ≤ D; fund_balance: contributions ≤ D less claims paid ≤ D.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from loans.models import FundContribution, LoanApplication
from loans.selectors import loans_summary_on
from portal.statistics.lib import Period
from portal.statistics.sections.base import Figure, Kind, Section, earliest


def compute(period: Period) -> dict[str, Any]:
    return loans_summary_on(day=period.last_day)


def _changelist(model: str, **query: str) -> Callable[[Period], str]:
    def link(period: Period) -> str:
        url = reverse(f"admin:loans_{model}_changelist")
        return f"{url}?{urlencode(query)}" if query else url

    return link


def _month_url(period: Period) -> str:
    query = urlencode({"month": f"{period.last_day:%Y-%m}"})
    return f"{reverse('admin:loans_loanapplication_changelist')}?{query}"


def first_record() -> dt.date | None:
    return earliest(
        (LoanApplication.objects.all(), "submitted_on", "disbursed_on"),
        (FundContribution.objects.all(), "contributed_on"),
    )


SECTION = Section(
    key="loans",
    title=_("Knowledge-value credit loans"),
    compute=compute,
    first_record=first_record,
    figures=(
        Figure(
            "applicant_firms",
            _("Firms that applied"),
            Kind.COUNT,
            link=_changelist("loanapplication"),
        ),
        Figure(
            "granted_firms",
            _("Firms granted a loan"),
            Kind.COUNT,
            headline=True,
            public=True,
            link=_changelist("loanapplication"),
        ),
        Figure("granted_amount", _("Amount lent"), Kind.MONEY, headline=True, public=True),
        Figure("granted_amount_month", _("Amount lent this month"), Kind.MONEY, link=_month_url),
        Figure("outstanding_amount", _("Outstanding principal"), Kind.MONEY, headline=True),
        Figure(
            "overdue_loans",
            _("Overdue loans"),
            Kind.COUNT,
            link=_changelist("loanapplication", status__exact="overdue"),
        ),
        Figure(
            "compensation_paid",
            _("Compensation paid by the fund"),
            Kind.MONEY,
            link=_changelist("compensationclaim", status__exact="paid"),
        ),
        Figure(
            "fund_balance",
            _("Risk compensation fund balance"),
            Kind.MONEY,
            headline=True,
            link=_changelist("compensationfund"),
        ),
    ),
)
