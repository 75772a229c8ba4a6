from django.urls import path

from subsidies import notice_views

app_name = "notices"

urlpatterns = [
    path("", notice_views.notice_list, name="list"),
    path("<int:pk>/", notice_views.notice_detail, name="detail"),
]
