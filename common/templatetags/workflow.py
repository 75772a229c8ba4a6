"""`{% timeline obj %}`: one status timeline for every process."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth import get_user_model

from common.workflow import REGISTRY, Relation, acting_party, workflow_for

register = template.Library()


@register.inclusion_tag("common/_timeline.html", takes_context=True)
def timeline(context: dict[str, Any], obj: Any, heading: str = "") -> dict[str, Any]:
    """The steps of `obj`, oldest first; the reader sees who acted as `acting_party` says
    (names inside the bureau, organisations outside it)."""
    workflow = workflow_for(obj)
    request = context.get("request")
    for_bureau = bool(getattr(getattr(request, "user", None), "is_staff", False))
    # An organisation's user is shown by its organisation: join the organisations the
    # workflows' relations name (the user's foreign key of each kind), not one query a row.
    user_fields = {f.name for f in get_user_model()._meta.get_fields() if f.many_to_one}
    kinds = sorted(
        {
            actor.kind
            for each in REGISTRY.values()
            for actor in each.all_actors()
            if isinstance(actor, Relation) and actor.kind in user_fields
        }
    )
    records = (
        workflow.record_class._default_manager.filter(**{workflow.record_fk: obj})
        .select_related("acting_user", *(f"acting_user__{kind}" for kind in kinds))
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
