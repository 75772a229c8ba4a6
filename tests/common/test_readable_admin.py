"""The admin in the reader's language where Django and its libraries write English: yes/no
icons, history reasons and steps, and the English check the permission probe runs."""

import pytest
from django.utils import translation

from common.apps import boolean_icon
from common.history_reasons import reason_display
from enterprises.models import ServiceRequest
from tests.probe.engine import Report
from tests.probe.english import english_words


def test_the_yes_no_icons_say_yes_and_no_in_chinese():
    with translation.override("zh-hans"):
        assert 'alt="是"' in boolean_icon(True)
        assert 'alt="否"' in boolean_icon(False)


def test_the_admin_lists_use_the_translated_icon():
    from django.contrib.admin.templatetags import admin_list

    assert admin_list._boolean_icon is boolean_icon


class _Record:
    instance_type = ServiceRequest

    def __init__(self, reason):
        self.history_change_reason = reason


def test_a_history_reason_reads_in_chinese():
    with translation.override("zh-hans"):
        assert reason_display(_Record("raised by the enterprise")) == "企业提交"
        assert reason_display(_Record(None)) == ""


def test_a_step_reads_as_the_states_labels():
    with translation.override("zh-hans"):
        text = reason_display(_Record("open → forwarded"))
    labels = dict(ServiceRequest._meta.get_field("status").flatchoices)
    with translation.override("zh-hans"):
        assert text == f"{labels['open']} → {labels['forwarded']}"
    assert "open" not in text


@pytest.mark.parametrize(
    ("html", "found"),
    [
        ("<p>已提交</p>", set()),
        ("<p>状态: submitted</p>", {"submitted"}),
        ('<img alt="Search">', {"Search"}),
        ('<input type="submit" value="Save">', {"Save"}),
        # data is masked: codes, e-mail addresses, paths, user names with digits, numbers
        ("<p>91500105000000000J zhou.ting@kjj.example.cn /admin/x/ user12 2025-10</p>", set()),
        ("<script>var x = 'English';</script><code>python manage.py</code>", set()),
        ("<p>导出为 xlsx 或 CSV</p>", set()),
        # a password hash's masked salt and hash are data; Django's Chinese names the keys
        ("<p>盐: Xm********** 哈希: gj**********</p>", set()),
        ("<p>按住 Control 键或 Mac 上的 Command 键来选择多项。</p>", set()),
        ("<p>— → open</p>", {"open"}),
    ],
)
def test_the_english_check_finds_words_and_masks_data(html, found):
    assert english_words(html) == found


def test_the_probe_fails_a_role_on_a_page_left_in_english():
    report = Report(role="bureau:bureau_staff")
    report.read_page("admin:index", "<h1>站点管理</h1>", also_allowed=frozenset())
    report.read_page(
        "admin:subsidies_subsidyclaim_change",
        "<p>— → submitted</p><p>bench-staff 已提交</p>",
        also_allowed=frozenset({"bench-staff"}),  # a user name is data
    )
    assert report.failures() == [
        "bureau:bureau_staff GET admin:subsidies_subsidyclaim_change: English left: submitted"
    ]


def test_the_probe_passes_a_role_whose_pages_read_chinese():
    report = Report(role="bureau:bureau_staff")
    report.read_page(
        "admin:index", "<h1>站点管理</h1><p>导出 xlsx · probe_a</p>", also_allowed=frozenset()
    )
    assert report.failures() == []


def test_a_status_change_reads_as_its_states_labels():
    from enterprises.models import ServiceRequestStatusChange
    from subsidies.models import SubsidyClaim, SubsidyClaimStatusChange

    with translation.override("zh-hans"):
        labels = dict(ServiceRequest._meta.get_field("status").flatchoices)
        claim_labels = dict(SubsidyClaim._meta.get_field("status").flatchoices)
        opened = str(ServiceRequestStatusChange(from_status="", to_status="open"))
        submitted = str(
            SubsidyClaimStatusChange(claim_id=5, from_status="draft", to_status="submitted")
        )
        assert opened == f"— → {labels['open']}"
        assert submitted == f"5: {claim_labels['draft']} → {claim_labels['submitted']}"
        # a code no choice names any more (an older row) is shown as it is
        assert str(ServiceRequestStatusChange(to_status="gone")) == "— → gone"
