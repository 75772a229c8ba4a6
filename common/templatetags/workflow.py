"""`{% timeline obj %}`: one status timeline for every process."""

from __future__ import annotations

from typing import Any

from django import template

from common.workflow import acting_party, workflow_for

register = template.Library()


@register.inclusion_tag("common/_timeline.html", takes_context=True)
def timeline(context: dict[str, Any], obj: Any, heading: str = "") -> dict[str, Any]:
    """The steps of `obj`, oldest first; the reader sees who acted as `acting_party` says
    (names inside the bureau, organisations outside it)."""
    workflow = workflow_for(obj)
    request = context.get("request")
    for_bureau = bool(getattr(getattr(request, "user", None), "is_staff", False))
    records = (
        workflow.record_class._default_manager.filter(**{workflow.record_fk: obj})
        .select_related("acting_user")
        .order_by("created_at", "pk")
    )
    rows = [
        {
            "state": workflow.state_label(change.to_status),
            "at": change.created_at,
            "by": acting_party(change, for_bureau=for_bureau),
            "note": change.note,
        }
        for change in records
    ]
    return {"rows": rows, "heading": heading}
