"""The subsidy ledger (补贴台账, DESIGN §5) on the shared ledger framework.

One row per claim that predates the portal, matched on claimant, programme (补贴项目) and
year, so importing the same file twice changes nothing. The claimant is the enterprise of the
code; for a carrier reward it is the carrier that enterprise operates.

Ledger rows are history: they are checked for form (codes, dates, amounts, choices,
references, one claim per claimant, programme and year, dates in order) but not re-judged by
today's eligibility rules or budgets. A programme year with no policy version of its own
still imports (the claim then has no policy). A row may not overwrite a claim made in the
portal, which follows its own workflow.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce

from common.audit import save_with_audit
from common.importing import messages as msg
from common.importing import writers
from common.importing.columns import (
    Choice,
    Column,
    Date,
    Integer,
    Text,
    WanAmount,
)
from common.importing.readers import Table
from common.importing.resources import ImportOutcome, LedgerResource, ProgressCallback
from enterprises.resources import EnterpriseReference
from incubators.models import Incubator
from subsidies.models import CARRIER_PROGRAMMES, Programme, SubsidyClaim, SubsidyPolicy

# 补贴项目, in the order of DESIGN §5, mapped to the policy codes.
PROGRAMME_LABELS = {
    "研发投入补贴": Programme.RD_INVESTMENT,
    "高企首次认定奖励": Programme.HTE_NEW,
    "高企重新认定奖励": Programme.HTE_RENEWAL,
    "载体培育高企奖励": Programme.CARRIER_HTE,
    "载体培育上市企业奖励": Programme.CARRIER_LISTING,
    "房租补贴": Programme.RENT,
}
S = SubsidyClaim.Status
STATUS_LABELS = {
    "已受理": S.SUBMITTED,
    "已核定": S.APPROVED,
    "已拨付": S.PAID,
    "未通过": S.REJECTED,
}
DECIDED = (S.APPROVED, S.PAID)

# Messages of this list, in Chinese like the framework's (common.importing.messages).
APPROVAL_REQUIRED = "状态为已核定或已拨付时须填写"
APPROVAL_UNEXPECTED = "状态为已受理或未通过时不应填写"
PAID_ON_REQUIRED = "状态为已拨付时须填写"
PAID_ON_UNEXPECTED = "仅状态为已拨付时填写"
BEFORE_SUBMITTED = "不能早于申请日期"
BEFORE_APPROVED = "不能早于核定日期"
NOT_A_CARRIER_OPERATOR = "该企业不是任何孵化载体的运营主体，不能申领载体奖励"
SEVERAL_CARRIERS = "该企业运营多个孵化载体（{names}），无法确定申领载体"
PORTAL_CLAIM = "该申请单位本项目本年度已在门户中申请，台账不能覆盖"

IMPORT_REASON = "imported from the subsidy ledger"
# Fields a ledger row writes; the rest of a claim belongs to the portal's workflow.
LEDGER_FIELDS = (
    "submitted_on",
    "claimed_amount",
    "approved_amount",
    "approved_on",
    "status",
    "paid_on",
)


class SubsidyLedgerResource(LedgerResource):
    """补贴台账; see the module docstring."""

    columns = (
        Column(
            "统一社会信用代码",
            "enterprise",
            EnterpriseReference(),
            export_path="claimant_uscc",
            required=True,
        ),
        Column("企业名称", None, Text(max_length=200), export_path="claimant_name"),
        Column("补贴项目", "programme", Choice(PROGRAMME_LABELS)),
        Column("年度", "year", Integer()),
        Column("申请日期", "submitted_on", Date(), required=True),
        Column("申请金额(万元)", "claimed_amount", WanAmount()),
        Column("核定金额(万元)", "approved_amount", WanAmount()),
        Column("核定日期", "approved_on", Date()),
        Column("状态", "status", Choice(STATUS_LABELS), required=True),
        Column("拨付日期", "paid_on", Date()),
    )
    natural_key = ("enterprise", "programme", "year")
    change_reason = IMPORT_REASON

    class Meta:
        model = SubsidyClaim
        fields: tuple[str, ...] = ()

    @staticmethod
    def _with_claimant(queryset: QuerySet) -> QuerySet:
        """The claimant's code and name, whether an enterprise or a carrier claims."""
        return queryset.annotate(
            claimant_uscc=Coalesce(F("enterprise__uscc"), F("incubator__operator__uscc")),
            claimant_name=Coalesce(F("enterprise__name"), F("incubator__name")),
        )

    def get_queryset(self) -> QuerySet:
        return self._with_claimant(
            SubsidyClaim.objects.exclude(status=S.DRAFT).order_by("year", "programme", "pk")
        )

    def export(self, queryset: Any = None, **kwargs: Any) -> Any:
        """Every claim but drafts (or the admin's selection), in the ledger's columns."""
        if queryset is not None:
            queryset = self._with_claimant(queryset.exclude(status=S.DRAFT))
        return super().export(queryset, **kwargs)

    def clean_row(self, values: dict[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        status = values["status"]
        submitted_on, approved_on, paid_on = (
            values["submitted_on"],
            values["approved_on"],
            values["paid_on"],
        )
        for name in ("submitted_on", "approved_on", "paid_on"):
            if values[name] is not None and values[name] > self.today:
                errors[name] = msg.FUTURE_DATE
        for name in ("approved_amount", "approved_on"):
            if status in DECIDED and values[name] is None:
                errors[name] = APPROVAL_REQUIRED
            elif status not in DECIDED and values[name] is not None:
                errors[name] = APPROVAL_UNEXPECTED
        if status == S.PAID and paid_on is None:
            errors["paid_on"] = PAID_ON_REQUIRED
        elif status != S.PAID and paid_on is not None:
            errors["paid_on"] = PAID_ON_UNEXPECTED
        if approved_on and "approved_on" not in errors and approved_on < submitted_on:
            errors["approved_on"] = BEFORE_SUBMITTED
        if paid_on and approved_on and "paid_on" not in errors and paid_on < approved_on:
            errors["paid_on"] = BEFORE_APPROVED
        return errors

    def import_table(
        self,
        table: Table,
        *,
        dry_run: bool = False,
        acting_user: Any = None,
        progress: ProgressCallback | None = None,
        collect_rows: bool = False,
    ) -> ImportOutcome:
        """Validate the whole ledger, then create or update its claims, all or nothing.

        Side effects: unless refused or `dry_run`, creates claims (source "ledger") and
        updates ledger claims whose row changed, each save writing a history row by
        `acting_user`; rows equal to the database are skipped.
        """
        outcome = ImportOutcome(total_rows=len(table.rows), dry_run=dry_run)
        _columns, parsed = self._validate(table, outcome, progress)
        if outcome.refused:
            return outcome
        self._resolve_claimants(parsed, outcome)
        existing = self._existing(parsed)
        for number, values in parsed:
            claim = existing.get(self._key(values))
            if claim is not None and claim.source == SubsidyClaim.Source.PORTAL:
                outcome.add_error(number, "补贴项目", PORTAL_CLAIM)
        if outcome.refused:
            return outcome
        policies = {
            (p.code, p.year): p.pk
            for p in SubsidyPolicy.objects.published().filter(
                year__in={v["year"] for _n, v in parsed}
            )
        }
        try:
            with transaction.atomic():
                kinds = self._write(parsed, existing, policies, acting_user)
                if dry_run:
                    transaction.set_rollback(True)
        except DatabaseError as exc:
            outcome.add_error(None, None, f"数据库拒绝了这些数据：{exc}")
            return outcome
        except ValidationError as exc:
            outcome.add_error(None, None, "；".join(exc.messages))
            return outcome
        outcome.new = kinds.count(writers.NEW)
        outcome.updated = kinds.count(writers.UPDATE)
        outcome.skipped = kinds.count(writers.SKIP)
        if collect_rows:
            outcome.row_kinds = kinds
        if progress:
            progress(len(table.rows))
        return outcome

    @staticmethod
    def _key(values: dict[str, Any]) -> tuple:
        claimant = (
            ("incubator", values["incubator"])
            if values.get("incubator")
            else (
                "enterprise",
                values["enterprise"],
            )
        )
        return (*claimant, values["programme"], values["year"])

    def _resolve_claimants(
        self, parsed: list[tuple[int, dict[str, Any]]], outcome: ImportOutcome
    ) -> None:
        """A carrier reward's claimant is the carrier its operator (the row's code) runs."""
        operators = {v["enterprise"] for _n, v in parsed if v["programme"] in CARRIER_PROGRAMMES}
        carriers: dict[int, list[Incubator]] = {}
        for incubator in Incubator.objects.filter(operator__in=operators).order_by("name"):
            carriers.setdefault(incubator.operator_id, []).append(incubator)
        for number, values in parsed:
            values["incubator"] = None
            if values["programme"] not in CARRIER_PROGRAMMES:
                continue
            found = carriers.get(values["enterprise"], [])
            if not found:
                outcome.add_error(number, "统一社会信用代码", NOT_A_CARRIER_OPERATOR)
            elif len(found) > 1:
                names = "、".join(i.name for i in found)
                outcome.add_error(number, "统一社会信用代码", SEVERAL_CARRIERS.format(names=names))
            else:
                values["incubator"] = found[0].pk
                values["enterprise"] = None

    def _existing(self, parsed: list[tuple[int, dict[str, Any]]]) -> dict[tuple, SubsidyClaim]:
        years = {v["year"] for _n, v in parsed}
        claims = SubsidyClaim.objects.filter(year__in=years).exclude(status=S.REJECTED)
        found: dict[tuple, SubsidyClaim] = {}
        for claim in claims:
            claimant = (
                ("incubator", claim.incubator_id)
                if claim.incubator_id
                else ("enterprise", claim.enterprise_id)
            )
            found[(*claimant, claim.programme, claim.year)] = claim
        # A rejected ledger claim is matched too, so that it is not imported twice.
        for claim in SubsidyClaim.objects.filter(
            year__in=years, status=S.REJECTED, source=SubsidyClaim.Source.LEDGER
        ):
            claimant = (
                ("incubator", claim.incubator_id)
                if claim.incubator_id
                else ("enterprise", claim.enterprise_id)
            )
            found.setdefault((*claimant, claim.programme, claim.year), claim)
        return found

    def _write(
        self,
        parsed: list[tuple[int, dict[str, Any]]],
        existing: dict[tuple, SubsidyClaim],
        policies: dict[tuple, int],
        acting_user: Any,
    ) -> list[writers.RowKind]:
        kinds: list[writers.RowKind] = []
        kind: writers.RowKind
        for _number, values in parsed:
            claim = existing.get(self._key(values))
            if claim is None:
                claim = SubsidyClaim(
                    programme=values["programme"],
                    year=values["year"],
                    enterprise_id=values["enterprise"],
                    incubator_id=values["incubator"],
                    policy_id=policies.get((values["programme"], values["year"])),
                    source=SubsidyClaim.Source.LEDGER,
                )
                kind = writers.NEW
            elif all(getattr(claim, name) == values[name] for name in LEDGER_FIELDS):
                kinds.append(writers.SKIP)
                continue
            else:
                kind = writers.UPDATE
            for name in LEDGER_FIELDS:
                setattr(claim, name, values[name])
            save_with_audit(claim, acting_user=acting_user, reason=self.change_reason)
            kinds.append(kind)
        return kinds
