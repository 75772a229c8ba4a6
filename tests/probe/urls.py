"""Every URL pattern of the site, with its path ids filled from the probe's world.

The patterns come from `get_resolver()`, the admin's included. A path id is filled with a
record of side A, a record of side B (for the desks, where organisations meet) and, on the
desks, an id that does not exist. A pattern whose ids the probe does not know how to fill
fails the probe, so that a new URL cannot escape it: add its ids to `DESK_IDS`.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from common.workflow import REGISTRY
from enterprises.models import (
    AnnualFigures,
    Enterprise,
    ServiceRequest,
    ServiceRequestAttachment,
)
from enterprises.views.service_desk import FIRM_ACTIONS, STEP_SERVICES
from incubators.models import Activity, Incubator, Tenancy
from loans.models import CompensationClaimDocument, LoanApplication, LoanAttachment
from loans.views import BANK_FORMS
from subsidies.models import ClaimAttachment, Notice, RDAudit, SubsidyClaim, SubsidyPolicy
from tests.probe.world import World, first_record

MISSING_ID = "987654321"

# (namespace, url name, path parameter) -> the model whose record fills it, or the values it
# takes (slugs naming a step).
DESK_IDS: dict[tuple[str | None, str, str], type[Model] | tuple[str, ...]] = {
    ("enterprises", "figures_edit", "pk"): AnnualFigures,
    ("enterprises", "request_detail", "pk"): ServiceRequest,
    ("enterprises", "request_action", "pk"): ServiceRequest,
    ("enterprises", "request_action", "action"): tuple(FIRM_ACTIONS),
    ("enterprises", "request_attachment", "pk"): ServiceRequest,
    ("enterprises", "request_attachment", "attachment_pk"): ServiceRequestAttachment,
    ("loans", "application_detail", "pk"): LoanApplication,
    ("loans", "application_edit", "pk"): LoanApplication,
    ("loans", "application_withdraw", "pk"): LoanApplication,
    ("loans", "attachment_download", "pk"): LoanApplication,
    ("loans", "attachment_download", "attachment_pk"): LoanAttachment,
    ("loans", "claim_document_download", "pk"): CompensationClaimDocument,
    ("dossier", "detail", "pk"): Enterprise,
    ("dossier", "export", "pk"): Enterprise,
    ("loans", "bank_loan_detail", "pk"): LoanApplication,
    ("loans", "bank_loan_action", "pk"): LoanApplication,
    ("loans", "bank_loan_action", "action"): tuple(BANK_FORMS),
    ("service_desk", "request_detail", "pk"): ServiceRequest,
    ("service_desk", "request_step", "pk"): ServiceRequest,
    ("service_desk", "request_attachment", "pk"): ServiceRequest,
    ("service_desk", "request_attachment", "attachment_pk"): ServiceRequestAttachment,
    ("service_desk", "request_step", "step"): tuple(STEP_SERVICES),
    ("incubators", "dashboard", "pk"): Incubator,
    ("incubators", "tenants", "pk"): Incubator,
    ("incubators", "tenant_add", "pk"): Incubator,
    ("incubators", "move_out", "pk"): Incubator,
    ("incubators", "move_out", "tenancy_pk"): Tenancy,
    ("incubators", "activities", "pk"): Incubator,
    ("incubators", "activity_add", "pk"): Incubator,
    ("incubators", "entries", "pk"): Incubator,
    ("incubators", "entries", "activity_pk"): Activity,
    ("subsidies", "policy_detail", "pk"): SubsidyPolicy,
    ("subsidies", "claim_detail", "pk"): SubsidyClaim,
    ("subsidies", "claim_submit", "pk"): SubsidyClaim,
    ("subsidies", "claim_attach", "pk"): SubsidyClaim,
    ("subsidies", "attachment_download", "pk"): SubsidyClaim,
    ("subsidies", "attachment_download", "attachment_pk"): ClaimAttachment,
    ("subsidies", "audit_detail", "pk"): RDAudit,
    ("subsidies", "audit_complete", "pk"): RDAudit,
    ("subsidies", "audit_report", "pk"): RDAudit,
    ("subsidies", "audit_document", "pk"): RDAudit,
    ("subsidies", "audit_document", "attachment_pk"): ClaimAttachment,
    ("notices", "detail", "pk"): Notice,
    (None, "password_reset_confirm", "uidb64"): ("MQ",),
    (None, "password_reset_confirm", "token"): ("set-password", "c4a2e1-0123456789abcdef"),
}

# URLs the probe does not request, and why.
SKIPPED = {
    "logout": "ends the probe's own session",
    "admin:logout": "ends the probe's own session",
}


@dataclass(frozen=True)
class Pattern:
    route: str  # as written, e.g. "carrier/<int:pk>/tenants/"
    namespace: str | None
    name: str | None
    model: type[Model] | None  # the admin's model for admin/<app>/<model>/ patterns
    regex: re.Pattern[str]
    params: tuple[str, ...]  # named groups, or positional "_1", "_2"

    @property
    def label(self) -> str:
        return f"{self.namespace}:{self.name}" if self.namespace else str(self.name)


@dataclass(frozen=True)
class ProbeUrl:
    pattern: Pattern
    path: str
    sides: frozenset[str]  # the sides whose records fill its ids ("" for none)


def patterns() -> list[Pattern]:
    found: list[Pattern] = []

    def walk(resolver: URLResolver, prefix: str, regex: str, ns: str | None, model: Any) -> None:
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            entry_regex = regex + entry.pattern.regex.pattern.lstrip("^").removesuffix("\\Z")
            if isinstance(entry, URLResolver):
                here = _admin_model(route) or model
                walk(entry, route, entry_regex, entry.namespace or ns, here)
            elif isinstance(entry, URLPattern):
                compiled = re.compile("^" + entry_regex.removesuffix("$") + "$")
                named = tuple(compiled.groupindex)
                params = named or tuple(f"_{i}" for i in range(1, compiled.groups + 1))
                found.append(
                    Pattern(route, ns, entry.name, model, compiled, params)  # type: ignore[arg-type]
                )

    walk(get_resolver(), "", "", None, None)
    return found


def _admin_model(route: str) -> type[Model] | None:
    match = re.fullmatch(r"admin/(\w+)/(\w+)/", route)
    if not match:
        return None
    try:
        model = apps.get_model(match[1], match[2])
    except LookupError:
        return None
    return model if model in admin.site._registry else None


def _admin_values(pattern: Pattern, param: str, world: World, side: str) -> list[str]:
    if pattern.name == "app_list" and param == "app_label":
        return sorted({m._meta.app_label for m in admin.site._registry})
    if param == "url":  # the admin's catch-all
        return ["no-such-page/"]
    if pattern.name == "view_on_site":  # a record of each side, by its content type
        record = world.sides[side].enterprise
        if param == "content_type_id":
            return [str(ContentType.objects.get_for_model(record).pk)]
        return [str(record.pk)]
    model = pattern.model
    assert model is not None, pattern.route
    record = first_record(model, world, side)
    if record is None:
        return [MISSING_ID]
    if param == "target":  # a workflow step page: every state of the process
        workflow = next(w for w in REGISTRY.values() if w.model == model._meta.label)
        return list(workflow.states.values)
    if param == "key":  # a page's other writes (subsidies.admin.PageActionsMixin)
        return list(getattr(admin.site._registry[model], "page_actions", {})) or [MISSING_ID]
    if param in ("object_id", "id", "_1"):
        # (no missing id here: the admin's answer to one is Django's own, the same for all)
        kept = world.sides[side].records.get(model, [record])
        return [str(r.pk) for r in kept[:2]]
    if param == "_2":  # django-simple-history's version page: the record's history id
        history = getattr(model, model._meta.simple_history_manager_attribute, None)
        version = history.filter(pk=record.pk).first() if history is not None else None
        return [str(version.history_id)] if version else [MISSING_ID]
    raise LookupError(param)


def urls(pattern: Pattern, world: World, sides: tuple[str, ...] = ("A", "B")) -> list[ProbeUrl]:
    """The concrete URLs of a pattern: ids of each side, mixed sides, and a missing id."""
    if not pattern.params:
        return [ProbeUrl(pattern, "/" + _fill(pattern, {}), frozenset())]
    results: dict[str, ProbeUrl] = {}
    admin_pattern = pattern.route.startswith("admin/")
    choices = sides if not admin_pattern else sides[:1]
    for side in choices:
        values = {p: _values(pattern, p, world, side) for p in pattern.params}
        for combo in _combinations(values):
            path = "/" + _fill(pattern, combo)
            results.setdefault(path, ProbeUrl(pattern, path, frozenset({side})))
        if not admin_pattern and len(pattern.params) > 1:
            # the first id of this side, the others of the other side
            other = next(s for s in sides if s != side) if len(sides) > 1 else side
            mixed = {
                p: (
                    _values(pattern, p, world, side)
                    if i == 0
                    else _values(pattern, p, world, other)
                )
                for i, p in enumerate(pattern.params)
            }
            combo = {p: v[0] for p, v in mixed.items()}
            path = "/" + _fill(pattern, combo)
            results.setdefault(path, ProbeUrl(pattern, path, frozenset({side, other})))
    return list(results.values())


def _values(pattern: Pattern, param: str, world: World, side: str) -> list[str]:
    if pattern.route.startswith("admin/"):
        return _admin_values(pattern, param, world, side)
    spec = DESK_IDS.get((pattern.namespace, str(pattern.name), param))
    if spec is None:
        raise LookupError(f"the probe cannot fill <{param}> of {pattern.label} ({pattern.route})")
    if isinstance(spec, tuple):
        return list(spec)
    record = first_record(spec, world, side)
    return [str(record.pk) if record is not None else MISSING_ID, MISSING_ID]


def _combinations(values: dict[str, list[str]]) -> Iterator[dict[str, str]]:
    """The first value of every parameter, then each other value of one parameter at a time
    (not the full product: a missing id in any place is enough)."""
    first = {p: v[0] for p, v in values.items()}
    yield first
    for param, options in values.items():
        for option in options[1:]:
            yield {**first, param: option}


def _fill(pattern: Pattern, values: dict[str, str]) -> str:
    """Write the values into the pattern's regex (named or positional groups)."""
    source = pattern.regex.pattern.removeprefix("^").removesuffix("$")
    out: list[str] = []
    index = 0
    groups = iter(pattern.params)
    while index < len(source):
        if source.startswith("(?P<", index) or (
            source[index] == "(" and not source.startswith("(?", index)
        ):
            depth = 0
            end = index
            while True:
                if source[end] == "\\":
                    end += 2
                    continue
                if source[end] == "(":
                    depth += 1
                elif source[end] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                end += 1
            out.append(values[next(groups)])
            index = end + 1
            continue
        char = source[index]
        if char == "\\" and index + 1 < len(source):
            out.append(source[index + 1])
            index += 2
            continue
        if char in "^$":
            index += 1
            continue
        out.append(char)
        index += 1
    return "".join(out)


def check_resolves(url: ProbeUrl) -> str | None:
    """The filled URL resolves to its own pattern (else the filler is wrong)."""
    try:
        match = resolve(url.path)
    except Resolver404:
        return f"{url.path} does not resolve"
    if match.url_name != url.pattern.name:
        return f"{url.path} resolves to {match.url_name}, not {url.pattern.name}"
    return None
