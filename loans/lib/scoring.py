"""The credit evaluation as a pure function: no Django, no database, no clock.

An indicator reads one measure of the firm (a count, an amount in 万元 or a percentage) and
gives the points of the highest band whose minimum the measure reaches. The score is the sum
of the base and bonus points; the grade is the one with the highest minimum score reached.
Everything is Decimal, so the same inputs always give the same result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

MAX_QUOTA = Decimal("5000000.00")


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name: str
    kind: str  # "base" or "bonus"
    measure: str
    # (minimum value, points), any order; a measure below every minimum scores 0.
    bands: Sequence[tuple[Decimal, Decimal]]


@dataclass(frozen=True)
class GradeSpec:
    grade: str
    min_score: Decimal
    quota: Decimal


@dataclass(frozen=True)
class IndicatorResult:
    code: str
    name: str
    kind: str
    measure: str
    value: Decimal
    points: Decimal

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "measure": self.measure,
            "value": str(self.value),
            "points": str(self.points),
        }


@dataclass(frozen=True)
class Score:
    indicators: list[IndicatorResult] = field(default_factory=list)
    base_score: Decimal = Decimal(0)
    bonus_score: Decimal = Decimal(0)
    grade: str = ""
    quota: Decimal = Decimal(0)

    @property
    def score(self) -> Decimal:
        return self.base_score + self.bonus_score


def band_points(value: Decimal, bands: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
    """Points of the highest band whose minimum `value` reaches (0 below every band)."""
    reached = [points for minimum, points in bands if value >= minimum]
    if not reached:
        return Decimal(0)
    best_minimum = max(minimum for minimum, _points in bands if value >= minimum)
    return next(points for minimum, points in bands if minimum == best_minimum)


def grade_for(score: Decimal, grades: Sequence[GradeSpec]) -> GradeSpec | None:
    """The grade with the highest minimum score that `score` reaches, or None."""
    reached = [grade for grade in grades if score >= grade.min_score]
    return max(reached, key=lambda grade: grade.min_score) if reached else None


def evaluate(
    indicators: Sequence[IndicatorSpec],
    grades: Sequence[GradeSpec],
    inputs: Mapping[str, Decimal],
) -> Score:
    """Score `inputs` (measure -> value) against a model; a missing measure counts as 0."""
    results = [
        IndicatorResult(
            code=spec.code,
            name=spec.name,
            kind=spec.kind,
            measure=spec.measure,
            value=Decimal(inputs.get(spec.measure, 0)),
            points=band_points(Decimal(inputs.get(spec.measure, 0)), spec.bands),
        )
        for spec in indicators
    ]
    base = sum((r.points for r in results if r.kind == "base"), Decimal(0))
    bonus = sum((r.points for r in results if r.kind == "bonus"), Decimal(0))
    grade = grade_for(base + bonus, grades)
    return Score(
        indicators=results,
        base_score=base,
        bonus_score=bonus,
        grade=grade.grade if grade else "",
        quota=min(grade.quota, MAX_QUOTA) if grade else Decimal(0),
    )
