from django.urls import path

from enterprises.views import registry, service_desk

app_name = "enterprises"

urlpatterns = [
    path("", registry.my_enterprise, name="my_enterprise"),
    path("contact/", registry.contact_edit, name="contact_edit"),
    path("figures/new/", registry.figures_create, name="figures_create"),
    path("figures/<int:pk>/", registry.figures_edit, name="figures_edit"),
    path("requests/", service_desk.my_requests, name="my_requests"),
    path("requests/new/", service_desk.request_create, name="request_create"),
    path("requests/<int:pk>/", service_desk.request_detail, name="request_detail"),
    path(
        "requests/<int:pk>/files/<int:attachment_pk>/",
        service_desk.request_attachment,
        name="request_attachment",
    ),
    path("requests/<int:pk>/<str:action>/", service_desk.request_action, name="request_action"),
    path("projects/", service_desk.my_projects, name="my_projects"),
]
