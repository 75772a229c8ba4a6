"""A column "dossier" (一企一档) on every admin list where a firm appears: it opens the
firm's page of everything the bureau keeps (the `dossier` pages in portal, reached by
their URL name: no domain app imports portal). Shown to staff who may view enterprises."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

DOSSIER_PERMISSION = "enterprises.view_enterprise"


class DossierLinkMixin:
    """Add `dossier_link` to the list. `dossier_path` leads from the row to the firm's id
    through relations the changelist already joins ("enterprise" → row.enterprise_id;
    "loan__enterprise" → row.loan.enterprise_id; "" → the row is the firm)."""

    dossier_path = "enterprise"

    def get_list_display(self, request: HttpRequest) -> Any:
        columns = super().get_list_display(request)  # type: ignore[misc]
        if request.user.has_perm(DOSSIER_PERMISSION) and "dossier_link" not in columns:
            columns = (*columns, "dossier_link")
        return columns

    @admin.display(description=_("dossier"))
    def dossier_link(self, obj: Any) -> str:
        target: Any = obj
        hops = self.dossier_path.split("__") if self.dossier_path else []
        for hop in hops[:-1]:
            target = getattr(target, hop, None)
        enterprise_id = getattr(target, f"{hops[-1]}_id", None) if hops else target.pk
        if enterprise_id is None:
            return "—"
        url = reverse("dossier:detail", args=[enterprise_id])
        return format_html('<a href="{}" class="dossier-link">{}</a>', url, _("Dossier"))
