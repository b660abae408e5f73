from django.urls import path

from crmportal.accounts import views

urlpatterns = [
    path("accounts/", views.account_list, name="accounts-list-accounts"),
    path("accounts/export.csv", views.account_export, name="accounts-export-accounts"),
    path("accounts/new/", views.account_create, name="accounts-create-account"),
    path("accounts/<int:account_id>/", views.account_detail, name="accounts-show-account"),
    path("accounts/<int:account_id>/edit/", views.account_edit, name="accounts-edit-account"),
    path("accounts/<int:account_id>/password/", views.account_password,
         name="accounts-reset-password"),
    path("accounts/<int:account_id>/delete/", views.account_delete,
         name="accounts-delete-account"),
]
