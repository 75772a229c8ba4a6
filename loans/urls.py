from django.urls import path

from loans import views

app_name = "loans"

urlpatterns = [
    path("", views.loans_home, name="home"),
    path("evaluate/", views.evaluate, name="evaluate"),
    path("apply/", views.apply, name="apply"),
    path("<int:pk>/", views.application_detail, name="application_detail"),
    path("<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("<int:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path(
        "claim-documents/<int:pk>/",
        views.claim_document_download,
        name="claim_document_download",
    ),
    path("bank/", views.bank_desk, name="bank_desk"),
    path("bank/<int:pk>/", views.bank_loan_detail, name="bank_loan_detail"),
    path("bank/<int:pk>/<slug:action>/", views.bank_loan_action, name="bank_loan_action"),
]
