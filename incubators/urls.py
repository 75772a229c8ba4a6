from django.urls import path

from incubators import views

app_name = "incubators"

urlpatterns = [
    path("", views.desk_home, name="home"),
    path("<int:pk>/", views.dashboard, name="dashboard"),
    path("<int:pk>/tenants/", views.tenant_list, name="tenants"),
    path("<int:pk>/tenants/add/", views.tenant_add, name="tenant_add"),
    path("<int:pk>/tenants/<int:tenancy_pk>/move-out/", views.tenant_move_out, name="move_out"),
    path("<int:pk>/activities/", views.activity_list, name="activities"),
    path("<int:pk>/activities/add/", views.activity_add, name="activity_add"),
    path("<int:pk>/activities/<int:activity_pk>/entries/", views.entries, name="entries"),
]
