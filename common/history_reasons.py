"""Why a record changed, as the history pages say it.

The services write a short English reason into each history row (`save_with_audit(...,
reason="forwarded")`; a workflow step writes "submitted → under_review"). The rows keep the
code; the history page shows it in the reader's language: a reason by its msgid below, a
step by its states' labels. A new reason is added here (the permission probe's language check
finds one that is missing on a history page).
"""

from typing import Any

from django.utils.translation import gettext, gettext_noop

REASONS = (
    gettext_noop("activated"),
    gettext_noop("activity saved"),
    gettext_noop("added by an import"),
    gettext_noop("admin"),
    gettext_noop("admin inline"),
    gettext_noop("answered"),
    gettext_noop("assigned"),
    gettext_noop("attached"),
    gettext_noop("changed"),
    gettext_noop("circuit breaker"),
    gettext_noop("closed"),
    gettext_noop("compensation paid"),
    gettext_noop("completed"),
    gettext_noop("computed"),
    gettext_noop("contact updated"),
    gettext_noop("contribution"),
    gettext_noop("created"),
    gettext_noop("demo data"),
    gettext_noop("details corrected"),
    gettext_noop("drafted"),
    gettext_noop("entered"),
    gettext_noop("entry saved"),
    gettext_noop("evaluated"),
    gettext_noop("figures submitted"),
    gettext_noop("filed"),
    gettext_noop("forwarded"),
    gettext_noop("graduated"),
    gettext_noop("holiday arrangement"),
    gettext_noop("locked"),
    gettext_noop("unlocked"),
    gettext_noop("moved in"),
    gettext_noop("pending record created"),
    gettext_noop("queue handover"),
    gettext_noop("raised by the enterprise"),
    gettext_noop("ratio changed"),
    gettext_noop("received"),
    gettext_noop("recognised"),
    gettext_noop("recognition saved"),
    gettext_noop("recommended"),
    gettext_noop("recomputed"),
    gettext_noop("recorded"),
    gettext_noop("registered by staff"),
    gettext_noop("released for resending"),
    gettext_noop("removed"),
    gettext_noop("repayment"),
    gettext_noop("resolved"),
    gettext_noop("revoked"),
    gettext_noop("saved"),
    gettext_noop("signed"),
    gettext_noop("signed up"),
    gettext_noop("site saved"),
    gettext_noop("tenancy saved"),
    gettext_noop("threshold saved"),
    gettext_noop("updated"),
    gettext_noop("visit recorded"),
    gettext_noop("bank link ended"),
)


def reason_display(record: Any) -> str:
    """The history row's reason in the reader's language ("" when it has none)."""
    reason = record.history_change_reason or ""
    if "→" in reason or "->" in reason:
        return _step(record, reason)
    return gettext(reason) if reason else ""


def _step(record: Any, reason: str) -> str:
    model = getattr(record, "instance_type", None)
    labels: dict[str, str] = {}
    if model is not None:
        for field in model._meta.fields:
            if field.choices and field.name in ("status", "link_status"):
                labels.update({str(k): str(v) for k, v in field.flatchoices})
    arrow = "→" if "→" in reason else "->"
    head, _sep, note = reason.partition(": ")
    prefix = ""
    if head.startswith("link "):
        prefix, head = gettext("organisation link") + " ", head[len("link ") :]
    parts = [labels.get(part.strip(), part.strip()) or "—" for part in head.split(arrow)]
    text = prefix + " → ".join(parts)
    return f"{text}：{note}" if note else text
