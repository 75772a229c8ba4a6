"""The service desk's two processes as data (DESIGN §3a): service requests and research
project recommendations.

Bureau staff holding the desk's permission make every step; the enterprise raises requests
(which is not a step: it creates the request) and is told of what becomes of them. Imported
by `EnterprisesConfig.ready()`, so the registry is complete in every process.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.workflow import Permission, Relation, Workflow, register
from enterprises.models import ProjectRecommendation, ServiceRequest

# The users of the enterprise a request or recommendation is about (approved link).
ENTERPRISE = Relation("enterprise", _("the enterprise"), kind="enterprise", path="enterprise_id")
# The staff of the service desk (the right the request services have always asked for).
DESK = Permission("enterprises.change_servicerequest", _("service desk staff"))
# The staff who put firms' projects forward to programmes.
RECOMMENDING = Permission(
    "enterprises.change_projectrecommendation", _("staff recommending projects")
)

R = ServiceRequest.Status


def _request_title(service_request: ServiceRequest) -> str:
    if service_request.status == R.FORWARDED and service_request.department_id:
        return gettext("%(request)s (forwarded to %(department)s)") % {
            "request": service_request,
            "department": service_request.department,
        }
    return str(service_request)


SERVICE_REQUEST = register(
    Workflow(
        name="service_request",
        label=_("service request"),
        model="enterprises.ServiceRequest",
        states=ServiceRequest.Status,
        steps={
            (R.OPEN, R.FORWARDED): (DESK,),
            (R.OPEN, R.RESOLVED): (DESK,),
            (R.OPEN, R.CLOSED): (DESK,),
            (R.FORWARDED, R.RESOLVED): (DESK,),
            (R.FORWARDED, R.CLOSED): (DESK,),
            # The enterprise reopens a resolution that did not hold, within a set number of
            # working days (the service checks the window); it then waits for its handler.
            (R.RESOLVED, R.OPEN): (ENTERPRISE,),
        },
        # A forwarded request still waits for the bureau: its handler follows the department up.
        next={R.OPEN: (DESK,), R.FORWARDED: (DESK,)},
        tell={R.FORWARDED: (ENTERPRISE,), R.RESOLVED: (ENTERPRISE,), R.CLOSED: (ENTERPRISE,)},
        record="enterprises.ServiceRequestStatusChange",
        record_fk="service_request",
        links={
            ENTERPRISE.key: lambda obj: reverse("enterprises:request_detail", args=[obj.pk]),
            DESK.key: lambda obj: reverse("service_desk:request_detail", args=[obj.pk]),
        },
        title=_request_title,
        related=("enterprise", "department"),  # what the title reads (the queue joins these)
        holder_field="handler",
        deadline=lambda obj: obj.effective_due_on,
    )
)

P = ProjectRecommendation.Status

PROJECT_RECOMMENDATION = register(
    Workflow(
        name="project_recommendation",
        label=_("research project recommendation"),
        model="enterprises.ProjectRecommendation",
        states=ProjectRecommendation.Status,
        steps={
            (P.PREPARING, P.RECOMMENDED): (RECOMMENDING,),
            (P.RECOMMENDED, P.FUNDED): (RECOMMENDING,),
            (P.RECOMMENDED, P.NOT_FUNDED): (RECOMMENDING,),
        },
        # Once recommended, the bureau records the programme's decision when it comes.
        next={P.PREPARING: (RECOMMENDING,), P.RECOMMENDED: (RECOMMENDING,)},
        tell={P.RECOMMENDED: (ENTERPRISE,), P.FUNDED: (ENTERPRISE,), P.NOT_FUNDED: (ENTERPRISE,)},
        record="enterprises.ProjectRecommendationStatusChange",
        record_fk="recommendation",
        # The enterprise follows its recommendations on one page; staff on the admin page.
        links={ENTERPRISE.key: lambda obj: reverse("enterprises:my_projects")},
        title=lambda obj: f"{obj.enterprise.name}：{obj}",
    )
)
