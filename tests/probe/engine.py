"""The permission probe (DESIGN §6): every URL, as one role, with a GET and a POST.

Each request runs in a savepoint that is rolled back, so one request never changes what the
next one sees. Writes are detected from PostgreSQL's per-transaction table counters
(`pg_stat_xact_user_tables`), read before and after the request; rows written during the
request are told apart by their `xmin`, which is newer than the snapshot taken before it.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import connection, models, transaction
from django.db.models import Q
from django.test import Client

from enterprises.models import Enterprise
from incubators.models import Incubator
from loans.models import Bank
from portal.accounts.models import User
from portal.accounts.roles import BUREAU_ROLES, Role, can_manage_accounts
from subsidies.models import AuditFirm
from tests.probe.english import english_words
from tests.probe.urls import SKIPPED, ProbeUrl
from tests.probe.world import World

ORGANISATION_MODELS: dict[type[models.Model], str] = {
    Enterprise: "enterprise",
    Incubator: "incubator",
    Bank: "bank",
    AuditFirm: "audit_firm",
}

BUREAU_GROUPS = [role.value for role in BUREAU_ROLES]
RIGHTS = ("is_superuser", "is_staff", "groups", "user_permissions")

ERROR_LIST = re.compile(r'<ul class="errorlist.*?</ul>', re.S)

# Values for empty fields, by the field's name.
PLAUSIBLE = [
    (re.compile(r"(_on|date|day)$"), "2025-06-01"),
    (re.compile(r"year"), "2024"),
    (re.compile(r"month"), "12"),
    (
        re.compile(r"area|amount|principal|interest|loss|revenue|expenditure|personnel|other"),
        "100",
    ),
    (re.compile(r"participants|employees|staff|rank|number|count"), "10"),
    (re.compile(r"title|name|description|note|reason|content|findings|purpose|answer"), "探测"),
]

# Tables whose rows record a request rather than change the portal: sessions, sign-in
# attempts, the admin's own log, and audit history and the notification outbox (which only
# accompany a real write: a step's emails, a sign-up's email to staff).
IGNORED_TABLES_PREFIXES = (
    "django_session",
    "axes_",
    "django_admin_log",
    "accounts_securityevent",
    "probe_clock",
    "common_notification",
)

# What an organisation's user never writes, whatever the URL: the bureau's policy tables,
# the fund, roles and permissions, the bureau's own records.
NEVER_WRITTEN_BY_ORGANISATIONS = {
    "subsidies.subsidypolicy",
    "subsidies.applicationwindow",
    "subsidies.checklistitem",
    "subsidies.paymentbatch",
    "subsidies.auditfirm",
    "subsidies.enterpriselisting",
    "subsidies.signoff",
    "subsidies.objection",
    "loans.creditmodel",
    "loans.creditindicator",
    "loans.creditgrade",
    "loans.compensationfund",
    "loans.fundcontribution",
    "auth.group",
    "auth.permission",
    "enterprises.street",
    "enterprises.department",
    "enterprises.importjob",
    "enterprises.techfirmregistration",
    "enterprises.hightechcertificate",
    "incubators.readinessthreshold",
    "incubators.recognition",
    "statistics.districtstatistic",
    "statistics.monthlysummary",
    "statistics.reportsubscription",
    "statistics.reportdelivery",
}

# A bureau role's workflow permission lets it write, besides the row it moves, the records
# the step leaves behind. Each entry: permission -> models the step may write.
WORKFLOW_WRITES: dict[str, set[str]] = {
    # Staff evaluate a firm's credit from the admin (the evaluation is computed, not typed).
    "loans.evaluate_enterprise": {"loans.creditevaluation"},
    # A signature is a sign-off row; the last one moves the claim to signed off.
    "subsidies.sign_as_handler": {"subsidies.signoff"},
    "subsidies.sign_as_section_head": {"subsidies.signoff"},
    "subsidies.sign_as_deputy_director": {
        "subsidies.signoff",
        "subsidies.subsidyclaim",
        "subsidies.subsidyclaimstatuschange",
    },
    # Staff move an application in review (status, bank) and decide on a claim.
    "loans.review_loanapplication": {"loans.loanapplication"},
    "loans.decide_compensationclaim": {"loans.compensationclaim"},
    # Finance pay a claim: the fund's ledger row and balance, the claim, and the loan's step
    # to "compensated" with its record.
    "loans.pay_compensationclaim": {
        "loans.compensationpayment",
        "loans.compensationfund",
        "loans.compensationclaim",
        "loans.loanapplication",
        "loans.loanstatuschange",
    },
}


@dataclass
class Violation:
    role: str
    method: str
    path: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.role} {self.method} {self.path}: {self.kind}: {self.detail}"


@dataclass
class Report:
    role: str
    urls: int = 0
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    violations: list[Violation] = field(default_factory=list)
    # English words read on a page in zh-hans, by URL pattern (tests.probe.english).
    english: dict[str, set[str]] = field(default_factory=dict)

    def read_page(self, label: str, html: str, *, also_allowed: frozenset[str]) -> None:
        """Note the English words a reader sees on a page opened in Chinese."""
        words = english_words(html, also_allowed=also_allowed)
        if words:
            self.english.setdefault(label, set()).update(words)

    def failures(self) -> list[str]:
        """What fails the role's test: each violation, then each page left in English with
        its words."""
        return [str(v) for v in self.violations] + [
            f"{self.role} GET {label}: English left: {', '.join(sorted(words))}"
            for label, words in sorted(self.english.items())
        ]


class _Forms(HTMLParser):
    """The fields of the POST forms of a page, with the values they are rendered with."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self._in_post_form = False
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._select_multiple = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._in_post_form = a.get("method", "get").lower() == "post"
            return
        if not self._in_post_form or not a.get("name"):
            if tag == "option" and self._select is not None:
                self._option(a)
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("file", "submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.setdefault(name, []).append(
                a.get("value", "on" if kind == "checkbox" else "")
            )
        elif tag == "select":
            self._select, self._select_first, self._select_chosen = name, None, False
            self._select_multiple = "multiple" in a
        elif tag == "textarea":
            self._textarea = name
            self.fields.setdefault(name, []).append("")

    def _option(self, a: dict[str, str]) -> None:
        value = a.get("value", "")
        if self._select_first is None:
            self._select_first = value
        if "selected" in a and self._select:
            self.fields.setdefault(self._select, []).append(value)
            self._select_chosen = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_post_form = False
        elif tag == "select" and self._select is not None:
            if not self._select_chosen and not self._select_multiple:
                # a browser sends the first option (a multiple select sends nothing)
                self.fields.setdefault(self._select, []).append(self._select_first or "")
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.fields[self._textarea][-1] += data


def rendered_fields(html: str) -> dict[str, list[str]]:
    parser = _Forms()
    parser.feed(html)
    return parser.fields


class Probe:
    def __init__(self, world: World, role: str) -> None:
        self.world = world
        self.role = role
        self.user: User | None = world.users[role]
        self.home = world.home_side[role]
        self.report = Report(role=role)
        self.client = Client(raise_request_exception=True)
        if self.user is not None:
            self.client.force_login(self.user)
        self.is_bureau = role.startswith("bureau:")
        self.organisation_user = self.user is not None and not self.is_bureau
        # The sides whose records this user has no business with.
        self.foreign = {s for s in world.sides if s != self.home}
        self.markers = [world.sides[s].marker for s in self.foreign] if not self.is_bureau else []
        self.tables = _tables()
        self.rights = _rights(self.user.pk) if self.user is not None else None
        self.oids = _our_tables()
        self.foreign_orgs = {
            kind: [getattr(world.sides[s], attr).pk for s in self.foreign]
            for kind, attr in (
                ("enterprise", "enterprise"),
                ("incubator", "incubator"),
                ("bank", "bank"),
                ("audit_firm", "firm"),
            )
        }
        self._forms_cache: dict[str, dict[str, list[str]]] = {}
        self.extra = self._extra_fields()
        self.other_uscc = world.sides[next(iter(self.foreign), "B")].enterprise.uscc
        # The world's user names are data, whatever they look like.
        names = [name.lower() for name in User.objects.values_list("username", flat=True)]
        self.world_words = frozenset(
            names + [part for name in names for part in re.split(r"[^a-z]+", name) if part]
        )

    def _extra_fields(self) -> dict[str, str]:
        """Fields a hostile user adds to any form: rights, and the other side's organisations."""
        other = next(iter(self.foreign), "B")
        side = self.world.sides[other]
        return {
            "is_superuser": "on",
            "is_staff": "on",
            "groups": str(Group.objects.get(name=Role.BUREAU_ADMIN.value).pk),
            "user_permissions": str(Permission.objects.order_by("pk").first().pk),
            "enterprise": str(side.enterprise.pk),
            "incubator": str(side.incubator.pk),
            "bank": str(side.bank.pk),
            "audit_firm": str(side.firm.pk),
            "post": "yes",
        }

    # -- requests ---------------------------------------------------------------------------

    def run(self, urls: list[ProbeUrl]) -> Report:
        for url in urls:
            if url.pattern.label in SKIPPED or url.pattern.name in SKIPPED:
                continue
            self.report.urls += 1
            get = self._request("GET", url, None)
            body = self._body(url, get)
            self._request("POST", url, body)
        return self.report

    def _body(self, url: ProbeUrl, get: Any) -> dict[str, Any]:
        fields: dict[str, list[str]] = {}
        if get is not None and get.status_code == 200 and _is_html(get):
            fields = rendered_fields(get.content.decode("utf-8", "replace"))
        if not fields:
            fields = self._parent_fields(url.path)
        body: dict[str, Any] = {
            name: values if any(values) else [self._plausible(name)]
            for name, values in fields.items()
        }
        for name, value in self.extra.items():
            # Rights are always claimed; an organisation is slipped in where the form has no
            # such field (replacing a rendered one would only make the form invalid).
            if name in RIGHTS or name not in body:
                body[name] = value
        return body

    def _plausible(self, name: str) -> str:
        """A value an empty field would plausibly be given: dates, amounts, and for a firm's
        code the other side's firm (a carrier naming another carrier's tenant)."""
        if "uscc" in name:
            return self.other_uscc
        for pattern, value in PLAUSIBLE:
            if pattern.search(name):
                return value
        return ""

    def _parent_fields(self, path: str) -> dict[str, list[str]]:
        """A POST-only URL: the form that posts to it is on the page above it."""
        parent = path.rstrip("/").rsplit("/", 1)[0] + "/"
        if parent in self._forms_cache:
            return self._forms_cache[parent]
        fields: dict[str, list[str]] = {}
        if parent.count("/") > 1:
            with transaction.atomic():
                response = self.client.get(parent)
                transaction.set_rollback(True)
            if response.status_code == 200 and _is_html(response):
                fields = rendered_fields(response.content.decode("utf-8", "replace"))
        self._forms_cache[parent] = fields
        return fields

    def _request(self, method: str, url: ProbeUrl, body: dict[str, Any] | None) -> Any:
        self.report.requests += 1
        response = None
        with transaction.atomic():
            before, horizon = _counters(self.oids)
            try:
                if method == "GET":
                    response = self.client.get(url.path)
                else:
                    response = self.client.post(url.path, body or {})
            except Exception as exc:  # the probe reports a 500 with its cause
                self.report.statuses[500] += 1
                self._violate(method, url, "500", f"{type(exc).__name__}: {exc}"[:300])
                transaction.set_rollback(True)
                return None
            after, _ = _counters(self.oids, horizon=False)
            self._check_writes(method, url, _diff(before, after), horizon)
            transaction.set_rollback(True)
        self.report.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self._violate(method, url, "500", f"status {response.status_code}")
        self._check_content(method, url, response)
        if method == "GET":
            self._check_language(url, response)
        return response

    # -- checks -----------------------------------------------------------------------------

    def _check_language(self, url: ProbeUrl, response: Any) -> None:
        """Every page opened in Chinese reads Chinese: English words outside the allow-list
        (data masked: codes, numbers, units, user names, addresses) are collected by page."""
        if response.status_code != 200 or not _is_html(response):
            return
        self.report.read_page(
            url.pattern.label,
            response.content.decode("utf-8", "replace"),
            also_allowed=self.world_words,
        )

    def _violate(self, method: str, url: ProbeUrl, kind: str, detail: str) -> None:
        self.report.violations.append(Violation(self.role, method, url.path, kind, detail))

    def _check_content(self, method: str, url: ProbeUrl, response: Any) -> None:
        if not self.markers or response.status_code != 200:
            return
        if getattr(response, "streaming", False):
            content = b"".join(response.streaming_content)
        else:
            content = response.content
        # A refusal may name what it conflicts with (the other carrier a firm resides in).
        text = ERROR_LIST.sub("", content.decode("utf-8", "ignore"))
        shown = [m for m in self.markers if m in text]
        if shown:
            self._violate(method, url, "shows another organisation", ", ".join(shown))
        elif url.sides & self.foreign and not _is_html(response) and self.user is not None:
            self._violate(
                method, url, "hands out another organisation's file", response["Content-Type"]
            )

    def _check_rights(self, method: str, url: ProbeUrl, horizon: int) -> None:
        """Only the bureau admin changes rights: nobody raises their own, nobody else's."""
        if self.user is None or can_manage_accounts(self.user):
            return
        if _rights(self.user.pk) != self.rights:
            self._violate(method, url, "changes its own rights", str(_rights(self.user.pk)))
        memberships = User.groups.through
        raised = _written(memberships, horizon).filter(group__name__in=BUREAU_GROUPS)
        if raised.exists():
            self._violate(method, url, "puts someone in a bureau role", str(list(raised.values())))
        if _written(User.user_permissions.through, horizon).exists():
            self._violate(method, url, "grants a permission", "")
        bureau_rows = _written(User, horizon).filter(Q(is_staff=True) | Q(is_superuser=True))
        if bureau_rows.exclude(pk=self.user.pk).exists():
            self._violate(method, url, "changes a bureau account", "")

    def _check_writes(
        self, method: str, url: ProbeUrl, written: dict[str, tuple[int, int, int]], horizon: int
    ) -> None:
        if {"accounts_user", "accounts_user_groups", "accounts_user_user_permissions"} & set(
            written
        ):
            self._check_rights(method, url, horizon)
        for table, (ins, upd, dele) in written.items():
            if table.startswith(IGNORED_TABLES_PREFIXES):
                continue
            model, through = self.tables.get(table, (None, False))
            if model is None or _is_history(model):
                continue
            label = model._meta.label_lower
            ops = [op for op, n in (("add", ins), ("change", upd), ("delete", dele)) if n]
            if through:
                ops = ["change"]
            if self.user is None:
                if label != "accounts.user" and not (through and label == "accounts.user"):
                    self._violate(method, url, "anonymous write", f"{label} {ops}")
                continue
            if self.is_bureau:
                missing = [op for op in ops if not self._may(op, model)]
                if missing:
                    self._violate(method, url, "write without permission", f"{label} {missing}")
                continue
            if label in NEVER_WRITTEN_BY_ORGANISATIONS or model._meta.app_label == "auth":
                self._violate(method, url, "organisation writes bureau data", f"{label} {ops}")
                continue
            if label == "accounts.user" and not through:
                if _written(model, horizon).exclude(pk=self.user.pk).exists():
                    self._violate(method, url, "writes another user", label)
                continue
            foreign = self._foreign_rows(model, horizon)
            if foreign:
                self._violate(
                    method, url, "writes another organisation's rows", f"{label} {foreign}"
                )
            elif url.sides & self.foreign and not through:
                self._violate(method, url, "writes through another organisation's URL", label)

    def _may(self, op: str, model: type[models.Model]) -> bool:
        assert self.user is not None
        opts = model._meta
        if self.user.has_perm(f"{opts.app_label}.{op}_{opts.model_name}"):
            return True
        parent = _status_parent(model)
        if parent is not None and self._may_move(parent):
            return True
        return any(
            opts.label_lower in allowed and self.user.has_perm(perm)
            for perm, allowed in WORKFLOW_WRITES.items()
        )

    def _may_move(self, model: type[models.Model]) -> bool:
        """Whether the user may take some step of `model`'s workflow: add or change it, or a
        permission of its own (decide, pay, review...)."""
        assert self.user is not None
        opts = model._meta
        codenames = [f"{verb}_{opts.model_name}" for verb in ("add", "change")]
        codenames += [codename for codename, _label in opts.permissions]
        return any(self.user.has_perm(f"{opts.app_label}.{c}") for c in codenames)

    def _foreign_rows(self, model: type[models.Model], horizon: int) -> list[int]:
        condition = _owned_by(model, self.foreign_orgs)
        if condition is None:
            return []
        return list(_written(model, horizon).filter(condition).values_list("pk", flat=True)[:5])


def _status_parent(model: type[models.Model]) -> type[models.Model] | None:
    """The process whose step `model` records (`LoanStatusChange` records `LoanApplication`):
    a step's record is written by whoever may take the step."""
    if not model.__name__.endswith("StatusChange"):
        return None
    for f in model._meta.concrete_fields:
        target = f.related_model if f.is_relation else None
        if (
            target is not None
            and target is not model
            and model.__name__.startswith(target.__name__)
        ):
            return target
    return None


def _rights(pk: int) -> tuple[Any, ...]:
    user = User.objects.get(pk=pk)
    return (
        user.is_active,
        user.is_staff,
        user.is_superuser,
        sorted(user.groups.values_list("pk", flat=True)),
        sorted(user.user_permissions.values_list("pk", flat=True)),
    )


def _owned_by(model: type[models.Model], orgs: dict[str, list[int]]) -> models.Q | None:
    """Rows of `model` that belong to one of `orgs`, through at most two foreign keys."""
    kinds = ORGANISATION_MODELS
    condition: models.Q | None = None

    def add(path: str, kind: str) -> None:
        nonlocal condition
        q = models.Q(**{f"{path}__in": orgs[kind]})
        condition = q if condition is None else condition | q

    if model in kinds:
        add("pk", kinds[model])
    for f in model._meta.concrete_fields:
        if not f.is_relation or f.related_model is None:
            continue
        target = f.related_model
        if target in kinds:
            add(f.name, kinds[target])
            continue
        for g in target._meta.concrete_fields:
            if g.is_relation and g.related_model in kinds and g.related_model is not model:
                add(f"{f.name}__{g.name}", kinds[g.related_model])
    return condition


def _written(model: type[models.Model], horizon: int) -> models.QuerySet:
    table = connection.ops.quote_name(model._meta.db_table)
    return model._default_manager.extra(
        where=[f"{table}.xmin::text::bigint >= %s"], params=[horizon]
    )


def _is_history(model: type[models.Model]) -> bool:
    return hasattr(model, "instance_type")  # django-simple-history's historical models


def _is_html(response: Any) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


def _tables() -> dict[str, tuple[type[models.Model], bool]]:
    tables: dict[str, tuple[type[models.Model], bool]] = {}
    for model in apps.get_models(include_auto_created=True):
        through = model._meta.auto_created
        owner = model._meta.auto_created if through else model
        tables[model._meta.db_table] = (owner if isinstance(owner, type) else model, bool(through))
    return tables


def _our_tables() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public'"
        )
        oids = [oid for (oid,) in cursor.fetchall()]
        cursor.execute("CREATE TEMPORARY TABLE probe_clock (tick int)")
    return oids


def _counters(
    oids: list[int], *, horizon: bool = True
) -> tuple[dict[str, tuple[int, int, int]], int]:
    """The table counters of this transaction, and an xid no earlier row carries: rows a
    request writes from now on have an `xmin` at or above it. A one-row write to a temporary
    table gives the request's subtransaction its xid."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relid::regclass::text, ins, upd, del FROM ("
            " SELECT relid, pg_stat_get_xact_tuples_inserted(relid) AS ins,"
            " pg_stat_get_xact_tuples_updated(relid) AS upd,"
            " pg_stat_get_xact_tuples_deleted(relid) AS del"
            " FROM unnest(%s::oid[]) AS relid) AS counts WHERE ins + upd + del > 0",
            [oids],
        )
        rows = {name.strip('"'): (i, u, d) for name, i, u, d in cursor.fetchall()}
        if not horizon:
            return rows, 0
        cursor.execute("INSERT INTO probe_clock VALUES (1) RETURNING xmin::text::bigint")
        (xid,) = cursor.fetchone()
    return rows, xid


def _diff(
    before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]]
) -> dict[str, tuple[int, int, int]]:
    changed = {}
    for table, counts in after.items():
        old = before.get(table, (0, 0, 0))
        delta = tuple(a - b for a, b in zip(counts, old, strict=True))
        if any(delta):
            changed[table] = delta
    return changed
