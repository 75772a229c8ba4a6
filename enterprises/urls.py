from django.urls import path

from enterprises import views

app_name = "enterprises"

urlpatterns = [
    path("", views.my_enterprise, name="my_enterprise"),
    path("contact/", views.contact_edit, name="contact_edit"),
    path("figures/new/", views.figures_create, name="figures_create"),
    path("figures/<int:pk>/", views.figures_edit, name="figures_edit"),
]
