"""Official lists of carriers and their tenants (DESIGN §5), on the shared ledger framework.

`IncubatorResource`: one row per recognition. A carrier that appears again with another
level and date gains a recognition (its history), not a second carrier; its own fields
(kind, operator, street, address, area) are taken from its most recently recognised row,
which is what the carrier is today. Export writes the same rows back.

`TenancyResource`: one row per tenancy, matched on carrier, enterprise and move-in date.

Both refuse a file whole, with "第 N 行「列」：…" messages, for the rules the services keep:
a recognition dated in the future, a level going backwards without a revocation, a move-out
before the move-in, a graduate without a move-out, a rented area above the carrier's, a
move-in before the carrier existed, residents renting more than the carrier's area together
on some day, and tenancies of one enterprise that overlap, in one carrier or in two (a firm
is resident in one carrier at a time), in the file or with the database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from common.importing import messages as msg
from common.importing import writers
from common.importing.columns import (
    Boolean,
    CellError,
    Choice,
    Column,
    Date,
    Parser,
    Reference,
    Text,
)
from common.importing.readers import Table
from common.importing.resources import (
    ImportOutcome,
    LedgerResource,
    ProgressCallback,
)
from common.lib import money
from enterprises.models import Street
from enterprises.resources import EnterpriseReference
from incubators.models import (
    Incubator,
    IncubatorKind,
    Level,
    Recognition,
    Tenancy,
    level_backwards_errors,
    peak_in_steps,
    rented_area_steps,
)

KIND_LABELS = {
    "众创空间": IncubatorKind.MAKER_SPACE,
    "孵化器": IncubatorKind.INCUBATOR,
    "加速器": IncubatorKind.ACCELERATOR,
    "产业园": IncubatorKind.INDUSTRIAL_PARK,
}
LEVEL_LABELS = {"区级": Level.DISTRICT, "市级": Level.MUNICIPAL, "国家级": Level.NATIONAL}
LEVEL_NAMES = {value: label for label, value in LEVEL_LABELS.items()}

# Messages of these lists, in Chinese like the framework's (common.importing.messages).
AREA = "面积格式错误，应为以平方米为单位的正数，最多 2 位小数"
AREA_TOO_LARGE = "面积过大"
AREA_ABOVE_CARRIER = "租用面积超过载体面积（{area} 平方米）"
CARRIER_BELOW_TENANT = "载体面积小于其在孵企业的租用面积（{area} 平方米）"
MOVED_OUT_BEFORE = "迁出日期不能早于入驻日期"
GRADUATE_NEEDS_MOVE_OUT = "毕业企业须填写迁出日期"
OVERLAP_ROW = "与第 {other} 行同一企业在同一载体的入驻期重叠"
OVERLAP_DB = "与已登记的 {start} 至 {end} 入驻记录重叠"
ONE_CARRIER = "（同一企业同一时间只在一个载体入驻）"
RESIDENT_ELSEWHERE_DB = "该企业 {start} 至 {end} 在「{carrier}」入驻，与此入驻期重叠" + ONE_CARRIER
RESIDENT_ELSEWHERE_ROW = "与第 {other} 行重叠：该企业同期在「{carrier}」入驻" + ONE_CARRIER
MOVED_IN_BEFORE_CARRIER = "入驻日期早于载体存在之日（{date}）"
OCCUPANCY = "{date} 该载体在孵企业租用面积合计 {total} 平方米，超过载体面积（{area} 平方米）"
LEVEL_BACKWARDS = "该载体在此日期仍持有 {date} 认定的{level}，未登记撤销前级别不能降低"
NOW = "今"

IMPORT_REASON = "imported from official list"


class Area(Parser):
    """An area in square metres: a positive number with up to two decimals, read exactly."""

    limit = Decimal(10) ** 10

    def parse(self, raw: Any) -> Decimal:
        if isinstance(raw, bool):
            raise CellError(AREA)
        text = repr(raw) if isinstance(raw, float) else str(raw).strip().replace(",", "")
        try:
            value = Decimal(text) if isinstance(raw, float) else money.decimal_from_text(text)
        except (InvalidOperation, money.AmountError):
            raise CellError(AREA) from None
        if not value.is_finite() or value <= 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
            raise CellError(AREA)
        if value >= self.limit:
            raise CellError(AREA_TOO_LARGE)
        return value.quantize(Decimal("0.01"))

    def render(self, value: Any) -> str:
        if value is None:
            return ""
        normal = Decimal(value).normalize()
        return f"{normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal:f}"


class CarrierReference(Reference):
    def __init__(self) -> None:
        super().__init__(Incubator, "name")


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else NOW


class IncubatorResource(LedgerResource):
    """载体名单: one row per recognition; see the module docstring."""

    LEVEL = "认定级别"
    RECOGNIZED_ON = "认定日期"
    columns = (
        Column("载体名称", "name", Text(), export_path="incubator__name"),
        Column("载体类型", "kind", Choice(KIND_LABELS), export_path="incubator__kind"),
        Column(LEVEL, None, Choice(LEVEL_LABELS), export_path="level", required=True),
        Column(RECOGNIZED_ON, None, Date(), export_path="recognized_on", required=True),
        Column(
            "运营主体统一社会信用代码",
            "operator",
            EnterpriseReference(),
            export_path="incubator__operator__uscc",
        ),
        Column(
            "所属街道",
            "street",
            Reference(Street, "name"),
            export_path="incubator__street__name",
        ),
        Column("地址", "address", Text(), export_path="incubator__address"),
        Column("面积(平方米)", "area", Area(), export_path="incubator__area"),
    )
    natural_key = ("name",)
    change_reason = IMPORT_REASON

    class Meta:
        model = Incubator
        fields: tuple[str, ...] = ()

    def get_queryset(self) -> QuerySet:
        return Recognition.objects.order_by("incubator__name", "recognized_on", "level")

    def export(self, queryset: Any = None, **kwargs: Any) -> Any:
        """One row per recognition of the carriers given (the admin passes carriers)."""
        if queryset is not None and queryset.model is Incubator:
            queryset = self.get_queryset().filter(incubator__in=queryset)
        return super().export(queryset, **kwargs)

    def import_table(
        self,
        table: Table,
        *,
        dry_run: bool = False,
        acting_user: Any = None,
        progress: ProgressCallback | None = None,
        collect_rows: bool = False,
    ) -> ImportOutcome:
        """Validate the whole list, then write carriers and recognitions, all or nothing.

        Side effects: unless refused or `dry_run`, creates or updates carriers (matched on
        name) and creates the recognitions they lack, each with a history row by
        `acting_user`. A recognition already recorded (same carrier, level and date) is
        left as it is, so a second import of the same list changes nothing.
        """
        outcome = ImportOutcome(total_rows=len(table.rows), dry_run=dry_run)
        _columns, parsed = self._validate(table, outcome, progress)
        if outcome.refused:
            return outcome
        existing = {
            incubator.name: incubator
            for incubator in Incubator.objects.filter(name__in={v["name"] for _n, v in parsed})
        }
        self._check_recognitions(parsed, existing, outcome)
        self._check_areas(parsed, existing, outcome)
        if outcome.refused:
            return outcome
        try:
            with transaction.atomic():
                kinds = self._write(parsed, acting_user=acting_user)
                if dry_run:
                    transaction.set_rollback(True)
        except DatabaseError as exc:
            outcome.add_error(None, None, f"数据库拒绝了这些数据：{exc}")
            return outcome
        outcome.new = kinds.count(writers.NEW)
        outcome.updated = kinds.count(writers.UPDATE)
        outcome.skipped = kinds.count(writers.SKIP)
        if collect_rows:
            outcome.row_kinds = kinds
        if progress:
            progress(len(table.rows))
        return outcome

    def _check_keys(self, parsed: list, columns: Any, outcome: ImportOutcome) -> None:
        seen: dict[tuple, int] = {}
        for number, values in parsed:
            key = (values["name"], values[self.LEVEL], values[self.RECOGNIZED_ON])
            first = seen.setdefault(key, number)
            if first != number:
                outcome.add_error(number, self.RECOGNIZED_ON, msg.DUPLICATE.format(other=first))

    def _check_recognitions(
        self, parsed: list, existing: dict[str, Incubator], outcome: ImportOutcome
    ) -> None:
        """No recognition in the future; no level going backwards without a revocation."""
        for number, values in parsed:
            if values[self.RECOGNIZED_ON] > self.today:
                outcome.add_error(number, self.RECOGNIZED_ON, msg.FUTURE_DATE)
        recorded: dict[int, list[tuple[int, dt.date, dt.date | None]]] = defaultdict(list)
        for incubator_id, level, day, revoked in Recognition.objects.filter(
            incubator__in=list(existing.values())
        ).values_list("incubator_id", "level", "recognized_on", "revoked_on"):
            recorded[incubator_id].append((level, day, revoked))
        in_file: dict[str, list[tuple[int, int, dt.date]]] = defaultdict(list)
        for number, values in parsed:
            in_file[values["name"]].append((number, values[self.LEVEL], values[self.RECOGNIZED_ON]))
        for name, file_rows in in_file.items():
            carrier = existing.get(name)
            # a row the database already holds keeps its recorded revocation
            db_rows = {(r[0], r[1]): r[2] for r in recorded.get(carrier.pk, [])} if carrier else {}
            rows: list[tuple[int | None, tuple[int, dt.date, dt.date | None]]] = [
                (number, (level, day, db_rows.get((level, day))))
                for number, level, day in file_rows
            ]
            keys = {(level, day) for _number, level, day in file_rows}
            rows += [(None, (*key, revoked)) for key, revoked in db_rows.items() if key not in keys]
            history = [row for _number, row in rows]
            reported: set[int] = set()
            for lower, higher in level_backwards_errors(history):
                number = rows[lower][0] if rows[lower][0] is not None else rows[higher][0]
                if number is None or number in reported:
                    continue
                reported.add(number)
                level, day, _revoked = history[higher]
                outcome.add_error(
                    number,
                    self.LEVEL,
                    LEVEL_BACKWARDS.format(date=day.isoformat(), level=LEVEL_NAMES[level]),
                )

    def _check_areas(
        self, parsed: list, existing: dict[str, Incubator], outcome: ImportOutcome
    ) -> None:
        """A carrier's area may not fall below what one of its tenants rents."""
        largest = dict(
            Tenancy.objects.filter(incubator__in=list(existing.values()))
            .values("incubator__name")
            .order_by()
            .annotate(largest=Max("area"))
            .values_list("incubator__name", "largest")
        )
        for number, values in parsed:
            rented = largest.get(values["name"])
            if rented is not None and values["area"] < rented:
                outcome.add_error(
                    number, "面积(平方米)", CARRIER_BELOW_TENANT.format(area=Area().render(rented))
                )

    def _write(self, parsed: list, *, acting_user: Any) -> list[writers.RowKind]:
        carrier_fields = ("name", "kind", "operator_id", "street_id", "address", "area")
        latest: dict[str, tuple[dt.date, dict[str, Any]]] = {}
        for _number, values in parsed:
            day = values[self.RECOGNIZED_ON]
            if values["name"] not in latest or day >= latest[values["name"]][0]:
                row = {
                    "name": values["name"],
                    "kind": values["kind"],
                    "operator_id": values["operator"],
                    "street_id": values["street"],
                    "address": values["address"],
                    "area": values["area"],
                }
                latest[values["name"]] = (day, row)
        written = writers.write_rows(
            model=Incubator,
            rows=[row for _day, row in latest.values()],
            columns=carrier_fields,
            key=["name"],
            acting_user_id=getattr(acting_user, "pk", None),
            reason=self.change_reason,
            now=timezone.now(),
        )
        ids = dict(Incubator.objects.filter(name__in=list(latest)).values_list("name", "pk"))
        known = set(
            Recognition.objects.filter(incubator_id__in=ids.values()).values_list(
                "incubator_id", "level", "recognized_on"
            )
        )
        new: list[Recognition] = []
        kinds: list[writers.RowKind] = []
        for _number, values in parsed:
            key = (ids[values["name"]], values[self.LEVEL], values[self.RECOGNIZED_ON])
            if key in known:
                kinds.append(writers.UPDATE if (values["name"],) in written else writers.SKIP)
                continue
            known.add(key)
            new.append(Recognition(incubator_id=key[0], level=key[1], recognized_on=key[2]))
            kinds.append(writers.NEW)
        user = acting_user if getattr(acting_user, "pk", None) else None
        bulk_create_with_history(
            new, Recognition, default_user=user, default_change_reason=self.change_reason
        )
        return kinds


class TenancyResource(LedgerResource):
    """在孵企业名单: one row per tenancy, matched on carrier, enterprise and move-in date."""

    AREA_HEADER = "租用面积(平方米)"
    columns = (
        Column("载体名称", "incubator", CarrierReference()),
        Column("统一社会信用代码", "enterprise", EnterpriseReference()),
        Column("企业名称", None, Text(max_length=200), export_path="enterprise__name"),
        Column("入驻日期", "moved_in_on", Date()),
        Column("迁出日期", "moved_out_on", Date()),
        Column(AREA_HEADER, "area", Area()),
        Column("是否毕业", "graduated", Boolean()),
    )
    natural_key = ("incubator", "enterprise", "moved_in_on")
    change_reason = IMPORT_REASON

    class Meta:
        model = Tenancy
        fields: tuple[str, ...] = ()

    def get_queryset(self) -> QuerySet:
        return Tenancy.objects.order_by("incubator__name", "moved_in_on", "pk")

    def clean_row(self, values: dict[str, Any]) -> dict[str, str]:
        moved_in_on, moved_out_on = values["moved_in_on"], values["moved_out_on"]
        if moved_out_on and moved_out_on < moved_in_on:
            return {"moved_out_on": MOVED_OUT_BEFORE}
        if values["graduated"] and not moved_out_on:
            return {"moved_out_on": GRADUATE_NEEDS_MOVE_OUT}
        return {}

    def _resolve_references(self, parsed: list, columns: Any, outcome: ImportOutcome) -> None:
        super()._resolve_references(parsed, columns, outcome)
        # Rules across rows and with the database, once carriers and firms are known.
        rows = [(n, v) for n, v in parsed if v["incubator"] and v["enterprise"]]
        carriers = {
            carrier.pk: carrier
            for carrier in Incubator.objects.filter(
                pk__in={v["incubator"] for _n, v in rows}
            ).select_related("operator")
        }
        for number, values in rows:
            carrier = carriers[values["incubator"]]
            if values["area"] > carrier.area:
                outcome.add_error(
                    number,
                    self.AREA_HEADER,
                    AREA_ABOVE_CARRIER.format(area=Area().render(carrier.area)),
                )
            existed = carrier.existed_since
            if existed is not None and values["moved_in_on"] < existed:
                outcome.add_error(
                    number, "入驻日期", MOVED_IN_BEFORE_CARRIER.format(date=existed.isoformat())
                )
        file_keys = {(v["incubator"], v["enterprise"], v["moved_in_on"]) for _n, v in rows}
        self._check_overlaps(rows, file_keys, outcome)
        self._check_occupancy(rows, file_keys, carriers, outcome)

    def _check_overlaps(self, rows: list, file_keys: set[tuple], outcome: ImportOutcome) -> None:
        """A firm is resident in one carrier at a time (Tenancy.clean), in the file and with
        the database; a recorded tenancy this file updates (same key) is replaced by its row."""
        by_firm: dict[int, list[tuple[int | None, int, dt.date, dt.date | None]]] = defaultdict(
            list
        )
        for number, values in rows:
            by_firm[values["enterprise"]].append(
                (number, values["incubator"], values["moved_in_on"], values["moved_out_on"])
            )
        recorded = Tenancy.objects.filter(enterprise_id__in=list(by_firm)).values_list(
            "incubator_id", "enterprise_id", "moved_in_on", "moved_out_on"
        )
        for incubator_id, enterprise_id, moved_in_on, moved_out_on in recorded:
            if (incubator_id, enterprise_id, moved_in_on) not in file_keys:
                by_firm[enterprise_id].append((None, incubator_id, moved_in_on, moved_out_on))
        names = dict(
            Incubator.objects.filter(
                pk__in={span[1] for spans in by_firm.values() for span in spans}
            ).values_list("pk", "name")
        )
        for spans in by_firm.values():
            spans.sort(key=lambda span: span[2])
            for i, (number, carrier, start, end) in enumerate(spans):
                for other, other_carrier, other_start, other_end in spans[i + 1 :]:
                    if end is not None and other_start >= end:
                        break
                    if number is None and other is None:
                        continue
                    same = carrier == other_carrier
                    if other is None:
                        message = (
                            OVERLAP_DB.format(start=other_start, end=_day(other_end))
                            if same
                            else RESIDENT_ELSEWHERE_DB.format(
                                carrier=names[other_carrier],
                                start=other_start,
                                end=_day(other_end),
                            )
                        )
                        outcome.add_error(number, "入驻日期", message)
                    elif number is None:
                        message = (
                            OVERLAP_DB.format(start=start, end=_day(end))
                            if same
                            else RESIDENT_ELSEWHERE_DB.format(
                                carrier=names[carrier], start=start, end=_day(end)
                            )
                        )
                        outcome.add_error(other, "入驻日期", message)
                    elif same:
                        outcome.add_error(other, "入驻日期", OVERLAP_ROW.format(other=number))
                    else:
                        outcome.add_error(
                            other,
                            "入驻日期",
                            RESIDENT_ELSEWHERE_ROW.format(other=number, carrier=names[carrier]),
                        )

    def _check_occupancy(
        self,
        rows: list,
        file_keys: set[tuple],
        carriers: dict[int, Incubator],
        outcome: ImportOutcome,
    ) -> None:
        """On no day do a carrier's residents rent more than its area (Tenancy.clean)."""
        spans: dict[int, list[tuple[Decimal, dt.date, dt.date | None]]] = defaultdict(list)
        for _number, values in rows:
            spans[values["incubator"]].append(
                (values["area"], values["moved_in_on"], values["moved_out_on"])
            )
        recorded = Tenancy.objects.filter(incubator_id__in=list(spans)).values_list(
            "incubator_id", "enterprise_id", "moved_in_on", "moved_out_on", "area"
        )
        for incubator_id, enterprise_id, moved_in_on, moved_out_on, area in recorded:
            if (incubator_id, enterprise_id, moved_in_on) not in file_keys:
                spans[incubator_id].append((area, moved_in_on, moved_out_on))
        steps = {pk: rented_area_steps(carrier_spans) for pk, carrier_spans in spans.items()}
        for number, values in rows:
            carrier = carriers[values["incubator"]]
            total, day = peak_in_steps(
                steps[carrier.pk], values["moved_in_on"], values["moved_out_on"]
            )
            if total > carrier.area:
                outcome.add_error(
                    number,
                    self.AREA_HEADER,
                    OCCUPANCY.format(
                        date=day.isoformat(),
                        total=Area().render(total),
                        area=Area().render(carrier.area),
                    ),
                )
