"""Hostile official lists, through `manage.py import` and the admin upload alike (issue 12).

Each case is built here: an xlsx whose formulas were never computed, a whitespace-only row,
a zip bomb (and one that lies about its size), numbers written with `_`, a title row above
the headers, and the list on the second sheet. Every refused file is refused whole with a
Chinese message, and nothing is saved.

The admin upload goes to the portal's own enterprise import (ADMIN_IMPORT_URL).
"""

import io
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from openpyxl import Workbook

from common.importing.readers import FileReadError, read_table
from enterprises.admin_import import LedgerImportAdminMixin
from enterprises.models import Enterprise
from tests.enterprises.test_resources import (
    CODE_A,
    CODE_B,
    HEADERS,
    csv_bytes,
    enterprise_rows,
    snapshot,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db
RESOURCE = "enterprises.resources.EnterpriseResource"
ADMIN_IMPORT_URL = "/admin/enterprises/enterprise/import/"
FORMAT_INDEX = {f().get_extension(): i for i, f in enumerate(LedgerImportAdminMixin.import_formats)}
MB = 1024 * 1024


# ------------------------------------------------------------------------------ the files


def formulas_without_values() -> bytes:
    """What a program (here openpyxl) writes: formulas with no cached value."""
    rows = enterprise_rows()
    rows[1][6] = "=1000+200"  # 注册资本(万元), row 3
    rows[1][7] = "=100+20"  # 从业人数
    rows[1][8] = "=SUM(H3:H3)/4"  # 研发人员数
    return xlsx_bytes(HEADERS, rows)


def whitespace_row() -> bytes:
    first, second = enterprise_rows()
    return csv_bytes(HEADERS, [first, ["  ", "", "\t", *[" "] * 10], second])


def underscore_integer() -> bytes:
    rows = enterprise_rows()
    rows[0][7] = "1_000"
    return csv_bytes(HEADERS, rows)


def underscore_amount() -> bytes:
    rows = enterprise_rows()
    rows[1][6] = "1_200"
    return csv_bytes(HEADERS, rows)


def title_row() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2024 年江北区科技型企业名单"])
    sheet.append(["填报单位：区科技局"])
    sheet.append(HEADERS)
    for row in enterprise_rows():
        sheet.append(row)
    return _save(workbook)


def second_sheet() -> bytes:
    workbook = Workbook()
    notes = workbook.active
    notes.title = "说明"
    notes.append(["填表说明：金额以万元为单位"])
    listing = workbook.create_sheet("名单")
    listing.append(HEADERS)
    for row in enterprise_rows():
        listing.append(row)
    return _save(workbook)


def _save(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def zip_bomb(*, inflated_mb: int = 1024, declared_size: int | None = None) -> bytes:
    """A valid xlsx whose sharedStrings.xml inflates to `inflated_mb` of repeated text.

    Built without ever holding the text: one megabyte is deflated once, ending in a full
    flush (which resets the compressor, so the same bytes deflate the same way again), and
    those bytes are repeated. `declared_size` makes the part lie about its size.
    """
    base = zipfile.ZipFile(io.BytesIO(xlsx_bytes(HEADERS, enterprise_rows())))
    # openpyxl writes inline strings: add a shared-strings part that the workbook declares.
    parts = {info.filename: base.read(info) for info in base.infolist()}
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
        b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdStrings" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    tail = b"</sst>"
    filler = "<si><t>重复的企业名称填充文字</t></si>".encode()
    chunk = filler * (MB // len(filler))

    def deflated(data: bytes, *, final: bool = False) -> bytes:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        return compressor.compress(data) + compressor.flush(
            zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH
        )

    block = deflated(chunk)
    size = len(head) + len(chunk) * inflated_mb + len(tail)
    crc = zlib.crc32(head)
    for _ in range(inflated_mb):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    stream = deflated(head) + block * inflated_mb + deflated(tail, final=True)

    out = io.BytesIO()
    central = []
    for filename in [*parts, "xl/sharedStrings.xml"]:
        name = filename.encode()
        if filename == "xl/sharedStrings.xml":
            raw, crc32, usize = stream, crc, declared_size or size
        else:
            data = parts[filename]
            raw, crc32, usize = deflated(data, final=True), zlib.crc32(data), len(data)
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc32, len(raw), usize, len(name), 0
            )  # fmt: skip
        )
        out.write(name + raw)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc32,
                len(raw),
                usize,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name  # fmt: skip
        )
    start = out.tell()
    for record in central:
        out.write(record)
    end = out.tell()
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                          end - start, start, 0))  # fmt: skip
    return out.getvalue()


REFUSED = [
    (
        "formulas",
        "xlsx",
        formulas_without_values,
        [
            "第 3 行「注册资本(万元)」：公式没有计算结果，请在 Excel 中打开并保存后再导入",
            "第 3 行「从业人数」：公式没有计算结果",
            "第 3 行「研发人员数」：公式没有计算结果",
        ],
    ),
    (
        "underscore-integer",
        "csv",
        underscore_integer,
        ["第 2 行「从业人数」：数字中不能有下划线「_」"],
    ),
    (
        "underscore-amount",
        "csv",
        underscore_amount,
        ["第 3 行「注册资本(万元)」：数字中不能有下划线「_」"],
    ),
    (
        "title-row",
        "xlsx",
        title_row,
        ["表头应在第 1 行：第 3 行才是表头（第 1–2 行像是标题），请删去上面的行"],
    ),
    (
        "second-sheet",
        "xlsx",
        second_sheet,
        [
            "第一个工作表「说明」没有名单的表头；工作表「名单」的第 1 行是表头，请把名单放在第一个工作表"  # noqa: E501
        ],
    ),
    ("zip-bomb", "xlsx", lambda: zip_bomb(inflated_mb=300), ["压缩比异常"]),
    (
        "lying-zip-bomb",
        "xlsx",
        lambda: zip_bomb(inflated_mb=300, declared_size=20_000),
        ["实际大小超过其声明的大小"],
    ),
]
CASES = [pytest.param(kind, make, lines, id=name) for name, kind, make, lines in REFUSED]


def write(tmp_path: Path, name: str, data: bytes) -> str:
    target = tmp_path / name
    target.write_bytes(data)
    return str(target)


# ---------------------------------------------------------------------------- the command


@pytest.mark.parametrize(("kind", "make", "lines"), CASES)
def test_command_refuses_the_hostile_list_and_saves_nothing(tmp_path, kind, make, lines):
    path = write(tmp_path, f"list.{kind}", make())
    before = snapshot()

    with pytest.raises(CommandError) as refused:
        call_command("import", "--no-input", RESOURCE, path)

    for line in lines:
        assert line in str(refused.value)
    assert snapshot() == before


def test_command_skips_a_whitespace_only_row(tmp_path, capsys):
    call_command("import", "--no-input", RESOURCE, write(tmp_path, "list.csv", whitespace_row()))

    assert "2 new" in capsys.readouterr().err
    assert set(Enterprise.objects.values_list("uscc", flat=True)) == {CODE_A, CODE_B}


def test_the_title_row_hint_gives_way_to_the_usual_messages_when_row_1_is_the_header():
    headers = [*HEADERS[:3], "街道", *HEADERS[4:]]
    outcome = read_and_import(xlsx_bytes(headers, enterprise_rows()))
    assert outcome.messages() == ["第 1 行「街道」：未知的列", "第 1 行：缺少列「所属街道」"]


def read_and_import(data: bytes):
    from enterprises.resources import EnterpriseResource

    return EnterpriseResource().import_table(read_table(data))


def test_zip_bomb_is_refused_in_a_fresh_process_under_300_mb(tmp_path):
    """The bomb of the issue (1 GB of shared strings), through `manage.py import` in a
    process of its own: its peak resident memory, read by /usr/bin/time, stays small."""
    bomb = zip_bomb(inflated_mb=1024)
    assert len(bomb) < 8 * MB
    path = write(tmp_path, "bomb.xlsx", bomb)
    del bomb
    report = tmp_path / "time.txt"
    name = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
        "PYTHONIOENCODING": "utf-8",
    }
    command = [sys.executable, "manage.py", "import", "--no-input", RESOURCE, path]

    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(report), *command],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        timeout=120,
    )

    assert done.returncode != 0
    assert "压缩比异常" in done.stderr.decode("utf-8")
    peak_mb = int(report.read_text().split()[-1]) / 1024
    assert peak_mb < 300, f"peak {peak_mb:.0f} MB"
    assert not Enterprise.objects.exists()


# The admin upload of a file, in a process of its own: the view called as the admin calls it,
# by a superuser held in memory (no database needed), the page rendered, the peak printed.
ADMIN_UPLOAD_SCRIPT = """
import resource, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from enterprises.admin_import import LedgerImportAdminMixin
from django.contrib import admin
from enterprises.models import Enterprise

with open(sys.argv[1], "rb") as handle:
    upload = SimpleUploadedFile("bomb.xlsx", handle.read())
formats = [f().get_extension() for f in LedgerImportAdminMixin.import_formats]
request = RequestFactory().post(
    "/admin/enterprises/enterprise/import/",
    {"import_file": upload, "format": formats.index("xlsx"), "resource": 0},
)
del upload
request.user = get_user_model()(username="boss", is_superuser=True, is_staff=True, is_active=True)
request.session = SessionStore()
request._messages = FallbackStorage(request)
response = admin.site._registry[Enterprise].import_action(request)
response.render()
sys.stdout.buffer.write(response.content)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def test_zip_bomb_uploaded_in_the_admin_is_refused_in_a_fresh_process_under_300_mb(tmp_path):
    path = write(tmp_path, "bomb.xlsx", zip_bomb(inflated_mb=1024))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test"}

    done = subprocess.run(
        [sys.executable, "-c", ADMIN_UPLOAD_SCRIPT, path],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert "压缩比异常" in done.stdout.decode("utf-8")
    peak_mb = int(done.stderr.decode().split()[-1]) / 1024
    assert peak_mb < 300, f"peak {peak_mb:.0f} MB"


def test_xlsx_past_the_unpacked_bound_is_refused_before_reading(settings):
    settings.IMPORT_XLSX_MAX_UNPACKED_BYTES = 10_000
    with pytest.raises(FileReadError, match="Excel 文件解压后有 .* MB，超过上限"):
        read_table(xlsx_bytes(HEADERS, enterprise_rows()))


def test_file_past_the_size_bound_is_refused(settings):
    settings.IMPORT_MAX_FILE_BYTES = 100
    with pytest.raises(FileReadError, match="文件过大"):
        read_table(csv_bytes(HEADERS, enterprise_rows()))


def test_formula_with_a_computed_value_is_read_as_its_value():
    data = formulas_without_values()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
        files = {info: archive.read(info) for info in archive.infolist()}
    # As Excel saves it: the formula and its cached result.
    computed = sheet
    for formula, value in ((b"1000+200", b"1200"), (b"100+20", b"120"), (b"SUM(H3:H3)/4", b"30")):
        empty = b"<f>" + formula + b"</f><v />"
        assert empty in computed
        computed = computed.replace(empty, b"<f>" + formula + b"</f><v>" + value + b"</v>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, content in files.items():
            is_sheet = info.filename == "xl/worksheets/sheet1.xml"
            archive.writestr(info, computed if is_sheet else content)

    table = read_table(out.getvalue())

    assert table.cell_problems == []
    assert table.rows[1][6:9] == [1200.0, 120.0, 30.0]


# ------------------------------------------------------------------------ the admin upload


def upload(client, kind: str, data: bytes):
    handle = io.BytesIO(data)
    handle.name = f"list.{kind}"
    return client.post(
        ADMIN_IMPORT_URL,
        {"import_file": handle, "format": FORMAT_INDEX[kind], "resource": 0},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser(username="boss", password="x")
    client.force_login(user)
    return client


@pytest.mark.parametrize(("kind", "make", "lines"), CASES)
def test_admin_upload_refuses_the_hostile_list_and_saves_nothing(staff_client, kind, make, lines):
    before = snapshot()

    response = upload(staff_client, kind, make())

    assert response.status_code == 200
    assert not response.context.get("confirm_form")
    page = response.content.decode()
    for line in lines:
        assert line in page
    assert snapshot() == before


def test_admin_upload_skips_a_whitespace_only_row(staff_client):
    response = upload(staff_client, "csv", whitespace_row())

    result = response.context["result"]
    assert not result.has_validation_errors()
    assert result.totals["new"] == 2


def test_admin_upload_above_the_size_bound_is_refused_at_the_field(staff_client, settings):
    settings.IMPORT_MAX_FILE_BYTES = MB
    data = csv_bytes(HEADERS, enterprise_rows() * 5000)
    assert len(data) > MB

    response = upload(staff_client, "csv", data)

    assert response.status_code == 200
    [error] = response.context["form"].errors["import_file"]
    assert error.startswith("文件过大（") and "最大 1 MB" in error
    assert not Enterprise.objects.exists()
