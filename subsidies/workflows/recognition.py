"""The high-tech recognition pipeline as data (DESIGN §3a): an enterprise recommended in a
numbered batch passes the municipal preliminary review and is recognised, or is not.

Staff record every step as the municipal results come in; the enterprise is told of each
outcome. The enterprise has no page of its applications, so its link opens its enterprise
page (the certificate shows there once recognised).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.workflow import Permission, Relation, Workflow, register
from subsidies.models import HighTechApplication

ENTERPRISE = Relation("enterprise", _("the enterprise"), kind="enterprise", path="enterprise_id")
# The staff following applications (the right the recognition services have always asked for).
RECOGNITION_STAFF = Permission(
    "subsidies.change_hightechapplication", _("staff following high-tech applications")
)

S = HighTechApplication.Status


def _title(application: HighTechApplication) -> str:
    return gettext("%(enterprise)s, %(year)s batch %(batch)s") % {
        "enterprise": application.enterprise.name,
        "year": application.year,
        "batch": application.batch_number,
    }


HIGH_TECH_APPLICATION = register(
    Workflow(
        name="high_tech_application",
        label=_("high-tech application"),
        model="subsidies.HighTechApplication",
        states=HighTechApplication.Status,
        steps={
            (S.RECOMMENDED, S.PRELIMINARY_PASSED): (RECOGNITION_STAFF,),
            (S.RECOMMENDED, S.NOT_RECOGNISED): (RECOGNITION_STAFF,),
            (S.PRELIMINARY_PASSED, S.RECOGNISED): (RECOGNITION_STAFF,),
            (S.PRELIMINARY_PASSED, S.NOT_RECOGNISED): (RECOGNITION_STAFF,),
        },
        # Staff record the municipal review's result, then the recognition's.
        next={S.RECOMMENDED: (RECOGNITION_STAFF,), S.PRELIMINARY_PASSED: (RECOGNITION_STAFF,)},
        tell={
            S.PRELIMINARY_PASSED: (ENTERPRISE,),
            S.RECOGNISED: (ENTERPRISE,),
            S.NOT_RECOGNISED: (ENTERPRISE,),
        },
        record="subsidies.HighTechApplicationStatusChange",
        record_fk="application",
        links={ENTERPRISE.key: lambda obj: reverse("enterprises:my_enterprise")},
        title=_title,
    )
)
