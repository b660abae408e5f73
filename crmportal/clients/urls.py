from django.urls import path

from crmportal.clients import views

urlpatterns = [
    path("clients/", views.client_list, name="clients-list-clients"),
    path("clients/export.csv", views.client_export, name="clients-export-clients"),
    path("clients/new/", views.client_create, name="clients-create-client"),
    path("clients/<int:client_id>/", views.client_detail, name="clients-show-client"),
    path("clients/<int:client_id>/edit/", views.client_edit, name="clients-edit-client"),
    path("clients/<int:client_id>/delete/", views.client_delete, name="clients-delete-client"),
    path("kyc/", views.kyc_queue, name="kyc-list-queue"),
    path("kyc/<int:client_id>/", views.kyc_review, name="kyc-review-client"),
    path("kyc/<int:client_id>/approve/", views.kyc_approve, name="kyc-approve-client"),
    path("kyc/<int:client_id>/reject/", views.kyc_reject, name="kyc-reject-client"),
]
