from django.urls import path

from subsidies import views

app_name = "subsidies"

urlpatterns = [
    path("policies/", views.policy_list, name="policies"),
    path("policies/<int:pk>/", views.policy_detail, name="policy_detail"),
    path("claims/", views.my_claims, name="my_claims"),
    path("claims/apply/", views.claim_apply, name="claim_apply"),
    path("claims/<int:pk>/", views.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/submit/", views.claim_submit, name="claim_submit"),
    path("claims/<int:pk>/attach/", views.claim_attach, name="claim_attach"),
    path(
        "claims/<int:pk>/documents/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("audits/", views.audit_list, name="audits"),
    path("audits/<int:pk>/", views.audit_detail, name="audit_detail"),
    path("audits/<int:pk>/complete/", views.audit_complete, name="audit_complete"),
    path("audits/<int:pk>/report/", views.audit_report, name="audit_report"),
    path(
        "audits/<int:pk>/documents/<int:attachment_pk>/",
        views.audit_document,
        name="audit_document",
    ),
]
