from django.urls import path

from enterprises import views

app_name = "enterprises"

urlpatterns = [
    path("", views.my_enterprise, name="my_enterprise"),
]
