"""The two loan processes walked from their tables (tests/workflow_walk.py): every state ×
every target × every role, through the process's own services. A step succeeds exactly when
the table has it and the role holds one of its actors; otherwise it is refused with nothing
written (state, records, notifications). A step added to a table is tested by adding it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from loans.models import LoanStatus
from loans.workflows import CLAIM, LOAN
from tests.loans.world import World, claim_step, loan_step
from tests.workflow_walk import walk

pytestmark = pytest.mark.django_db
S = LoanStatus


@pytest.fixture
def world(fund):
    return World()


def test_walk_the_loan_application_table(world):
    counts = walk(LOAN, roles=world.roles, make=world.loan, step=loan_step)
    # 14 states × 13 targets × 13 roles; each of the 18 steps is open to one role, to the
    # firm's colleague too where the firm makes it (6 steps), and to the bureau admin where
    # bureau staff (3) or finance (1) make it.
    assert counts == {"allowed": 18 + 6 + 3 + 1, "refused": 14 * 13 * 13 - 28}


def test_walk_the_compensation_claim_table(world):
    counts = walk(CLAIM, roles=world.roles, make=world.claim, step=claim_step)
    # 4 states × 3 targets × 13 roles; approve (staff, admin) and pay (finance, admin).
    assert counts == {"allowed": 4, "refused": 4 * 3 * 13 - 4}


# A refusal says why: outside the table (even for the right role) the state is named, and an
# outsider is refused before the table is read, so it learns nothing of the loan.


@pytest.mark.parametrize(
    ("source", "target", "role"),
    [
        (S.SUBMITTED, S.APPROVED, "bank_officer"),
        (S.FORWARDED, S.DISBURSED, "bank_officer"),
        (S.APPROVED, S.APPROVED, "bank_officer"),
        (S.APPROVED, S.WITHDRAWN, "firm"),
        (S.DISBURSED, S.WITHDRAWN, "firm"),
        (S.REJECTED, S.FORWARDED, "staff"),
        (S.DRAFT, S.FORWARDED, "staff"),
        (S.FORWARDED, S.DEFAULTED, "bank_officer"),
        (S.DISBURSED, S.COMPENSATION_CLAIMED, "bank_officer"),
    ],
)
def test_a_step_outside_the_table_names_the_state(world, source, target, role):
    loan = world.loan(source)
    if role == "bank_officer" and loan.bank is None:
        loan.bank = world.bank  # the bank's own loan, in a state where it may not act
        loan.save()
    with translation.override("en"), pytest.raises(ValidationError, match="cannot become"):
        loan_step(loan, target, world.roles[role])
    loan.refresh_from_db()
    assert loan.status == source


@pytest.mark.parametrize("role", ["other_bank_officer", "firm", "auditor"])
def test_an_outsider_is_refused_before_the_state_is_told(world, role):
    loan = world.loan(S.REPAID)  # no step leads out of it
    with pytest.raises(PermissionDenied):
        loan_step(loan, S.APPROVED, world.roles[role])
