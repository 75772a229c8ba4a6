from decimal import Decimal

import pytest

from subsidies import lib

D = Decimal


@pytest.mark.parametrize(
    ("basis", "first_five", "other", "allowed", "total"),
    [
        # tax super-deduction: other ≤ 10/90 of the first five
        (lib.BASIS_TAX, D("900000"), D("50000"), D("50000"), D("950000")),
        (lib.BASIS_TAX, D("900000"), D("100000"), D("100000"), D("1000000")),
        (lib.BASIS_TAX, D("900000"), D("100000.01"), D("100000.00"), D("1000000.00")),
        (lib.BASIS_TAX, D("1000000"), D("500000"), D("111111.11"), D("1111111.11")),
        # high-tech recognition: other ≤ 20% of the total, i.e. ≤ first five / 4
        (lib.BASIS_HIGH_TECH, D("800000"), D("200000"), D("200000"), D("1000000")),
        (lib.BASIS_HIGH_TECH, D("800000"), D("300000"), D("200000"), D("1000000")),
        (lib.BASIS_HIGH_TECH, D("100"), D("30"), D("25.00"), D("125.00")),
        (lib.BASIS_TAX, D("0"), D("1000"), D("0.00"), D("0.00")),
    ],
)
def test_audit_caps_other_related_costs(basis, first_five, other, allowed, total):
    assert lib.audited_eligible(basis=basis, first_five=first_five, other=other) == (
        allowed,
        total,
    )


def test_high_tech_cap_keeps_other_within_a_fifth_of_the_total():
    allowed, total = lib.audited_eligible(
        basis=lib.BASIS_HIGH_TECH, first_five=D("333333.33"), other=D("999999")
    )
    assert allowed <= total * D("0.2")


def test_rate_with_cap():
    assert lib.rate_with_cap(base=D("1234567.89"), rate=D("0.1"), cap=None) == D("123456.79")
    assert lib.rate_with_cap(base=D("50000000"), rate=D("0.1"), cap=D("2000000")) == D("2000000")


def test_unknown_basis_is_refused():
    with pytest.raises(ValueError):
        lib.other_cap(basis="guess", first_five=D(1))


@pytest.mark.parametrize(
    ("rate", "shown"),
    [(D("0.1000"), "10%"), (D("0.125"), "12.5%"), (D("1"), "100%"), (D("0.0001"), "0.01%")],
)
def test_a_rate_reads_as_a_percentage_without_trailing_zeros(rate, shown):
    assert lib.percent(rate) == shown
