"""The export helper: what it neutralises, that import undoes exactly that, typed cells."""

import csv
import datetime as dt
import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from common.exports import (
    Sheet,
    cell,
    csv_bytes,
    csv_text,
    neutralise,
    sheet_title,
    unneutralise,
    xlsx_bytes,
)

HOSTILE = ['=HYPERLINK("http://x.example","y")', "+1", "-x", "@SUM(A1)", "\t=cmd", "\r=cmd"]


def test_text_a_spreadsheet_would_run_gains_a_quote():
    assert [neutralise(text) for text in HOSTILE] == ["'" + text for text in HOSTILE]


def test_tab_and_carriage_return_are_neutralised():
    assert neutralise("\t=1+1") == "'\t=1+1"
    assert neutralise("\r@x") == "'\r@x"


def test_plain_text_is_left_alone():
    for text in ["", "江北区", "'quoted", "a=b", " =x", "91500105MA5U3XQ00J"]:
        assert neutralise(text) == text


def test_a_quote_before_a_formula_gains_another_so_it_survives_the_round_trip():
    assert neutralise("'=x") == "''=x"
    assert unneutralise("''=x") == "'=x"


def test_unneutralise_leaves_a_typed_quote_alone():
    assert unneutralise("'abc") == "'abc"
    assert unneutralise("'") == "'"


@given(st.text())
def test_unneutralise_undoes_neutralise_for_any_text(text):
    assert unneutralise(neutralise(text)) == text


@given(st.text())
def test_neutralised_text_never_starts_like_a_formula(text):
    assert not neutralise(text).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_cell_keeps_numbers_and_dates_typed_and_neutralises_the_rest():
    day = dt.date(2025, 10, 31)
    assert cell(None) is None
    assert cell(-5) == -5
    assert cell(Decimal("-1.50")) == Decimal("-1.50")
    assert cell(2.5) == 2.5
    assert cell(True) is True
    assert cell(day) == day
    assert cell("=1+1") == "'=1+1"

    class Named:
        def __str__(self) -> str:
            return "@evil"

    assert cell(Named()) == "'@evil"


def test_xlsx_has_no_formula_and_typed_numbers():
    content = xlsx_bytes(
        Sheet(
            title="付款清单/2025:10",
            headers=["名称", "金额", "日期"],
            rows=[[text, Decimal("-12.34"), dt.date(2025, 10, 31)] for text in HOSTILE],
        )
    )
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.title == "付款清单 2025 10"
    names = [row[0].value for row in sheet.iter_rows(min_row=2)]
    # XML reads a carriage return back as a line feed; the quote is there all the same.
    assert names == ["'" + text.replace("\r", "\n") for text in HOSTILE]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert sheet.cell(2, 2).value == -12.34 and sheet.cell(2, 2).data_type == "n"
    assert sheet.cell(2, 3).is_date


def test_csv_neutralises_text_and_writes_numbers_as_they_are():
    text = csv_text([[value, -3, Decimal("1.5"), dt.date(2025, 1, 2), None] for value in HOSTILE])
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[0] for row in rows] == ["'" + value for value in HOSTILE]
    assert rows[0][1:] == ["-3", "1.5", "2025-01-02", ""]


def test_csv_bytes_carry_a_bom_for_excel():
    assert csv_bytes([["江北"]], headers=["街道"]).startswith(b"\xef\xbb\xbf")


def test_sheet_titles_are_what_excel_accepts():
    assert sheet_title("a[b]c:d*e?f/g\\h") == "a b c d e f g h"
    assert len(sheet_title("x" * 40)) == 31
    assert sheet_title("") == "Sheet"
