from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from subsidies.models import AuditFirm


@admin.register(AuditFirm)
class AuditFirmAdmin(SimpleHistoryAdmin):
    list_display = ("name", "contact_person", "contact_phone", "active")
    list_filter = ("active",)
    search_fields = ("name",)
