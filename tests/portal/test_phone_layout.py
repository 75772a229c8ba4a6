"""Every desk on a phone (390 × 844) and the main pages on a laptop (1366 × 768), in Chromium.

Each login of the demo (`manage.py seed_demo`) opens its desk's pages, and a visitor the
public ones. On each page: the answer is 200; nothing is wider than the window; no box cuts
off what it holds; no text sticks out of its own box; a table wider than its box sits in a
box that scrolls sideways; no text stands a character or so a line; and on a phone a form's
fields take most of the form's width (one column). Every page is saved as a screenshot under
the test's tmp_path, printed, so a person can look.

One seed for the whole walk: the live server needs a transactional test, which empties the
tables after each test. The seed takes about a minute, the walk about forty seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page

from enterprises.models import AnnualFigures, ServiceRequest
from loans.models import LoanApplication, LoanStatus
from portal import demo
from portal.accounts.models import User
from subsidies.models import RDAudit, SubsidyClaim
from tests.loans.factories import loan_in
from tests.portal.test_demo_journey import restore_migration_rows

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}

# What the page is checked for, in the page. Returns a list of problems in words.
LAYOUT_PROBLEMS = """
(phone) => {
  // The same fault in every row of a table is one problem, counted.
  const seen = new Map();
  const report = (key, text) => seen.set(key, [text, (seen.get(key)?.[1] || 0) + 1]);
  const width = window.innerWidth;
  const where = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) return `${name}#${el.id}`;
    if (el.classList.length) name += "." + [...el.classList].join(".");
    const parent = el.parentElement;
    return parent && parent !== document.body ? `${where(parent)} > ${name}` : name;
  };
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const insideScrollingBox = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (scrolls(up)) return true;
    }
    return false;
  };
  const visible = (el) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return style.visibility !== "hidden" && style.display !== "none" && box.width > 1;
  };

  // 1. Nothing wider than the window; name what sticks out (outside a scrolling box).
  const docWidth = document.documentElement.scrollWidth;
  if (docWidth > width) {
    const out = [...document.body.querySelectorAll("*")].filter(
      (el) => el.getBoundingClientRect().right > width + 1 && visible(el)
        && !insideScrollingBox(el)
    );
    // What sticks out from inside a scrolling box escapes it (an absolute box, say).
    const escaped = out.length ? out : [...document.body.querySelectorAll("*")].filter(
      (el) => el.getBoundingClientRect().right > width + 1
    );
    const outermost = escaped.filter((el) => !escaped.includes(el.parentElement)).slice(0, 5);
    report("page", `page is ${docWidth}px wide in a ${width}px window: `
      + outermost.map((el) => `${where(el)} (${Math.round(el.getBoundingClientRect().right)}px)`)
        .join(", "));
  }

  // 2. No box cuts off what it holds (a scrolling box is fine: that is the point of it).
  for (const el of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (!["hidden", "clip"].includes(style.overflowX) || !visible(el)) continue;
    if (el.matches("input, select, textarea")) continue;  // a field scrolls its own text
    if (el.scrollWidth > el.clientWidth + 1) {
      const size = `${el.scrollWidth}px in ${el.clientWidth}px`;
      report(where(el), `${where(el)} cuts off its content (${size})`);
    }
  }

  // 3. No text sticks out of its own box (a long address, an email, a code).
  for (const el of document.querySelectorAll("main :is(h1, h2, h3, p, dt, dd, li, label)")) {
    if (!visible(el) || insideScrollingBox(el)) continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      const size = `${el.scrollWidth}px in ${el.clientWidth}px`;
      report(where(el), `${where(el)} sticks out of its box (${size})`);
    }
  }

  // 4. A table wider than its box sits in a box that scrolls sideways.
  for (const table of document.querySelectorAll("table")) {
    if (!visible(table)) continue;
    const box = table.parentElement;
    if (table.getBoundingClientRect().width > box.clientWidth + 1 && !insideScrollingBox(table)) {
      report(where(table), `${where(table)} is wider than its box and does not scroll inside it`);
    }
  }

  // 5. No text squeezed to a character or so per line.
  const lines = (el) => {
    const tops = new Set();
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const rect of range.getClientRects()) {
        if (rect.width > 0) tops.add(Math.round(rect.top));
      }
    }
    return tops.size;
  };
  for (const el of document.querySelectorAll("th, td, dt, dd, label, li, p, h1, h2, h3")) {
    if (!visible(el)) continue;
    const text = el.textContent.replace(/\\s+/g, "");
    const count = lines(el);
    if (text.length >= 4 && count >= 3 && text.length / count < 2.5) {
      const shown = `"${text.slice(0, 20)}" on ${count} lines`;
      report(`squeezed ${where(el)}`, `${where(el)} squeezed: ${shown}`);
    }
  }

  // 6. On a phone, a form's text fields are one column: each takes most of the form's width.
  if (phone) {
    const fields = "input[type=text], input[type=email], input[type=password], "
      + "input[type=number], input[type=tel], input[type=url], input[type=file], textarea, "
      + "select";
    for (const form of document.querySelectorAll("main form[method=post]")) {
      const formWidth = form.getBoundingClientRect().width;
      for (const field of form.querySelectorAll(fields)) {
        if (!visible(field)) continue;
        if (field.getBoundingClientRect().width < 0.6 * formWidth) {
          const fieldWidth = Math.round(field.getBoundingClientRect().width);
          report(where(field), `${where(field)} is ${fieldWidth}px wide`
            + ` in a ${Math.round(formWidth)}px form`);
        }
      }
    }
  }
  return [...seen.values()].map(([text, times]) => (times > 1 ? `${text} (×${times})` : text));
}
"""


@dataclass(frozen=True)
class Desk:
    """A page to open: its name in the screenshots, and whether a laptop also looks at it."""

    name: str
    path: str
    laptop: bool = False


def desks() -> dict[str, list[Desk]]:
    """The pages of every role's desk, as the seeded demo has them, by login ("anonymous":
    none)."""
    firm = User.objects.get(username="enterprise").enterprise
    bank = User.objects.get(username="bank").bank
    incubator = User.objects.get(username="carrier").incubator
    audit_firm = User.objects.get(username="auditor").audit_firm
    figures = AnnualFigures.objects.filter(enterprise=firm).order_by("-year").first()
    request = ServiceRequest.objects.filter(enterprise=firm).order_by("pk").first()
    claim = SubsidyClaim.objects.filter(enterprise=firm).order_by("pk").first()
    loan = LoanApplication.objects.filter(enterprise=firm).order_by("pk").first()
    bank_loan = (
        LoanApplication.objects.filter(bank=bank).exclude(status=LoanStatus.DRAFT).order_by("pk")
    ).first()
    audit = RDAudit.objects.filter(firm=audit_firm).order_by("pk").first()
    assert incubator and figures and request and claim and loan and bank_loan and audit
    carrier = f"/carrier/{incubator.pk}"
    return {
        "anonymous": [
            Desk("home", "/", laptop=True),
            Desk("notices", "/notices/", laptop=True),
            Desk("policies", "/subsidies/policies/", laptop=True),
            Desk("login", "/accounts/login/"),
        ],
        "enterprise": [
            Desk("queue", "/queue/"),
            Desk("my_enterprise", "/enterprise/", laptop=True),
            Desk("contact_form", "/enterprise/contact/"),
            Desk("figures_form", f"/enterprise/figures/{figures.pk}/"),
            Desk("projects", "/enterprise/projects/", laptop=True),
            Desk("requests", "/enterprise/requests/", laptop=True),
            Desk("request_form", "/enterprise/requests/new/"),
            Desk("request", f"/enterprise/requests/{request.pk}/"),
            Desk("claims", "/subsidies/claims/", laptop=True),
            Desk("claim_form", "/subsidies/claims/apply/"),
            Desk("claim", f"/subsidies/claims/{claim.pk}/"),
            Desk("credit_loans", "/loans/", laptop=True),
            Desk("loan_form", "/loans/apply/"),
            Desk("loan", f"/loans/{loan.pk}/"),
        ],
        "bank": [
            Desk("bank_desk", "/loans/bank/", laptop=True),
            Desk("bank_loan", f"/loans/bank/{bank_loan.pk}/", laptop=True),
        ],
        "carrier": [
            Desk("dashboard", f"{carrier}/", laptop=True),
            Desk("tenants", f"{carrier}/tenants/", laptop=True),
            Desk("tenant_form", f"{carrier}/tenants/add/"),
            Desk("activities", f"{carrier}/activities/", laptop=True),
        ],
        "auditor": [
            Desk("audits", "/subsidies/audits/", laptop=True),
            Desk("audit", f"/subsidies/audits/{audit.pk}/", laptop=True),
        ],
        "staff": [
            Desk("queue", "/queue/", laptop=True),
            Desk("service_desk", "/service-desk/", laptop=True),
            Desk("desk_request", f"/service-desk/requests/{request.pk}/", laptop=True),
            Desk("dossier_search", f"/dossier/?q={firm.name}"),
            Desk("dossier", f"/dossier/{firm.pk}/", laptop=True),
            Desk("figures", "/dashboard/", laptop=True),
            Desk("admin_users", "/admin/accounts/user/", laptop=True),
            Desk("admin_enterprises", "/admin/enterprises/enterprise/", laptop=True),
            Desk("admin_claims", "/admin/subsidies/subsidyclaim/", laptop=True),
            Desk("admin_loans", "/admin/loans/loanapplication/", laptop=True),
        ],
    }


def log_in(context: BrowserContext, username: str) -> Page:
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/queue/")
    return page


def look(page: Page, role: str, desk: Desk, shots: Path) -> list[str]:
    """Open the page at the page's current width; its problems, each saying where."""
    size = page.viewport_size
    assert size is not None
    label = f"{size['width']}px {role} {desk.name} ({desk.path})"
    response = page.goto(desk.path)
    if response is None or response.status != 200:
        return [f"{label}: answered {response and response.status}"]
    page.screenshot(path=str(shots / f"{size['width']}_{role}_{desk.name}.png"), full_page=True)
    found = page.evaluate(LAYOUT_PROBLEMS, size["width"] < 600)
    return [f"{label}: {problem}" for problem in found]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_desk_fits_a_phone_and_a_laptop(browser: Browser, live_server, tmp_path):
    restore_migration_rows()
    call_command("seed_demo", force=True, stdout=StringIO())
    # The demo leaves its firm free to apply; one repaid loan gives it a loan page.
    firm = User.objects.get(username="enterprise").enterprise
    loan_in(
        LoanStatus.REPAID,
        bank=User.objects.get(username="bank").bank,
        enterprise=firm,
        evaluation=firm.credit_evaluations.order_by("-pk").first(),
    )
    print(f"screenshots in {tmp_path}")
    problems: list[str] = []
    for role, pages in desks().items():
        context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport=PHONE)
        context.set_default_timeout(15000)
        try:
            page = context.new_page() if role == "anonymous" else log_in(context, role)
            for desk in pages:
                problems += look(page, role, desk, tmp_path)
            page.set_viewport_size(LAPTOP)
            for desk in pages:
                if desk.laptop:
                    problems += look(page, role, desk, tmp_path)
        finally:
            context.close()
    assert not problems, "\n".join(problems)
