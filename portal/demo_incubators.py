"""Demo carriers for `manage.py seed_demo`: a dozen carriers of every kind and level, their
recognition histories, tenants from the demo registry, activities and one competition.

Fixed random seed, dates placed relative to today; idempotent: carriers are matched on their
name and a carrier that already exists keeps its data. Every write goes through the
incubators services, as the demo bureau admin.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from enterprises.models import Enterprise, Street
from incubators import services
from incubators.models import (
    ActivityKind,
    CompetitionEntry,
    Incubator,
    IncubatorKind,
    Level,
    Tenancy,
)
from portal.accounts.models import User

SEED = 500105_3
OPERATOR_USERNAME = "carrier"
# The operator login runs this carrier: a municipal incubator working towards national level.
OPERATOR_CARRIER = "江北嘴科技企业孵化器"


@dataclass(frozen=True)
class PlannedCarrier:
    name: str
    kind: str
    levels: tuple[int, ...]  # recognition levels in order, each a few years after the last
    street: str
    address: str
    area: int
    tenants: int
    workstations: int | None = None
    sites: tuple[tuple[str, int], ...] = ()


CARRIERS: tuple[PlannedCarrier, ...] = (
    PlannedCarrier(
        OPERATOR_CARRIER, IncubatorKind.INCUBATOR, (Level.DISTRICT, Level.MUNICIPAL),
        "江北城街道", "江北城西大街 25 号", 12800, 34, sites=(("主楼", 4000), ("扩展场地", 8800)),
    ),
    PlannedCarrier(
        "观音桥数字经济产业园", IncubatorKind.INDUSTRIAL_PARK,
        (Level.DISTRICT, Level.MUNICIPAL, Level.NATIONAL),
        "观音桥街道", "建新北路 66 号", 56000, 40,
    ),
    PlannedCarrier(
        "鱼复智能制造加速器", IncubatorKind.ACCELERATOR, (Level.DISTRICT, Level.MUNICIPAL),
        "鱼嘴镇", "鱼复工业园区双溪路 8 号", 21000, 18,
    ),
    PlannedCarrier(
        "北滨路众创空间", IncubatorKind.MAKER_SPACE,
        (Level.DISTRICT, Level.MUNICIPAL, Level.NATIONAL),
        "华新街街道", "北滨一路 368 号", 1600, 22, workstations=120,
    ),
    PlannedCarrier(
        "五里店青年创业孵化器", IncubatorKind.INCUBATOR, (Level.DISTRICT,),
        "五里店街道", "五红路 12 号", 5200, 12,
    ),
    PlannedCarrier(
        "寸滩保税港科创园", IncubatorKind.INDUSTRIAL_PARK, (Level.DISTRICT, Level.MUNICIPAL),
        "寸滩街道", "保税港大道 1 号", 38000, 20,
    ),
    PlannedCarrier(
        "石马河生物医药孵化器", IncubatorKind.INCUBATOR, (Level.MUNICIPAL, Level.NATIONAL),
        "石马河街道", "南桥寺路 9 号", 15500, 28,
    ),
    PlannedCarrier(
        "大石坝工业设计众创空间", IncubatorKind.MAKER_SPACE, (Level.DISTRICT,),
        "大石坝街道", "石门路 3 号", 720, 9, workstations=48,
    ),
    PlannedCarrier(
        "郭家沱新材料加速器", IncubatorKind.ACCELERATOR, (Level.DISTRICT,),
        "郭家沱街道", "望江路 18 号", 9000, 8,
    ),
    PlannedCarrier(
        "铁山坪绿色低碳众创空间", IncubatorKind.MAKER_SPACE, (Level.MUNICIPAL,),
        "铁山坪街道", "铁山坪路 6 号", 560, 7, workstations=36,
    ),
    PlannedCarrier(
        "复盛港城产业园", IncubatorKind.INDUSTRIAL_PARK, (Level.DISTRICT,),
        "复盛镇", "港城工业园区盛和路 2 号", 30000, 10,
    ),
    PlannedCarrier(
        "江北高校双创孵化基地", IncubatorKind.INCUBATOR, (),  # applying: not yet recognised
        "观音桥街道", "洋河东路 10 号", 3000, 6,
    ),
)  # fmt: skip

ACTIVITY_TITLES: dict[str, tuple[str, ...]] = {
    ActivityKind.TRAINING: ("创业导师训练营", "高企申报政策培训", "知识产权实务培训"),
    ActivityKind.ROADSHOW: ("项目投融资路演", "科技金融对接路演"),
    ActivityKind.EXCHANGE: ("创业沙龙", "产学研对接交流会"),
    ActivityKind.SCIENCE_POPULARISATION: ("科技活动周开放日", "青少年科普体验日"),
    ActivityKind.OTHER: ("企业服务日",),
}


def _years_ago(today: dt.date, years: int, rng: random.Random) -> dt.date:
    day = today - dt.timedelta(days=int(365.25 * years) + rng.randint(0, 120))
    return min(day, today)


@transaction.atomic
def seed(*, admin: User, today: dt.date) -> int:
    """Create the demo carriers that are missing; return how many were created.

    Side effects: creates carriers, sites, recognitions, tenancies (with move-outs and
    graduations), activities and a competition with entrants through the incubators
    services, as `admin`; links the `carrier` login to its carrier when it has none.
    """
    rng = random.Random(SEED)
    existing = set(Incubator.objects.values_list("name", flat=True))
    streets = {street.name: street for street in Street.objects.all()}
    firms = list(Enterprise.objects.filter(status=Enterprise.Status.ACTIVE).order_by("uscc"))
    created = 0
    for index, plan in enumerate(CARRIERS):
        # Draw from the generator for every carrier, so each carrier's data stays the same
        # whichever of them already exist.
        carrier_rng = random.Random(rng.random())
        if plan.name in existing or not firms:
            continue
        _create_carrier(plan, index, carrier_rng, admin=admin, today=today, firms=firms,
                        streets=streets)  # fmt: skip
        created += 1
    if created:
        _bureau_competition(rng=random.Random(SEED + 1), admin=admin, today=today, firms=firms)
    _link_operator(admin=admin)
    return created


def _create_carrier(
    plan: PlannedCarrier,
    index: int,
    rng: random.Random,
    *,
    admin: User,
    today: dt.date,
    firms: list[Enterprise],
    streets: dict[str, Street],
) -> Incubator:
    operator = firms[(index * 17) % len(firms)]
    incubator = services.incubator_create(
        acting_user=admin,
        name=plan.name,
        kind=plan.kind,
        operator=operator,
        area=Decimal(plan.area),
        # Operating since before its first recognition and its first tenant.
        opened_on=today - dt.timedelta(days=366 * (max(4, 3 * len(plan.levels)) + 1)),
        street=streets.get(plan.street),
        address=plan.address,
        workstations=plan.workstations,
    )
    for site_name, area in plan.sites:
        site = incubator.sites.model(incubator=incubator, name=site_name, area=Decimal(area))
        services.site_save(site=site, acting_user=admin)
    for step, level in enumerate(plan.levels):
        years = 3 * (len(plan.levels) - step) - 1
        services.recognition_add(
            incubator=incubator,
            level=level,
            recognized_on=_years_ago(today, years, rng),
            document_number=f"江北科发〔{today.year - years}〕{rng.randint(10, 99)} 号",
            acting_user=admin,
        )
    # A firm is a tenant of one carrier at a time: each demo firm of one carrier only.
    taken = set(Tenancy.objects.values_list("enterprise_id", flat=True))
    free = [firm for firm in firms if firm.pk not in taken]
    tenants = rng.sample(free, min(plan.tenants, len(free)))
    sites = list(incubator.sites.all())
    for tenant in tenants:
        moved_in = today - dt.timedelta(days=rng.randint(20, 4 * 365))
        site = rng.choice(sites) if sites else None
        # Small enough that all tenants together fit in the carrier, and in any one site.
        share = site.area if site else plan.area
        limit = min(plan.area // max(plan.tenants, 1), share // max(plan.tenants, 1))
        area = Decimal(rng.randint(max(10, int(limit) // 4), max(12, int(limit))))
        tenancy = services.tenancy_add(
            incubator=incubator,
            enterprise=tenant,
            moved_in_on=moved_in,
            area=area,
            site=site,
            acting_user=admin,
        )
        roll = rng.random()
        if roll < 0.25 and (today - moved_in).days > 400:
            moved_out = moved_in + dt.timedelta(days=rng.randint(300, (today - moved_in).days))
            services.tenancy_move_out(
                tenancy=tenancy,
                moved_out_on=min(moved_out, today),
                graduated=roll < 0.17,
                acting_user=admin,
            )
    kinds = list(ACTIVITY_TITLES)
    for _ in range(rng.randint(6, 18)):
        kind = rng.choice(kinds)
        services.activity_record(
            organiser=incubator,
            kind=kind,
            title=rng.choice(ACTIVITY_TITLES[kind]),
            held_on=today - dt.timedelta(days=rng.randint(0, 540)),
            participants=rng.randint(15, 200),
            acting_user=admin,
        )
    return incubator


def _bureau_competition(
    *, rng: random.Random, admin: User, today: dt.date, firms: list[Enterprise]
) -> None:
    """The district's innovation and entrepreneurship competition, organised by the bureau."""
    competition = services.activity_record(
        organiser=None,
        kind=ActivityKind.COMPETITION,
        title=f"{today.year} 年江北区创新创业大赛",
        held_on=today - dt.timedelta(days=rng.randint(30, 200)),
        participants=320,
        description="初赛、复赛、决赛三轮，设一、二、三等奖。",
        acting_user=admin,
    )
    awards = ["一等奖", "二等奖", "二等奖", "三等奖", "三等奖", "三等奖"]
    for position, firm in enumerate(rng.sample(firms, min(24, len(firms)))):
        finalist = position < 10
        award = awards[position] if position < len(awards) else ""
        rank = {"一等奖": 1, "二等奖": 2, "三等奖": 3}.get(award)
        entry = CompetitionEntry(
            activity=competition, enterprise=firm, finalist=finalist, award=award, rank=rank
        )
        services.competition_entry_save(entry=entry, acting_user=admin)


def _link_operator(*, admin: User) -> None:
    """Give the demo operator login its carrier (created as a bureau-less user before)."""
    user = User.objects.filter(username=OPERATOR_USERNAME, organisation_kind="").first()
    carrier = Incubator.objects.filter(name=OPERATOR_CARRIER).first()
    if user is None or carrier is None:
        return
    user.organisation_kind = User.OrganisationKind.INCUBATOR
    user.incubator = carrier
    user.link_status = User.LinkStatus.APPROVED
    user.link_decided_by = admin
    user._history_user = admin  # type: ignore[attr-defined]
    user._change_reason = "demo data"  # type: ignore[attr-defined]
    user.save()
