"""Domain apps depend downward only (DESIGN §3):

    portal ──► subsidies ──► incubators ──► enterprises ──► common
       │            └──────────────────────────▲
       └──► loans ─────────────────────────────┘

Every app may use `common`, which imports nothing of ours; no domain app imports `portal`.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
OURS = {"portal", "common", "enterprises", "incubators", "loans", "subsidies"}
ALLOWED = {
    "common": set(),
    "enterprises": {"common"},
    "incubators": {"enterprises", "common"},
    "loans": {"enterprises", "common"},
    "subsidies": {"enterprises", "incubators", "common"},
}


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & OURS


# Apps of later issues join the check as soon as their folder holds code.
BUILT = sorted(app for app in ALLOWED if any((ROOT / app).glob("*.py")))


def test_the_registry_app_is_checked():
    assert "enterprises" in BUILT


@pytest.mark.parametrize("app", BUILT)
def test_domain_app_imports_only_what_lies_below(app):
    folder = ROOT / app
    offending = {}
    for path in folder.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        wrong = _imported_apps(path) - ALLOWED[app] - {app}
        if wrong:
            offending[str(path.relative_to(ROOT))] = sorted(wrong)
    assert offending == {}
