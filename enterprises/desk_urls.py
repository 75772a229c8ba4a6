"""The staff service desk (mounted by the project's root URLconf)."""

from django.urls import path

from enterprises.views import service_desk

app_name = "service_desk"

urlpatterns = [
    path("", service_desk.desk, name="desk"),
    path("requests/<int:pk>/", service_desk.desk_request, name="request_detail"),
    path(
        "requests/<int:pk>/files/<int:attachment_pk>/",
        service_desk.desk_attachment,
        name="request_attachment",
    ),
    path(
        "requests/<int:pk>/<str:step>/",
        service_desk.desk_request_step,
        name="request_step",
    ),
]
