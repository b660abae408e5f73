from django.urls import path

from crmportal.staff import views_staff, views_twofactor

urlpatterns = [
    path("login/verify/", views_twofactor.verify, name="account-verify-second-factor"),
    path("account/two-factor/", views_twofactor.enrol, name="account-enrol-second-factor"),
    path("account/two-factor/recovery-codes/", views_twofactor.regenerate_codes,
         name="account-regenerate-recovery-codes"),
    path("account/confirm/", views_twofactor.confirm, name="account-confirm-identity"),
    path("staff/", views_staff.staff_list, name="staff-list-members"),
    path("staff/<int:member_id>/", views_staff.staff_edit, name="staff-edit-member"),
    path("staff/<int:member_id>/reset-second-factor/", views_staff.staff_reset_second_factor,
         name="staff-reset-second-factor"),
]
