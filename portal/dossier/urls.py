from django.urls import path

from portal.dossier import views

app_name = "dossier"

urlpatterns = [
    path("", views.search, name="search"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/xlsx/", views.export, name="export"),
]
