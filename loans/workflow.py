"""The application workflow as data: which transition each kind of actor may make.

Services look a transition up here before they change anything; the tests walk the whole
table against every role.
"""

from enum import StrEnum

from loans.models import LoanStatus as S


class Actor(StrEnum):
    ENTERPRISE = "enterprise"  # a user of the applying firm (approved link)
    STAFF = "staff"  # bureau staff holding the review permission
    BANK = "bank"  # an officer of the bank the loan was forwarded to
    FINANCE = "finance"  # bureau staff holding the compensation payment permission


TRANSITIONS: dict[tuple[str, str], Actor] = {
    (S.DRAFT, S.SUBMITTED): Actor.ENTERPRISE,
    (S.RETURNED, S.SUBMITTED): Actor.ENTERPRISE,
    (S.DRAFT, S.WITHDRAWN): Actor.ENTERPRISE,
    (S.SUBMITTED, S.WITHDRAWN): Actor.ENTERPRISE,
    (S.RETURNED, S.WITHDRAWN): Actor.ENTERPRISE,
    (S.FORWARDED, S.WITHDRAWN): Actor.ENTERPRISE,
    (S.SUBMITTED, S.RETURNED): Actor.STAFF,
    (S.SUBMITTED, S.REJECTED): Actor.STAFF,
    (S.SUBMITTED, S.FORWARDED): Actor.STAFF,
    (S.FORWARDED, S.APPROVED): Actor.BANK,
    (S.FORWARDED, S.DECLINED): Actor.BANK,
    (S.APPROVED, S.DISBURSED): Actor.BANK,
    (S.DISBURSED, S.REPAID): Actor.BANK,
    (S.DISBURSED, S.OVERDUE): Actor.BANK,
    (S.OVERDUE, S.REPAID): Actor.BANK,
    (S.OVERDUE, S.DEFAULTED): Actor.BANK,
    (S.DEFAULTED, S.COMPENSATION_CLAIMED): Actor.BANK,
    (S.COMPENSATION_CLAIMED, S.COMPENSATED): Actor.FINANCE,
}


def allowed_from(target: str) -> list[str]:
    """The statuses from which `target` can be reached."""
    return [source for source, to in TRANSITIONS if to == target]
