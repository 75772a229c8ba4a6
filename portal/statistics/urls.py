from django.urls import path

from portal.statistics import views

app_name = "statistics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("xlsx/", views.dashboard_xlsx, name="dashboard_xlsx"),
]
