"""Demo data for `manage.py seed_demo`: a believable Jiangbei registry and one login per role.

Everything is generated from a fixed random seed, so two machines get the same firms, codes
and names. Dates of registrations and certificates are placed relative to today, so that the
demo always shows certificates that expire within 90 days, expired ones and renewals.

Idempotent: enterprises are matched on their code and users on their username. A firm that
already exists keeps its data; only missing firms are created, with their registrations,
certificates and figures. Existing users keep their password; missing role groups are added.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from common.lib import uscc as uscc_lib
from common.lib.dates import add_years
from enterprises import services as enterprise_services
from enterprises.models import (
    AnnualFigures,
    Enterprise,
    HighTechCertificate,
    Industry,
    Listing,
    Street,
    TechFirmRegistration,
)
from portal import demo_incubators, demo_loans, demo_service, demo_statistics, demo_subsidies
from portal.accounts.models import User
from portal.accounts.roles import Role

DEMO_PASSWORD = "Kjj-demo-2026!"
ENTERPRISE_COUNT = 200
FIGURE_YEARS = (2023, 2024, 2025)
# Fixed seed: the district's administrative code (500105), so every run plans the same firms.
SEED = 500105
DISTRICT_CODE = "500105"  # 重庆市江北区
CERTIFICATE_REGION = "50"  # 重庆
CHANGE_REASON = "demo data"


# --- Logins ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    where: str  # what the login is for, in Chinese, printed by the command
    last_name: str
    first_name: str
    is_staff: bool = False
    is_superuser: bool = False
    enterprise: bool = False


LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(
        "admin", Role.BUREAU_ADMIN, "后台 /admin/，全部权限（超级用户）", "王", "建国", True, True
    ),
    DemoLogin(
        "staff",
        Role.BUREAU_STAFF,
        "后台 /admin/：企业库维护、导入；企业服务台 /service-desk/",
        "李",
        "晓梅",
        True,
    ),
    DemoLogin(
        "sectionhead",
        Role.SECTION_HEAD,
        "后台 /admin/：查看补贴申请，经办人签批后作第二级签批",
        "陈",
        "立",
        True,
    ),
    DemoLogin(
        "deputy",
        Role.DEPUTY_DIRECTOR,
        "后台 /admin/：查看补贴申请，科长签批后作第三级（最终）签批",
        "黄",
        "海",
        True,
    ),
    DemoLogin(
        "finance",
        Role.FINANCE,
        "后台 /admin/：查看企业库、拨付代偿款、补贴拨付批次",
        "陈",
        "静",
        True,
    ),
    DemoLogin("bank", Role.BANK_OFFICER, "银行工作台 /loans/bank/：农商行江北支行", "刘", "洋"),
    DemoLogin(
        "auditor", Role.AUDITOR, "审计工作台 /subsidies/audits/：本所受托的研发投入审计", "赵", "敏"
    ),
    DemoLogin(
        "carrier", Role.CARRIER_OPERATOR, "载体工作台 /carrier/：在孵企业、活动、指标", "孙", "磊"
    ),
    DemoLogin(
        "enterprise",
        Role.ENTERPRISE_USER,
        "企业端 /enterprise/：我的企业、诉求、项目推荐；/loans/：信用贷款；"
        "/subsidies/claims/：补贴申请",
        "周",
        "婷",
        enterprise=True,
    ),
)


# --- Word lists ----------------------------------------------------------------------------

# Street -> (weight, roads). Weights follow where firms cluster: the Guanyinqiao business
# district, the Jiangbeizui financial centre and the Yufu industrial park in Yuzui.
STREET_PLAN: dict[str, tuple[int, tuple[str, ...]]] = {
    "观音桥街道": (34, ("建新北路", "建新南路", "北城天街", "洋河东路", "东环路")),
    "华新街街道": (14, ("华新街", "北滨一路", "建新西路", "兴隆巷")),
    "五里店街道": (14, ("五红路", "港安二路", "建新东路", "五简路")),
    "江北城街道": (22, ("江北城西大街", "聚贤街", "金融街", "东升门路")),
    "石马河街道": (14, ("石马河路", "南桥寺路", "盘溪路", "玉带山路")),
    "大石坝街道": (14, ("大石坝东路", "石门路", "红石路", "嘉陵三村")),
    "寸滩街道": (16, ("港城东路", "海尔路", "寸滩港路", "保税港大道")),
    "铁山坪街道": (5, ("铁山坪路", "港城南路")),
    "郭家沱街道": (8, ("郭家沱正街", "望江路", "港城西路")),
    "鱼嘴镇": (30, ("鱼复工业园区", "双溪路", "鱼嘴正街", "东风路")),
    "复盛镇": (8, ("复盛正街", "港城工业园区", "盛和路")),
    "五宝镇": (4, ("五宝正街", "桃源路")),
}

NAME_FIRST = "渝瑞博智华中恒思云鼎信拓锐宏泰盛康天宇卓明德睿汇嘉凌昊驰峰腾新联迈凯晨"
NAME_SECOND = "科达远创联通源航微芯光立诚安捷达洋途维泽迅铭星翔合鑫聚力谷数成谱"

INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    Industry.INFORMATION_TECHNOLOGY: (
        "信息技术",
        "软件",
        "网络科技",
        "数据科技",
        "数字科技",
        "智能科技",
    ),
    Industry.BIOMEDICINE: ("生物科技", "医药科技", "生物医药", "医疗器械", "基因科技"),
    Industry.SMART_MANUFACTURING: ("智能装备", "机电科技", "精密机械", "自动化设备", "智能制造"),
    Industry.ENERGY_SAVING: ("环保科技", "节能科技", "环境工程", "水务科技"),
    Industry.NEW_MATERIALS: ("新材料", "复合材料", "高分子材料", "新型建材"),
    Industry.NEW_ENERGY: ("新能源科技", "储能科技", "光伏科技", "氢能科技", "电池科技"),
    Industry.MODERN_SERVICES: ("检测技术", "科技咨询", "知识产权服务", "供应链科技", "文化科技"),
    Industry.OTHER: ("科技", "实业", "科技发展"),
}
INDUSTRY_WEIGHTS: dict[str, int] = {
    Industry.INFORMATION_TECHNOLOGY: 30,
    Industry.BIOMEDICINE: 12,
    Industry.SMART_MANUFACTURING: 20,
    Industry.ENERGY_SAVING: 8,
    Industry.NEW_MATERIALS: 8,
    Industry.NEW_ENERGY: 7,
    Industry.MODERN_SERVICES: 12,
    Industry.OTHER: 3,
}
# Firms in these streets lean to manufacturing, new materials and new energy.
INDUSTRIAL_STREETS = {"鱼嘴镇", "复盛镇", "郭家沱街道", "五宝镇", "寸滩街道"}
INDUSTRIAL = (
    Industry.SMART_MANUFACTURING,
    Industry.NEW_MATERIALS,
    Industry.NEW_ENERGY,
    Industry.ENERGY_SAVING,
)

LISTINGS: tuple[tuple[str, int], ...] = (
    (Listing.NEEQ, 7),
    (Listing.BSE, 1),
    (Listing.MAIN_BOARD, 2),
    (Listing.STAR, 2),
    (Listing.CHINEXT, 1),
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林谭冉向彭邓蒋唐袁"
GIVEN_NAMES = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "建华",
    "志强",
    "海燕",
    "小红",
    "国庆",
    "晓东",
    "俊杰",
    "雪梅",
    "文斌",
    "红霞",
    "德明",
    "永刚",
    "丽娟",
    "春燕",
)

# The one firm the demo enterprise login acts for: a registered, high-tech IT firm.
DEMO_FIRM_NAME = "重庆渝智联数据科技有限公司"


# --- The plan ------------------------------------------------------------------------------


@dataclass
class PlannedCertificate:
    number: str
    issued_on: dt.date
    kind: str


@dataclass
class PlannedFirm:
    uscc: str
    name: str
    street: str
    industry: str
    listing: str
    legal_representative: str
    founded_on: dt.date
    registered_capital: Decimal
    employees: int
    rd_staff: int
    contact_person: str
    contact_phone: str
    contact_email: str
    address: str
    bank_name: str
    bank_account: str
    registration: tuple[str, dt.date, dt.date | None] | None = None
    certificates: list[PlannedCertificate] = field(default_factory=list)
    figures: dict[int, dict[str, Any]] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        return {
            "legal_representative": self.legal_representative,
            "industry": self.industry,
            "founded_on": self.founded_on,
            "registered_capital": self.registered_capital,
            "employees": self.employees,
            "rd_staff": self.rd_staff,
            "listing": self.listing,
            "contact_person": self.contact_person,
            "contact_phone": self.contact_phone,
            "contact_email": self.contact_email,
            "address": self.address,
            "bank_name": self.bank_name,
            "bank_account": self.bank_account,
        }


def _org_code(rng: random.Random, founded: dt.date) -> str:
    """A 9-character organisation code (GB 11714) as found inside Chongqing USCCs.

    Firms founded since the 2015 reform carry "MA" codes; older ones the numeric codes.
    """
    if founded.year >= 2016:
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        body = "MA" + rng.choice(("5U", "60", "61")) + "".join(rng.choices(alphabet, k=4))
    else:
        body = rng.choice(("20", "45", "62", "74", "75", "76", "78", "79"))
        body += "".join(rng.choices("0123456789", k=6))
    total = sum(
        (int(ch) if ch.isdigit() else ord(ch) - 55) * w
        for ch, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def _uscc(rng: random.Random, founded: dt.date) -> str:
    # 9 = registered by market regulation, 1 = company; then the district's code.
    body = "91" + DISTRICT_CODE + _org_code(rng, founded)
    return body + uscc_lib.check_character(body)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return "1" + rng.choice("35789") + "".join(rng.choices("0123456789", k=9))
    return "023-6" + "".join(rng.choices("0123456789", k=7))


DEMO_BANKS = (
    "中国工商银行重庆江北支行",
    "中国建设银行重庆江北支行",
    "中国农业银行重庆江北支行",
    "中国银行重庆江北支行",
    "重庆农村商业银行江北支行",
    "重庆银行江北支行",
    "招商银行重庆江北支行",
)


def _bank_account(index: int) -> tuple[str, str]:
    """Where the treasury pays the firm: a bank and a 19-digit account, from a stream of
    their own, so that adding them shifted nothing else the plan draws."""
    rng = random.Random(f"{SEED}-{index}-bank")
    return rng.choice(DEMO_BANKS), "3100" + "".join(rng.choices("0123456789", k=15))


def _wan(amount: float) -> Decimal:
    """Yuan for an amount in 万元, rounded to 0.01 万元 (as official lists give it)."""
    return Decimal(round(amount * 100)) * 100


def _batch_day(rng: random.Random, year: int, today: dt.date) -> dt.date:
    """A day from the autumn recognition batches of `year`, not after today."""
    day = dt.date(year, rng.choice((10, 11, 12)), rng.randint(1, 28))
    return min(day, today - dt.timedelta(days=rng.randint(20, 60)))


def plan(today: dt.date) -> list[PlannedFirm]:
    """The demo registry. Who the firms are never depends on `today`; their dates do."""
    streets = list(STREET_PLAN)
    street_weights = [STREET_PLAN[s][0] for s in streets]
    industries = list(INDUSTRY_WEIGHTS)
    industry_weights = list(INDUSTRY_WEIGHTS.values())
    names: set[str] = {DEMO_FIRM_NAME}
    codes: set[str] = set()
    cert_serials: set[int] = set()
    firms: list[PlannedFirm] = []

    for index in range(ENTERPRISE_COUNT):
        # One stream per firm, identity drawn first: a date that moves with `today` never
        # shifts the names and codes of the firms after it (seed_demo matches on the code).
        rng = random.Random(f"{SEED}-{index}")
        street = rng.choices(streets, street_weights)[0]
        if street in INDUSTRIAL_STREETS and rng.random() < 0.6:
            industry = rng.choice(INDUSTRIAL)
        else:
            industry = rng.choices(industries, industry_weights)[0]
        listing = Listing.UNLISTED
        if rng.random() < 0.065 and index:
            listing = rng.choices([lt for lt, _ in LISTINGS], [w for _, w in LISTINGS])[0]
        suffix = "有限公司" if listing == Listing.UNLISTED else "股份有限公司"
        if index == 0:
            street, industry, name = "观音桥街道", Industry.INFORMATION_TECHNOLOGY, DEMO_FIRM_NAME
        else:
            while True:
                mark = rng.choice(NAME_FIRST) + rng.choice(NAME_SECOND)
                name = f"重庆{mark}{rng.choice(INDUSTRY_WORDS[industry])}{suffix}"
                if name not in names:
                    break
        names.add(name)

        founded = dt.date(rng.randint(2003, 2023), rng.randint(1, 12), rng.randint(1, 28))
        if index == 0:
            founded = dt.date(2014, 6, 18)
        code = _uscc(rng, founded)
        while code in codes:
            code = _uscc(rng, founded)
        codes.add(code)

        size = rng.random()
        if size < 0.5:
            employees = rng.randint(8, 40)
        elif size < 0.9:
            employees = rng.randint(41, 200)
        else:
            employees = rng.randint(201, 900)
        if listing != Listing.UNLISTED:
            employees = max(employees, rng.randint(150, 1200))
        if index == 0:
            employees = 86
        road = rng.choice(STREET_PLAN[street][1])
        address = f"重庆市江北区{road}{rng.randint(1, 199)}号"
        if rng.random() < 0.6:
            address += f"{rng.randint(1, 12)}栋{rng.randint(1, 28)}楼"
        bank_name, bank_account = _bank_account(index)
        firm = PlannedFirm(
            uscc=code,
            name=name,
            street=street,
            industry=industry,
            listing=listing,
            legal_representative=_person(rng),
            founded_on=founded,
            registered_capital=_wan(rng.choice((100, 200, 300, 500, 800, 1000, 2000, 5000))),
            employees=employees,
            rd_staff=max(1, round(employees * rng.uniform(0.1, 0.45))),
            contact_person=_person(rng),
            contact_phone=_phone(rng),
            contact_email=f"office@qiye{index + 1:03d}.example.cn",
            address=address,
            bank_name=bank_name,
            bank_account=bank_account,
        )
        _plan_records(firm, index=index, rng=rng, today=today, cert_serials=cert_serials)
        firms.append(firm)
    return firms


def _plan_records(
    firm: PlannedFirm, *, index: int, rng: random.Random, today: dt.date, cert_serials: set[int]
) -> None:
    """Registration, certificates and annual figures of one firm, dated relative to today."""
    founded = firm.founded_on
    # Tech-firm registration: about 70% registered, a tenth of those removed since.
    registered = index == 0 or rng.random() < 0.7
    if registered:
        reg_day = today - dt.timedelta(days=rng.randint(0, 6 * 365))
        reg_day = min(max(reg_day, founded + dt.timedelta(days=180)), today)
        removed = None
        if index and rng.random() < 0.1 and (today - reg_day).days > 60:
            removed = reg_day + dt.timedelta(days=rng.randint(30, (today - reg_day).days))
        number = f"{reg_day.year}{DISTRICT_CODE}{800000 + index + 1:06d}"
        firm.registration = (number, reg_day, removed)

    def certificate(issued: dt.date, kind: str) -> PlannedCertificate:
        serial = rng.randint(1000, 8999)
        while serial in cert_serials:
            serial = rng.randint(1000, 8999)
        cert_serials.add(serial)
        return PlannedCertificate(f"GR{issued.year}{CERTIFICATE_REGION}{serial:06d}", issued, kind)

    # High-tech certificates, only among registered firms (about 43% of them).
    new, renewal = HighTechCertificate.Kind.NEW, HighTechCertificate.Kind.RENEWAL
    scenario = rng.random() if registered else 1.0
    if index == 0:
        # The demo firm: first recognised four batches ago, re-recognised when that ran out.
        first = _batch_day(rng, today.year - 4, today)
        second = min(add_years(first, 3), today - dt.timedelta(days=30))
        firm.certificates += [certificate(first, new), certificate(second, renewal)]
    elif scenario < 0.22:
        # Valid, first recognition in one of the last three batches.
        issued = _batch_day(rng, today.year - rng.randint(0, 2), today)
        firm.certificates.append(certificate(issued, new))
    elif scenario < 0.32:
        # Renewal: a first certificate, then re-recognition when it ran out.
        first = _batch_day(rng, today.year - 3 - rng.randint(0, 2), today)
        second = min(add_years(first, 3), today - dt.timedelta(days=30))
        firm.certificates += [certificate(first, new), certificate(second, renewal)]
    elif scenario < 0.38:
        # Expiring within 90 days: issued three years ago less a few weeks.
        issued = add_years(today, -3) + dt.timedelta(days=rng.randint(5, 85))
        firm.certificates.append(certificate(issued, rng.choice((new, renewal))))
    elif scenario < 0.43:
        # Expired and not renewed.
        issued = add_years(today, -3) - dt.timedelta(days=rng.randint(30, 500))
        firm.certificates.append(certificate(issued, new))

    # Annual figures for the years after founding that have closed; some firms never report.
    if index and rng.random() >= 0.88:
        return
    high_tech = bool(firm.certificates)
    per_head = rng.uniform(25, 140)  # 万元 of revenue per employee
    rd_ratio = rng.uniform(0.05, 0.12) if high_tech else rng.uniform(0.01, 0.08)
    staff = firm.employees
    for year in FIGURE_YEARS:
        if year <= founded.year or dt.date(year + 1, 1, 1) > today:
            continue
        staff = max(3, round(staff * rng.uniform(0.92, 1.15)))
        revenue = staff * per_head * rng.uniform(0.85, 1.2)
        it = firm.industry == Industry.INFORMATION_TECHNOLOGY
        firm.figures[year] = {
            "revenue": _wan(revenue),
            "rd_expenditure": _wan(revenue * rd_ratio),
            "employees": staff,
            "rd_staff": max(1, round(staff * rng.uniform(0.1, 0.45))),
            "invention_patents": rng.randint(0, 12 if high_tech else 3),
            "utility_models": rng.randint(0, 40 if high_tech else 8),
            "software_copyrights": rng.randint(0, 30 if it else 4),
            "high_end_talent": rng.choice((0, 0, 0, 1, 1, 2, 3)),
            "new_products": rng.randint(0, 8),
        }


# --- Writing -------------------------------------------------------------------------------


@dataclass
class SeedResult:
    enterprises_created: int = 0
    registrations_created: int = 0
    certificates_created: int = 0
    figures_created: int = 0
    users_created: int = 0
    carriers_created: int = 0
    subsidy_claims_created: int = 0
    service: demo_service.ServiceSeedResult = field(default_factory=demo_service.ServiceSeedResult)
    logins: tuple[DemoLogin, ...] = LOGINS


@functools.cache
def _demo_password_hash() -> str:
    return make_password(DEMO_PASSWORD)


def _ensure_user(login: DemoLogin, demo_firm: Enterprise | None, admin: User | None) -> bool:
    """Create the login when missing and make sure it holds its role; True when created."""
    user = User.objects.filter(username=login.username).first()
    created = user is None
    if user is None:
        user = User(
            username=login.username,
            email=f"{login.username}@kjj.example.cn",
            last_name=login.last_name,
            first_name=login.first_name,
            is_staff=login.is_staff,
            is_superuser=login.is_superuser,
        )
        if login.enterprise and demo_firm is not None:
            user.organisation_kind = User.OrganisationKind.ENTERPRISE
            user.enterprise = demo_firm
            user.email = demo_firm.contact_email
            user.link_status = User.LinkStatus.APPROVED
            user.link_decided_by = admin
            user.link_decided_at = timezone.now()
        # One hash for every demo login: the password is published anyway, and hashing it
        # nine times would be most of the command's run time.
        user.password = _demo_password_hash()
        user._history_user = admin  # type: ignore[attr-defined]
        user._change_reason = CHANGE_REASON  # type: ignore[attr-defined]
        user.save()
    group = Group.objects.get(name=login.role.value)
    if not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
    return created


@transaction.atomic
def seed(*, today: dt.date | None = None) -> SeedResult:
    """Create whatever part of the demo is missing, in one transaction.

    Side effects: creates users, enterprises (through enterprise_create), registrations and
    certificates and annual figures (validated per row, written in bulk with history rows),
    removes some registrations (tech_firm_registration_remove) and locks the demo firm's
    oldest figures (annual_figures_set_locked). Every history row
    names the demo bureau admin as the acting user.
    """
    today = today or timezone.localdate()
    result = SeedResult()
    firms = plan(today)

    admin_login = LOGINS[0]
    result.users_created += _ensure_user(admin_login, None, None)
    admin = User.objects.get(username=admin_login.username)

    streets = {s.name: s for s in Street.objects.all()}
    existing = set(
        Enterprise.objects.filter(uscc__in=[f.uscc for f in firms]).values_list("uscc", flat=True)
    )
    new_firms: list[tuple[PlannedFirm, Enterprise]] = []
    for firm in firms:
        if firm.uscc in existing:
            continue
        enterprise = enterprise_services.enterprise_create(
            acting_user=admin,
            uscc=firm.uscc,
            name=firm.name,
            street=streets.get(firm.street),
            **firm.fields(),
        )
        new_firms.append((firm, enterprise))
    result.enterprises_created = len(new_firms)

    # Registrations and certificates have no create service yet: validate each row as the
    # model would, then write them in bulk with their history rows.
    known_regs = set(TechFirmRegistration.objects.values_list("number", flat=True))
    known_certs = set(HighTechCertificate.objects.values_list("number", flat=True))
    registrations: list[TechFirmRegistration] = []
    removals: dict[str, dt.date] = {}
    certificates: list[HighTechCertificate] = []
    for firm, enterprise in new_firms:
        if firm.registration and firm.registration[0] not in known_regs:
            number, registered_on, removed_on = firm.registration
            registrations.append(
                TechFirmRegistration(
                    enterprise=enterprise, number=number, registered_on=registered_on
                )
            )
            if removed_on:
                removals[number] = removed_on
        for cert in firm.certificates:
            if cert.number in known_certs:
                continue
            certificates.append(
                HighTechCertificate(
                    enterprise=enterprise,
                    number=cert.number,
                    issued_on=cert.issued_on,
                    expires_on=HighTechCertificate.expiry_for(cert.issued_on),
                    kind=cert.kind,
                )
            )
    for obj in (*registrations, *certificates):
        obj.full_clean(exclude=["enterprise"], validate_unique=False, validate_constraints=False)
    bulk_create_with_history(
        registrations, TechFirmRegistration, default_user=admin, default_change_reason="created"
    )
    bulk_create_with_history(
        certificates, HighTechCertificate, default_user=admin, default_change_reason="created"
    )
    result.registrations_created = len(registrations)
    result.certificates_created = len(certificates)
    for registration in TechFirmRegistration.objects.filter(number__in=list(removals)):
        enterprise_services.tech_firm_registration_remove(
            registration=registration, removed_on=removals[registration.number], acting_user=admin
        )

    # 200 firms times three years through annual_figures_submit takes seconds; the same
    # validation per row, then one bulk write with history, takes a fraction of that.
    figures_rows = [
        AnnualFigures(enterprise=enterprise, year=year, submitted_by=admin, **figures)
        for firm, enterprise in new_firms
        for year, figures in firm.figures.items()
    ]
    for row in figures_rows:
        row.full_clean(
            exclude=["enterprise", "submitted_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    bulk_create_with_history(
        figures_rows, AnnualFigures, default_user=admin, default_change_reason="figures submitted"
    )
    result.figures_created = len(figures_rows)
    # The demo firm's oldest year is locked, as staff do once a year is checked.
    for row in figures_rows:
        if row.enterprise.uscc == firms[0].uscc and row.year == FIGURE_YEARS[0]:
            enterprise_services.annual_figures_set_locked(
                figures=row, locked=True, acting_user=admin
            )

    demo_firm = Enterprise.objects.filter(uscc=firms[0].uscc).first()
    for login in LOGINS[1:]:
        result.users_created += _ensure_user(login, demo_firm, admin)
    demo_loans.seed(admin=admin, today=today, password_hash=_demo_password_hash())
    result.service = demo_service.seed(
        staff=User.objects.get(username="staff"),
        enterprise_user=User.objects.get(username="enterprise"),
        today=today,
    )
    result.carriers_created = demo_incubators.seed(admin=admin, today=today)
    result.subsidy_claims_created = demo_subsidies.seed(admin=admin, today=today)
    demo_statistics.seed(today=today, acting_user=admin)
    return result
