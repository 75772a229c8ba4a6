"""Admin base classes every app's admin builds on."""

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """History pages show what a record was; they never save it.

    django-simple-history's version page is a change form whose POST saves the old version
    over the record ("revert") for anyone who may view history. Every change goes through
    the services, so the version page answers GET only and offers no save button.
    """

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_change_history_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        return super().history_form_view(request, object_id, version_id, extra_context)
