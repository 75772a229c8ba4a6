"""No template prints an amount raw: every money field goes through `|yuan` or `|wan`
(common/templatetags/money.py), so pages and emails show '1,113,333.33', never '1113333.33'."""

import re
from pathlib import Path

from django.conf import settings

# Model fields and context names that hold yuan amounts.
MONEY = re.compile(
    r"(amount|principal|interest|quota|balance|eligible_total|first_five|other_allowed|"
    r"\bother|cap|budget|revenue|rd_expenditure|capital|eligible_loss|principal_loss)$"
)
# {{ expr|filters }} and blocktranslate's `with name=expr|filters`.
VARIABLE = re.compile(r"\{\{\s*([\w.]+)((?:\|[^}]*)?)\s*\}\}")
WITH = re.compile(r"\bwith\s+((?:\w+=[^\s%]+\s*)+)")
BLOCK = re.compile(r"\{% blocktranslate([^%]*)%\}(.*?)\{% endblocktranslate %\}", re.S)


def _unbound(text: str) -> str:
    """The text without the {{ name }} of a blocktranslate body naming its `with` binding
    (the binding itself, filters and all, is what is checked)."""

    def body(match: re.Match) -> str:
        names = re.findall(r"(\w+)=", match.group(1))
        inner = (
            re.sub(r"\{\{\s*(" + "|".join(names) + r")\s*\}\}", "", match.group(2))
            if names
            else match.group(2)
        )
        return f"{{% blocktranslate{match.group(1)}%}}{inner}"

    return BLOCK.sub(body, text)


def _expressions(text: str):
    text = _unbound(text)
    for match in VARIABLE.finditer(text):
        yield match.group(1), match.group(2)
    for match in WITH.finditer(text):
        for binding in match.group(1).split():
            expression = binding.split("=", 1)[1]
            name, _, filters = expression.partition("|")
            yield name, "|" + filters if filters else ""


def _raw_amounts(text: str) -> list[str]:
    raw = []
    for name, filters in _expressions(text):
        last = name.rsplit(".", 1)[-1]
        filter_names = re.findall(r"\|(\w+)", filters)
        if MONEY.search(last) and not {"yuan", "wan"} & set(filter_names):
            raw.append(name + filters)
    return raw


def test_the_check_catches_a_raw_amount():
    assert _raw_amounts("<td>{{ claim.approved_amount }}</td>") == ["claim.approved_amount"]
    assert _raw_amounts("{% blocktranslate with amount=audit.eligible_total %}") == [
        "audit.eligible_total"
    ]
    assert _raw_amounts("{{ claim.approved_amount|yuan|default:'—' }}") == []
    bound = "{% blocktranslate with quota=loan.quota|wan %}up to {{ quota }}{% endblocktranslate %}"
    assert _raw_amounts(bound) == []
    assert _raw_amounts(bound.replace("|wan", "")) == ["loan.quota"]


def test_no_template_prints_an_amount_raw():
    found = {}
    for directory in settings.TEMPLATES[0]["DIRS"]:
        for path in Path(directory).rglob("*"):
            if path.suffix not in (".html", ".txt") or not path.is_file():
                continue
            if raw := _raw_amounts(path.read_text(encoding="utf-8")):
                found[str(path.relative_to(directory))] = raw
    assert found == {}
