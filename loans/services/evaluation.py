"""Knowledge-value credit evaluation: inputs from the annual figures, scored by the model."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from common.lib.money import format_wan
from enterprises.models import AnnualFigures, Enterprise, HighTechCertificate
from loans.lib import scoring
from loans.models import (
    CreditEvaluation,
    CreditModel,
)
from loans.services.base import CENT, _is_staff_with, is_enterprise_user_of, today

if TYPE_CHECKING:
    from common.types import User


def credit_inputs(*, figures: AnnualFigures, on: dt.date) -> dict[str, str]:
    """The measures of a firm for the credit model, as text so they store exactly."""
    revenue, rd = figures.revenue, figures.rd_expenditure
    share = (rd * 100 / revenue).quantize(CENT, rounding=ROUND_HALF_UP) if revenue else Decimal(0)
    certificate = (
        HighTechCertificate.objects.valid_on(on)
        .filter(enterprise_id=figures.enterprise_id)
        .exists()
    )
    return {
        "invention_patents": str(figures.invention_patents),
        "utility_models": str(figures.utility_models),
        "software_copyrights": str(figures.software_copyrights),
        "rd_expenditure_wan": format_wan(rd),
        "rd_share_pct": str(share),
        "high_end_talent": str(figures.high_end_talent),
        "new_products": str(figures.new_products),
        "high_tech_certificate": "1" if certificate else "0",
    }


def credit_score(*, credit_model: CreditModel, inputs: dict[str, str]) -> scoring.Score:
    """The pure evaluation of stored inputs: re-running it gives the stored result."""
    indicators, grades = credit_model.specs()
    return scoring.evaluate(indicators, grades, {k: Decimal(v) for k, v in inputs.items()})


def active_credit_model() -> CreditModel:
    model = CreditModel.objects.filter(is_active=True).first()
    if model is None:
        raise ValidationError(_("No credit model is active."))
    return model


@transaction.atomic
def credit_evaluation_create(
    *,
    enterprise: Enterprise,
    acting_user: User,
    year: int | None = None,
    credit_model: CreditModel | None = None,
    evaluated_on: dt.date | None = None,
) -> CreditEvaluation:
    """Evaluate a firm's figures of `year` (default: its latest complete year) with the
    (active) model.

    Staff with the evaluation right may evaluate any firm; an enterprise user its own.
    Only a year that has ended on the evaluation day is scored: figures of a year under way
    (refused at entry, but possibly left from before) are never used. Stores the inputs and
    the points of every indicator.
    """
    if not (
        _is_staff_with(acting_user, "loans.evaluate_enterprise")
        or is_enterprise_user_of(acting_user, enterprise.pk)
    ):
        raise PermissionDenied(_("You may not evaluate this enterprise."))
    day = evaluated_on or today()
    figures_qs = AnnualFigures.objects.complete_on(day).filter(enterprise=enterprise)
    figures = (figures_qs.filter(year=year) if year else figures_qs.order_by("-year")).first()
    if figures is None:
        raise ValidationError(_("The enterprise has no annual figures of a complete year."))
    credit_model = credit_model or active_credit_model()
    inputs = credit_inputs(figures=figures, on=day)
    result = credit_score(credit_model=credit_model, inputs=inputs)
    evaluation = CreditEvaluation(
        enterprise=enterprise,
        credit_model=credit_model,
        year=figures.year,
        evaluated_on=day,
        inputs=inputs,
        indicator_points=[r.as_dict() for r in result.indicators],
        base_score=result.base_score,
        bonus_score=result.bonus_score,
        score=result.score,
        grade=result.grade,
        quota=result.quota,
        evaluated_by=acting_user,
    )
    save_with_audit(evaluation, acting_user=acting_user, reason="evaluated")
    return evaluation


def credit_evaluation_run(
    *, credit_model: CreditModel, acting_user: User, year: int | None = None
) -> int:
    """Evaluate every firm that has figures of a complete year (of `year`, or its latest
    complete one); returns the count."""
    if not _is_staff_with(acting_user, "loans.evaluate_enterprise"):
        raise PermissionDenied(_("You may not evaluate this enterprise."))
    complete = AnnualFigures.objects.complete_on(today())
    if year:
        complete = complete.filter(year=year)
    enterprises = Enterprise.objects.filter(pk__in=complete.values("enterprise_id"))
    count = 0
    for enterprise in enterprises.distinct().order_by("pk").iterator():
        credit_evaluation_create(
            enterprise=enterprise, acting_user=acting_user, year=year, credit_model=credit_model
        )
        count += 1
    return count
