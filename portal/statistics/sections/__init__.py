"""The sections of the monthly summary, in the order of DESIGN §5.

Each section lives in its own module and computes its own figures from its domain app's
queryset methods; this list is the only place that says which sections exist.

Registering a new section (e.g. `loans` when the loans app lands):
  1. write `portal/statistics/sections/loans.py` with a `compute(period) -> dict` that returns
     exactly the keys of DESIGN §5 for that section, and `SECTION = Section(key="loans", ...)`
     listing its figures (labels, kinds, headline flags, admin links);
  2. add one line `loans.SECTION,` at its place in `SECTIONS` below (and the import);
  3. add `tests/statistics/test_section_loans.py` with each figure at its boundaries
     (table-driven, as test_section_enterprises.py), and raise the query budget in
     test_services.py's query-count test by the section's queries.
The snapshot, the command's JSON, the dashboard, the email and the xlsx report pick it up
from here with no other change (tests/statistics/test_sections.py shows it). Readers use
`sections.SECTIONS` through the module, so a test may register a section with monkeypatch.

Sections whose app does not exist yet are left out
of the snapshot: no figure is ever made up or hard-coded for them. Snapshots computed before
a section was registered simply lack its key; `monthly_summary --force` (or the backfill
command with --force) recomputes them once the app's data is in.
"""

from portal.statistics.sections import enterprises, incubators, loans, rd, services, subsidies
from portal.statistics.sections.base import Figure, Kind, Section

SECTIONS: tuple[Section, ...] = (
    incubators.SECTION,
    enterprises.SECTION,
    loans.SECTION,
    subsidies.SECTION,
    rd.SECTION,
    services.SECTION,
)

__all__ = ["SECTIONS", "Figure", "Kind", "Section", "section_by_key"]


def section_by_key(key: str) -> Section | None:
    return next((section for section in SECTIONS if section.key == key), None)
