"""The zh_Hans catalog covers every msgid in the source, with nothing fuzzy, and is compiled."""

import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CATALOG = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SOURCES = (
    "portal",
    "common",
    "enterprises",
    "incubators",
    "loans",
    "subsidies",
    "templates",
    "locale",
)


def _regenerated_catalog(tmp_path: Path) -> Path:
    """Run makemessages on a copy of the source so the committed catalog is left alone."""
    for name in SOURCES:
        if (ROOT / name).exists():
            shutil.copytree(
                ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__")
            )
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "portal.settings.dev", "PATH": "/usr/bin:/bin"},
    )
    return tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _attrib(option: str, path: Path) -> str:
    result = subprocess.run(
        ["msgattrib", option, "--no-wrap", str(path)], check=True, capture_output=True, text=True
    )
    return result.stdout


def test_every_message_in_the_source_is_translated(tmp_path):
    regenerated = _regenerated_catalog(tmp_path)
    untranslated = _attrib("--untranslated", regenerated)
    assert untranslated == "", f"untranslated entries (run `make messages`):\n{untranslated}"
    fuzzy = _attrib("--only-fuzzy", regenerated)
    assert fuzzy == "", f"fuzzy entries:\n{fuzzy}"


def test_committed_catalog_has_no_fuzzy_or_empty_entries():
    assert _attrib("--untranslated", CATALOG) == ""
    assert _attrib("--only-fuzzy", CATALOG) == ""


def test_compiled_catalog_matches_the_source(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(CATALOG)], check=True)
    assert compiled.read_bytes() == CATALOG.with_suffix(".mo").read_bytes()
