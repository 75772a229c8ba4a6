"""Demo data of the service desk: a year of visits and the requests collected at them, in
every state, and the bureau's research project recommendations.

Generated from a fixed random seed through the real services, so every row has its
status-change records and history. Idempotent: visits and requests are matched on their
natural keys and recommendations on theirs; what exists is left as it is.
"""

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from enterprises import services
from enterprises.models import (
    Department,
    Enterprise,
    ProjectRecommendation,
    RequestCategory,
    ServiceRequest,
    ServiceVisit,
)

SEED = "500105-service"
VISITS = 95  # the bureau visited 93 platforms and firms in 2022
DAYS = 365

# (category, description) as a visiting officer writes them down; the categories are the
# words the bureau's list starts with (enterprises migration 0009), by their former codes.
CATEGORY_NAMES = {
    "policy": "政策咨询",
    "funding": "资金补贴",
    "financing": "融资贷款",
    "talent": "人才招引",
    "ip": "知识产权",
    "projects": "科技项目",
    "premises": "场地用房",
    "market": "市场合作",
    "other": "其他",
}
PROBLEMS: tuple[tuple[str, str], ...] = (
    ("policy", "咨询研发费用加计扣除政策的归集口径"),
    ("policy", "咨询高新技术企业认定的申报条件和时间安排"),
    ("policy", "了解科技型企业入库评价的指标和流程"),
    ("funding", "询问研发投入补贴的申报材料和拨付时间"),
    ("funding", "希望了解高企认定奖励资金的兑现进度"),
    ("financing", "申请知识价值信用贷款，需要了解额度测算办法"),
    ("financing", "流动资金紧张，希望对接合作银行开展无抵押贷款"),
    ("talent", "引进博士人才的住房和子女入学问题"),
    ("talent", "申请设立博士后科研工作站"),
    ("ip", "发明专利申请需要加快审查，咨询优先审查通道"),
    ("ip", "遭遇商标侵权，希望协调维权援助"),
    ("projects", "拟申报市级技术创新与应用发展专项，需要申报指导"),
    ("projects", "与高校共建研发平台，希望牵线对接"),
    ("premises", "扩产需要增加厂房面积，希望协调用地"),
    ("premises", "办公用房租约到期，希望入驻孵化载体"),
    ("market", "新产品希望纳入首台（套）重大技术装备推广目录"),
    ("market", "希望对接区内龙头企业的配套采购需求"),
    ("other", "园区道路和公交线路不便，员工通勤困难"),
)
NOTES = (
    "了解企业研发投入和人才情况",
    "座谈生产经营和创新需求",
    "调研新产品研发进展",
    "宣讲科技创新政策",
)
RESOLUTIONS = {
    "on_site": "工作人员现场解答并提供了政策文件和申报指引。",
    "coordinated": "经区内相关单位协调，问题已落实解决。",
    "forwarded": "承办部门已办理并答复企业，企业表示满意。",
}
STAFF_PAIRS = ("李晓梅、张伟", "李晓梅、王磊", "张伟、刘畅", "王建国、李晓梅")
PROGRAMMES = (
    ("国家重点研发计划", "national"),
    ("重庆市技术创新与应用发展专项", "municipal"),
    ("重庆市自然科学基金", "municipal"),
)
PROJECT_TITLES = (
    "工业机器人高精度减速器关键技术研究",
    "面向智能网联汽车的边缘计算平台研发",
    "新型锂电池正极材料中试及产业化",
    "基于多模态数据的慢病管理系统研发",
    "高性能碳纤维复合材料构件制备技术",
    "城市轨道交通智能运维关键技术",
    "生物降解包装材料制备工艺研究",
)


@dataclass
class ServiceSeedResult:
    visits_created: int = 0
    requests_created: int = 0
    recommendations_created: int = 0


def _finish(
    service_request: ServiceRequest,
    *,
    rng: random.Random,
    staff: Any,
    departments: list[Department],
    today: dt.date,
) -> None:
    """Move a freshly registered request on as a year of real handling would."""
    age = (today - service_request.registered_on).days
    roll = rng.random()
    if age <= 3 and roll < 0.7:
        return  # just collected: still open
    if roll < 0.45:  # answered or coordinated directly
        handling = "on_site" if rng.random() < 0.75 else "coordinated"
        days = 0 if handling == "on_site" else rng.randint(1, min(20, age))
        services.service_request_resolve(
            service_request=service_request,
            resolved_on=service_request.registered_on + dt.timedelta(days=days),
            note=RESOLUTIONS[handling],
            handling=handling,
            acting_user=staff,
        )
        return
    if roll < 0.93 or age < 5:
        services.service_request_forward(
            service_request=service_request,
            department=rng.choice(departments),
            note="已转相关部门办理，请保持联系。",
            acting_user=staff,
        )
        # Most forwarded requests come back resolved; recent ones (and a few late ones,
        # which the desk shows as overdue) are still with the department.
        if age > 30 and rng.random() < 0.85:
            services.service_request_resolve(
                service_request=service_request,
                resolved_on=service_request.registered_on
                + dt.timedelta(days=rng.randint(5, min(age, 40))),
                note=RESOLUTIONS["forwarded"],
                acting_user=staff,
            )
        return
    services.service_request_close(
        service_request=service_request,
        reason="企业已自行解决，申请撤回。",
        acting_user=staff,
    )


def seed(*, staff: Any, enterprise_user: Any | None, today: dt.date) -> ServiceSeedResult:
    """Create the missing part of the service-desk demo for the year up to `today`.

    Side effects: visits, requests with their steps, a reply or two, requests the demo
    firm's login raised from the portal, and project recommendations, all written through
    the services with `staff` (or the enterprise login) as the acting user.
    """
    rng = random.Random(SEED)
    result = ServiceSeedResult()
    departments = list(Department.objects.filter(active=True).order_by("sort_order"))
    # The list's words by former code; a word staff renamed or removed is added back.
    categories = {
        code: RequestCategory.objects.get_or_create(name=name)[0]
        for code, name in CATEGORY_NAMES.items()
    }
    if not departments:
        departments = [Department.objects.create(name="区经济信息委")]
    firms = list(Enterprise.objects.order_by("uscc")[:120])
    if not firms:
        return result
    existing_visits = set(ServiceVisit.objects.values_list("enterprise_id", "visited_on"))
    existing_requests = set(
        ServiceRequest.objects.values_list("enterprise_id", "registered_on", "description")
    )

    visited = rng.sample(firms, min(len(firms), 80))
    plan: list[tuple[int, Enterprise, dt.date]] = []
    for index in range(VISITS):
        firm = visited[index % len(visited)]
        plan.append((index, firm, today - dt.timedelta(days=rng.randint(0, DAYS - 1))))
    for index, firm, day in sorted(plan, key=lambda item: item[2]):
        # One generator per visit: what a visit holds does not depend on what exists.
        visit_rng = random.Random(f"{SEED}-visit-{index}")
        visit_key = (firm.pk, day)
        problems = visit_rng.sample(PROBLEMS, visit_rng.choice((0, 1, 1, 1, 2)))
        visitors, notes = visit_rng.choice(STAFF_PAIRS), visit_rng.choice(NOTES)
        if visit_key in existing_visits:
            continue
        existing_visits.add(visit_key)
        visit = services.service_visit_record(
            enterprise=firm, visited_on=day, visitors=visitors, notes=notes, acting_user=staff
        )
        result.visits_created += 1
        for category, description in problems:
            if (firm.pk, day, description) in existing_requests:
                continue
            service_request = services.service_request_register(
                enterprise=firm,
                registered_on=day,
                category=categories[category],
                description=description,
                visit=visit,
                acting_user=staff,
            )
            result.requests_created += 1
            _finish(service_request, rng=rng, staff=staff, departments=departments, today=today)

    if enterprise_user is not None and enterprise_user.enterprise_id:
        own = enterprise_user.enterprise
        raised = ServiceRequest.objects.filter(enterprise=own, raised_by=enterprise_user)
        if not raised.exists():
            first = services.service_request_raise(
                enterprise=own,
                category=categories["financing"],
                description="拟申请知识价值信用贷款 300 万元，请告知所需材料。",
                acting_user=enterprise_user,
            )
            services.service_request_reply(
                service_request=first,
                note="已收到，信贷专员将在两个工作日内与您联系。",
                acting_user=staff,
            )
            services.service_request_raise(
                enterprise=own,
                category=categories["premises"],
                description="研发团队扩大，希望在孵化载体内增租 300 平方米办公用房。",
                acting_user=enterprise_user,
            )
            result.requests_created += 2

    result.recommendations_created = _seed_recommendations(
        rng=random.Random(f"{SEED}-projects"),
        firms=firms,
        staff=staff,
        today=today,
        own=getattr(enterprise_user, "enterprise", None),
    )
    return result


def _seed_recommendations(
    *, rng: random.Random, firms: list[Enterprise], staff: Any, today: dt.date, own: Any
) -> int:
    year = today.year
    chosen = rng.sample(firms, min(len(firms), len(PROJECT_TITLES)))
    if own is not None:
        chosen[0] = own
    created = 0
    for index, (firm, title) in enumerate(zip(chosen, PROJECT_TITLES, strict=False)):
        programme, level = PROGRAMMES[index % len(PROGRAMMES)]
        record_year = year if index % 3 else year - 1
        if ProjectRecommendation.objects.filter(
            enterprise=firm, programme=programme, year=record_year, title=title
        ).exists():
            continue
        recommendation = services.project_recommendation_create(
            enterprise=firm,
            programme=programme,
            level=level,
            title=title,
            year=record_year,
            acting_user=staff,
        )
        created += 1
        stage = index % 4  # preparing, recommended, funded, not funded
        if stage == 0:
            continue
        recommended_on = min(today, dt.date(record_year, 3, 15))
        services.project_recommendation_recommend(
            recommendation=recommendation, recommended_on=recommended_on, acting_user=staff
        )
        decided_on = recommended_on + dt.timedelta(days=120)
        if stage == 1 or decided_on > today:
            continue
        if stage == 2:
            services.project_recommendation_fund(
                recommendation=recommendation,
                funding_amount=Decimal(rng.choice((500000, 1000000, 3000000))),
                decided_on=decided_on,
                acting_user=staff,
            )
        else:
            services.project_recommendation_decline(
                recommendation=recommendation, decided_on=decided_on, acting_user=staff
            )
    return created
